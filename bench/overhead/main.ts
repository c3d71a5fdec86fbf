/**
 * `deno task bench [--quick] [--agent claude,gemini,codex] [--workload understand,write,compile]
 * [--timing realistic,zero] [--runs N] [--target PCT [--max-runs N] [--minutes M] [--decide]] [--seed N]
 * [--note TEXT] [--out DIR] [--no-gate] [--idle-capture]`: the capture-overhead benchmark on real agents (see
 * run.ts). Prints a line per run and the table; writes overhead.md, .json and .svg to --out
 * (default reports/bench). Exits 0 when every run succeeded, 1 when some failed or on an error,
 * 2 on a bad command line; never on a speed.
 */
import { parseCommand, runCommand, stopOnSignals, usageError, userPath } from "../../kit/cli.ts";
import { AGENT_NAMES, type AgentName } from "../../lab/agents/agent_profile.ts";
import { type ProbeCosts, whereTimeGoes, writeOverheadReport } from "./report.ts";
import { run } from "./run.ts";
import { TIMING_MODES, type TimingMode } from "./transcripts.ts";
import { WORKLOAD_NAMES, type WorkloadName } from "./workloads.ts";

const USAGE = "usage: deno task bench [--quick] [--agent claude,gemini,codex] " +
  "[--workload understand,write,compile] [--timing realistic,zero] [--runs N] " +
  "[--target PCT [--max-runs N] [--minutes M] [--decide]] [--seed N] [--note TEXT] [--out DIR] [--no-gate] " +
  "[--idle-capture]";

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
  }, { positionals: false });
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
  const r = await run({ ...opts, log: (l) => console.error(l) });
  // the capture benchmark's per-operation costs, when it has run, explain the slow-down
  const costs = await Deno.readTextFile(`${opts.out}/capture.json`)
    .then((t) => JSON.parse(t) as ProbeCosts).catch(() => undefined);
  const md = await writeOverheadReport(opts.out, r, costs ? whereTimeGoes(r, costs) : "");
  console.log(md.split("\n## Method")[0]);
  if (costs) console.log(whereTimeGoes(r, costs));
  console.log(`written: ${opts.out}/overhead.md, overhead.json, overhead.svg`);
  return r.runs.every((m) => m.ok) ? 0 : 1;
}

if (import.meta.main) {
  stopOnSignals("bench");
  await runCommand("bench", USAGE, main);
}
