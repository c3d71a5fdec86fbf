/**
 * `deno task bench [--quick] [--agent claude,gemini,codex] [--workload understand,write,compile]
 * [--timing realistic,zero] [--runs N] [--target PCT [--max-runs N] [--minutes M] [--decide]] [--seed N]
 * [--note TEXT] [--out DIR] [--no-gate] [--idle-capture]`: the capture-overhead benchmark on real agents (see
 * run.ts). Prints a line per run and the table; writes overhead.md, .json and .svg to --out
 * (default reports/bench). Exits 0 when every run succeeded, 1 when some failed or on an error,
 * 2 on a bad command line; never on a speed. As it goes it appends every run to
 * OUT/overhead.partial.jsonl (partial.ts), removed once the report is written;
 * `deno task bench --continue FILE` goes on with an interrupted run from that file, with its
 * options.
 */
import { parseCommand, runCommand, stopOnSignals, usageError, userPath } from "../../kit/cli.ts";
import { AGENT_NAMES, type AgentName } from "../../lab/agents/agent_profile.ts";
import { type ProbeCosts, whereTimeGoes, writeOverheadReport } from "./report.ts";
import { type Cell, type OverheadOptions, run, type StoredOptions } from "./run.ts";
import { type Partial, PARTIAL_FILE, PartialLog, readPartial } from "./partial.ts";
import { TIMING_MODES, type TimingMode } from "./transcripts.ts";
import { WORKLOAD_NAMES, type WorkloadName } from "./workloads.ts";

const USAGE = "usage: deno task bench [--quick] [--agent claude,gemini,codex] " +
  "[--workload understand,write,compile] [--timing realistic,zero] [--runs N] " +
  "[--target PCT [--max-runs N] [--minutes M] [--decide]] [--seed N] [--note TEXT] [--out DIR] [--no-gate] " +
  "[--idle-capture] | --continue FILE";

function positive(name: string, v: string, int = true): number {
  const ok = int ? /^[1-9]\d*$/.test(v) : /^(\d+\.?\d*|\.\d+)$/.test(v) && Number(v) > 0;
  if (!ok) throw usageError(`--${name} wants a positive ${int ? "whole " : ""}number, got "${v}"`);
  return Number(v);
}

export const DEFAULT_OUT = new URL("../../reports/bench", import.meta.url).pathname;

function list<T extends string>(v: string | undefined, all: readonly T[], what: string): T[] {
  if (v === undefined) return [...all];
  const xs = v.split(",").map((x) => x.trim()).filter(Boolean);
  for (const x of xs) {
    if (!all.includes(x as T)) {
      throw usageError(`--${what}: unknown "${x}" (${all.join(", ")})`);
    }
  }
  if (!xs.length) throw usageError(`--${what}: empty`);
  return xs as T[];
}

/** Runs the benchmark as the command line says; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const { values } = parseCommand(args, {
    quick: { type: "boolean", default: false },
    agent: { type: "string" },
    workload: { type: "string" },
    runs: { type: "string" },
    timing: { type: "string" },
    target: { type: "string" },
    "max-runs": { type: "string" },
    minutes: { type: "string" },
    seed: { type: "string" },
    decide: { type: "boolean", default: false },
    note: { type: "string" },
    out: { type: "string" },
    "no-gate": { type: "boolean", default: false },
    "idle-capture": { type: "boolean", default: false },
    continue: { type: "string" },
  }, { positionals: false });
  if (values.continue !== undefined) {
    if (args.length !== 2 && !(args.length === 1 && args[0].startsWith("--continue="))) {
      throw usageError(
        "--continue FILE goes on with the options the run was started with: no others",
      );
    }
    const file = userPath(values.continue);
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
  const adaptive = values.target !== undefined;
  if (
    !adaptive && (values["max-runs"] !== undefined || values.minutes !== undefined || values.decide)
  ) {
    throw usageError("--max-runs, --minutes and --decide go with --target (adaptive runs)");
  }
  const runs = positive("runs", values.runs ?? (values.quick ? "2" : "5"));
  const opts = {
    quick: values.quick,
    // quick mode (CI) runs Claude Code only unless told otherwise
    agents: list<AgentName>(
      values.agent ?? (values.quick ? "claude" : undefined),
      AGENT_NAMES,
      "agent",
    ),
    workloads: list<WorkloadName>(values.workload, WORKLOAD_NAMES, "workload"),
    runs,
    // quick mode (CI) keeps the fast zero-latency table unless told otherwise
    timings: list<TimingMode>(
      values.timing ?? (values.quick ? "zero" : undefined),
      TIMING_MODES,
      "timing",
    ),
    timingSeed: values.seed === undefined ? 1 : positive("seed", values.seed),
    adaptive: adaptive
      ? {
        targetHalfWidth: positive("target", values.target!, false) / 100,
        maxPairs: positive("max-runs", values["max-runs"] ?? "40"),
        budgetMs: positive("minutes", values.minutes ?? "60", false) * 60_000,
        decide: values.decide,
      }
      : undefined,
    out: values.out ? userPath(values.out) : DEFAULT_OUT,
    captureArgs: values["no-gate"] ? ["--no-gate"] : [],
    idleCapture: values["idle-capture"],
    note: values.note,
  };
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
