/**
 * An independent check of a located offset: a tracefs uprobe (the kernel's own uprobe
 * interface, no eBPF, no Sightline code) at `path:offset`, recorded in a private tracing
 * instance while `run()` executes, then removed. Arguments can be fetched with tracefs fetch
 * args, e.g. `len=%dx:s32 data=+0(%si):u8[64]` (bytes are fetched as numbers, since a string
 * fetch would print the \r\n of an HTTP request raw and break the line format).
 * Needs root. Events and the instance are removed even when `run` throws.
 */

const TRACEFS = "/sys/kernel/tracing";

export interface UprobeSpec {
  name: string;
  path: string;
  offset: number;
  /** tracefs fetch args, e.g. "len=%dx:s32 data=+0(%si):u8[64]". */
  fetch?: string;
}

export interface UprobeHit {
  name: string;
  comm: string;
  tid: number;
  tgid: number;
  /** name=value pairs of the fetch args; u8 arrays are decoded to latin1 strings. */
  args: Record<string, string>;
}

export async function ensureTracefs(): Promise<void> {
  try {
    await Deno.stat(`${TRACEFS}/uprobe_events`);
  } catch {
    const p = await new Deno.Command("mount", { args: ["-t", "tracefs", "none", TRACEFS] })
      .output();
    if (!p.success) throw new Error(`cannot mount tracefs: ${new TextDecoder().decode(p.stderr)}`);
  }
}

/** Runs `run` with the uprobes in place and returns its result and every hit. */
export async function withUprobes<T>(
  specs: UprobeSpec[],
  run: () => Promise<T>,
): Promise<{ result: T; hits: UprobeHit[] }> {
  await ensureTracefs();
  const group = `sltest${Deno.pid}`;
  const inst = `${TRACEFS}/instances/${group}`;
  const defined: string[] = [];
  const write = (file: string, text: string, append = false) =>
    Deno.writeTextFile(file, text + "\n", { append });
  try {
    for (const s of specs) {
      await write(
        `${TRACEFS}/uprobe_events`,
        `p:${group}/${s.name} ${s.path}:0x${s.offset.toString(16)} ${s.fetch ?? ""}`.trim(),
        true,
      );
      defined.push(s.name);
    }
    await Deno.mkdir(inst);
    await write(`${inst}/buffer_size_kb`, "8192");
    await write(`${inst}/options/record-tgid`, "1");
    await write(`${inst}/events/${group}/enable`, "1");
    const result = await run();
    await write(`${inst}/events/${group}/enable`, "0");
    const text = await Deno.readTextFile(`${inst}/trace`);
    return { result, hits: parseTrace(text) };
  } finally {
    await write(`${inst}/events/${group}/enable`, "0").catch(() => {});
    await Deno.remove(inst).catch(() => {});
    for (const name of defined) {
      await write(`${TRACEFS}/uprobe_events`, `-:${group}/${name}`, true).catch(() => {});
    }
  }
}

/**
 * Runs the program `cmd` once with the uprobes in place (stdin closed, output piped, killed
 * after `timeoutMs`); returns its process id, its output and the hits in its own process.
 */
export async function uprobesOfRun(
  specs: UprobeSpec[],
  cmd: string,
  opts: Pick<Deno.CommandOptions, "args" | "cwd" | "clearEnv" | "env">,
  timeoutMs: number,
): Promise<{ pid: number; output: Deno.CommandOutput; hits: UprobeHit[] }> {
  let pid = 0;
  const { result, hits } = await withUprobes(specs, () => {
    const child = new Deno.Command(cmd, {
      ...opts,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(timeoutMs),
    }).spawn();
    pid = child.pid;
    return child.output();
  });
  return { pid, output: result, hits: hits.filter((h) => h.tgid === pid) };
}

const LINE = /^\s*(.+)-(\d+)\s+\(\s*(\d+)\)\s+\[\d+\]\s+\S+\s+[\d.]+:\s+(\w+):\s+\([^)]*\)\s?(.*)$/;

export function parseTrace(text: string): UprobeHit[] {
  const hits: UprobeHit[] = [];
  for (const line of text.split("\n")) {
    const m = LINE.exec(line);
    if (!m) continue;
    const args: Record<string, string> = {};
    for (const a of m[5].matchAll(/(\w+)=(\{[^}]*\}|\S+)/g)) {
      const v = a[2];
      args[a[1]] = v.startsWith("{")
        ? String.fromCharCode(...v.slice(1, -1).split(",").map((x) => Number(x) & 0xff))
        : v;
    }
    hits.push({ comm: m[1].trim(), tid: Number(m[2]), tgid: Number(m[3]), name: m[4], args });
  }
  return hits;
}
