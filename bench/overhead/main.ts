/**
 * `deno task bench [--quick] [--agent claude,gemini,codex] [--workload understand,write,compile]
 * [--timing realistic,zero] [--runs N] [--target PCT [--max-runs N] [--minutes M] [--decide]] [--seed N]
 * [--note TEXT] [--out DIR] [--no-gate] [--idle-capture]`: the capture-overhead benchmark on real agents (see
 * run.ts). Prints a line per run and the table; writes overhead.md, .json and .svg to --out
 * (default reports/bench). Exits 0 when every run succeeded, 1 when some failed or on an error,
 * 2 on a bad command line; never on a speed. As it goes it appends every run to
 * OUT/overhead.partial.jsonl (partial.ts), removed once the report is written;
 * `deno task bench --continue FILE` goes on with an interrupted run from that file, with its
 * options. The command line is read by bench_args.ts.
 */
import { runCommand, stopOnSignals, usageError } from "../../kit/cli.ts";
import { type ProbeCosts, whereTimeGoes, writeOverheadReport } from "./report.ts";
import { type Cell, type OverheadOptions, run, type StoredOptions } from "./run.ts";
import { type Partial, PARTIAL_FILE, PartialLog, readPartial } from "./partial.ts";
import { parseBenchArgs, USAGE } from "./bench_args.ts";

/** Runs the benchmark as the command line says; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const command = parseBenchArgs(args);
  if ("continueFrom" in command) return await goOn(command.continueFrom);
  const opts = command.options;
  await Deno.mkdir(opts.out, { recursive: true });
  const partial = `${opts.out}/${PARTIAL_FILE}`;
  await Deno.writeTextFile(
    partial,
    JSON.stringify({
      kind: "start",
      options: opts,
      out: opts.out,
      date: new Date().toISOString(),
      load: Number((await Deno.readTextFile("/proc/loadavg")).split(" ")[0]),
    }) + "\n",
  );
  return await measure(opts, partial);
}

/** Goes on with the interrupted run of partial results file `file`, with its options. */
async function goOn(file: string): Promise<number> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    throw usageError(`--continue: cannot read ${file}: ${(e as Error).message}`);
  }
  let resume: Partial<StoredOptions, Cell>;
  try {
    resume = readPartial<StoredOptions, Cell>(text, file);
  } catch (e) {
    throw usageError(`--continue: ${(e as Error).message}`);
  }
  const date = new Date().toISOString();
  resume.resumed.push(date);
  new PartialLog<StoredOptions, Cell>(file).append({
    kind: "resumed",
    date,
    runs: resume.runs.length,
  });
  console.error(
    `bench: going on with ${file} (started ${resume.start.date}, ${resume.runs.length} runs so far)`,
  );
  return await measure({ ...resume.start.options, out: resume.start.out }, file, resume);
}

/** Runs (or goes on with) the benchmark, appending to `partial`; writes the report. */
async function measure(
  opts: StoredOptions & { out: string },
  partial: string,
  resume?: Partial<StoredOptions, Cell>,
): Promise<number> {
  const options: OverheadOptions = { ...opts, partial, resume, log: (l) => console.error(l) };
  const r = await run(options);
  // the capture benchmark's per-operation costs, when it has run, explain the slow-down
  const costs = await Deno.readTextFile(`${opts.out}/capture.json`)
    .then((t) => JSON.parse(t) as ProbeCosts).catch(() => undefined);
  const md = await writeOverheadReport(opts.out, r, costs ? whereTimeGoes(r, costs) : "");
  console.log(md.split("\n## Method")[0]);
  if (costs) console.log(whereTimeGoes(r, costs));
  console.log(`written: ${opts.out}/overhead.md, overhead.json, overhead.svg`);
  await Deno.remove(partial).catch(() => {}); // overhead.json has every run
  return r.runs.every((m) => m.ok) ? 0 : 1;
}

if (import.meta.main) {
  stopOnSignals("bench");
  await runCommand("bench", USAGE, main);
}
