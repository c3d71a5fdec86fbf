/**
 * Runs the evasion suite: builds the programs in c/ with the machine's C compiler, runs every
 * technique under one real capture (each program in a directory of its own, one after the
 * other), and judges each from the recording: recorded, reported or not seen. Needs root (real
 * eBPF); hold /tmp/sightline-ebpf.lock around it on a shared machine.
 */
import { filePath } from "../../kit/file_path.ts";
import { run as capture } from "../../capture/recorder.ts";
import { shQuote } from "../../kit/shell.ts";
import { readRecording, type Recording } from "../../recording/recording.ts";
import { evidenceOf, type Status, type Technique, TECHNIQUES } from "./techniques.ts";

const C_DIR = filePath("./c/", import.meta.url);

export interface Result {
  technique: Technique;
  status: Status;
  evidence: string;
  /** the program's exit status (0: the kernel did what it asked) */
  exitCode: number;
}

export interface SuiteRun {
  results: Result[];
  rec: Recording;
}

/** Compiles every program of c/ into `out` with `cc` (gcc or clang), warnings as errors. */
export async function buildPrograms(out: string, compiler = "cc"): Promise<Map<string, string>> {
  const bins = new Map<string, string>();
  const sources = [...Deno.readDirSync(C_DIR)].filter((e) => e.name.endsWith(".c"))
    .map((e) => e.name).sort();
  await Promise.all(sources.map(async (src) => {
    const name = src.slice(0, -2);
    const bin = `${out}/${name}`;
    const r = await new Deno.Command(compiler, {
      args: ["-O1", "-Wall", "-Wextra", "-Werror", "-o", bin, `${C_DIR}${src}`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!r.success) {
      throw new Error(`${compiler} ${src}: ${new TextDecoder().decode(r.stderr).trim()}`);
    }
    bins.set(name, bin);
  }));
  return bins;
}

/** Runs `techniques` under one capture in a fresh directory and judges each. */
export async function runSuite(
  techniques: Technique[] = TECHNIQUES,
  log: (line: string) => void = () => {},
): Promise<SuiteRun> {
  const root = await Deno.makeTempDir({ prefix: "sl-evasion-" });
  const bins = await buildPrograms(await Deno.makeTempDir({ dir: root, prefix: "bin-" }));
  log(`built ${bins.size} programs`);
  const work = `${root}/work`;
  const status = `${root}/status`;
  const lines = ["set -u"];
  for (const t of techniques) {
    const dir = `${work}/${t.id}`;
    const cmd = [bins.get(t.program)!, dir, ...t.args].map(shQuote).join(" ");
    lines.push(
      `mkdir -p ${shQuote(dir)}`,
      `${cmd} >/dev/null 2>>${shQuote(`${root}/stderr`)}; echo "${t.id} $?" >> ${shQuote(status)}`,
    );
  }
  const script = `${root}/run.sh`;
  await Deno.writeTextFile(script, lines.join("\n") + "\n");
  const out = `${root}/rec`;
  const res = await capture({ cmd: ["bash", script], out, quiet: true });
  await res.loaderExit;
  const rec = readRecording(out);
  const codes = new Map(
    (await Deno.readTextFile(status)).trim().split("\n").map((l) => {
      const [id, rc] = l.split(" ");
      return [id, Number(rc)];
    }),
  );
  const results = techniques.map((t): Result => {
    const dir = `${work}/${t.id}`;
    const exitCode = codes.get(t.id) ?? -1;
    const exec = rec.process.find((p) =>
      p.kind === "exec" && p.filename === bins.get(t.program) && p.argv?.[1] === dir
    );
    if (!exec) {
      return { technique: t, status: "not seen", evidence: "its exec was not recorded", exitCode };
    }
    const outcome = t.check(evidenceOf(rec, exec.pid, dir));
    return { technique: t, ...outcome, exitCode };
  });
  for (const r of results) log(`${r.technique.id}: ${r.status} (${r.evidence})`);
  return { results, rec };
}
