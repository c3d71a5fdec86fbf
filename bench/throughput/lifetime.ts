/**
 * `capture -- true` as a user runs it, timed from outside by proc_timer as a subreaper: until
 * the command exits and until every process of it (the loader detaching included) has; the
 * phase times of both sides (SIGHTLINE_DEBUG) say where the time goes, and one more run with
 * SIGHTLINE_DEBUG=2 says what the kernel's verifier went through for each part the loader
 * loads (instructions processed are deterministic; its times are not, on a busy machine).
 */
import { fileURLToPath } from "node:url";
import { buildCTool } from "../c_tool.ts";
import { captureCommand } from "../../capture/command_line.ts";
import { median } from "../../kit/stats.ts";

const PROC_TIMER = fileURLToPath(new URL("../overhead/proc_timer.c", import.meta.url));

export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** One program as the verifier saw it at load. */
export interface Verified {
  /** the loader's part ("kernel": loaded before the command is released; "tls": meanwhile) */
  part: string;
  program: string;
  insns: number;
  /** verification time, µs */
  us: number;
}

/** `capture -- true` timed from outside: the whole process group's life, and its CPU. */
export interface Lifetime {
  runs: number;
  /** when it was measured, and the load average just before */
  date: string;
  load: string;
  /** medians, ms: until the capture command exits, until every process of it has */
  commandMs: number;
  allGoneMs: number;
  /** min and max of allGoneMs */
  allGoneRange: [number, number];
  cpuMs: number;
  /** loader start → command released (the loader's own phases), ms */
  releaseMs: Spread;
  /** medians of the phase times both sides print with SIGHTLINE_DEBUG, ms since the capture
   * process started (the loader's on the same clock) */
  phases: Record<string, number>;
  /** medians of the CPU time each process had used at its phases, ms */
  phaseCpu: Record<string, number>;
  verifier: Verified[];
}

export { median };

const spread = (xs: number[]): Spread => ({
  median: median(xs),
  min: Math.min(...xs),
  max: Math.max(...xs),
});

// "(cpu N ms)", or with its split by thread: "(cpu N ms: deno N, V8 DefaultWorke N, ...)"
const PHASE_LINE =
  /^(sightline(?:-loader)?): +([\d.]+) ms (.*?)(?: \(cpu ([\d.]+) ms(?:: [^)]*)?\))?$/;

/** The phase lines of both sides: "sightline: 12.3 ms what (cpu 4.5 ms)" → {"sightline: what": 12.3}. */
export function parsePhases(stderr: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of stderr.split("\n")) {
    const m = line.match(PHASE_LINE);
    if (m) out[`${m[1]}: ${m[3]}`] ??= Number(m[2]);
  }
  return out;
}

/** The CPU time each side had used at its phases: {"sightline: what": 4.5}. */
export function parsePhaseCpu(stderr: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of stderr.split("\n")) {
    const m = line.match(PHASE_LINE);
    if (m?.[4] !== undefined) out[`${m[1]}: ${m[3]}`] ??= Number(m[4]);
  }
  return out;
}

/** The loader's SIGHTLINE_DEBUG=2 verifier statistics, one entry per program. */
export function parseVerifier(stderr: string): Verified[] {
  const out: Verified[] = [];
  // the verifier's lines after the time: "stack depth N", then "processed N insns ..."
  const re =
    /^sightline-loader: verifier: (\w+) (\w+): verification time (\d+) usec\n(?:stack depth [^\n]*\n)?processed (\d+) insns/gm;
  for (const m of stderr.matchAll(re)) {
    out.push({ part: m[1], program: m[2], us: Number(m[3]), insns: Number(m[4]) });
  }
  return out;
}

export async function captureLifetime(
  tmp: string,
  runs: number,
  log: (l: string) => void,
): Promise<Lifetime> {
  const timer = await buildCTool(PROC_TIMER);
  const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  const date = new Date().toISOString();
  const cmd: number[] = [], all: number[] = [], cpu: number[] = [], release: number[] = [];
  const phases: Record<string, number[]> = {};
  const phaseCpu: Record<string, number[]> = {};
  const rec = `${tmp}/lifetime-rec`;
  for (let i = 0; i < runs; i++) {
    const out = `${tmp}/lifetime.json`;
    const r = await new Deno.Command(timer, {
      args: ["--wait-all", out, "--", ...captureCommand(rec, ["true"], ["--force", "--quiet"])],
      env: { SIGHTLINE_DEBUG: "1" },
      stdout: "null",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(r.stderr);
    if (!r.success) throw new Error(`capture -- true failed: ${stderr}`);
    const t = JSON.parse(await Deno.readTextFile(out));
    cmd.push(t.wall_ns / 1e6);
    all.push(t.all_ns / 1e6);
    cpu.push((t.user_us + t.sys_us) / 1000);
    const p = parsePhases(stderr);
    for (const [k, v] of Object.entries(p)) (phases[k] ??= []).push(v);
    for (const [k, v] of Object.entries(parsePhaseCpu(stderr))) (phaseCpu[k] ??= []).push(v);
    const start = p["sightline-loader: start"], released = p["sightline-loader: command released"];
    if (start !== undefined && released !== undefined) release.push(released - start);
  }
  const [exe, ...args] = captureCommand(rec, ["true"], ["--force", "--quiet"]);
  const v = await new Deno.Command(exe, {
    args,
    env: { SIGHTLINE_DEBUG: "2" },
    stdout: "null",
    stderr: "piped",
  }).output();
  const verifier = parseVerifier(new TextDecoder().decode(v.stderr));
  await Deno.remove(rec, { recursive: true }).catch(() => {});
  const l: Lifetime = {
    runs,
    date,
    load,
    commandMs: median(cmd),
    allGoneMs: median(all),
    allGoneRange: [Math.min(...all), Math.max(...all)],
    cpuMs: median(cpu),
    releaseMs: spread(release),
    phases: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, median(v)])),
    phaseCpu: Object.fromEntries(Object.entries(phaseCpu).map(([k, v]) => [k, median(v)])),
    verifier,
  };
  log(
    `capture -- true: released ${l.releaseMs.median.toFixed(0)} ms after the loader started, ` +
      `command ${l.commandMs.toFixed(0)} ms, all gone ${l.allGoneMs.toFixed(0)} ms ` +
      `(${l.allGoneRange.map((x) => x.toFixed(0)).join("–")}), CPU ${l.cpuMs.toFixed(0)} ms`,
  );
  return l;
}
