/**
 * The overhead benchmark's command line (`deno task bench`, bench/overhead/main.ts) read into
 * what to do: a new run's options (defaults of quick mode, the CI's, included), or the partial
 * results file of an interrupted run to go on with (`--continue FILE`, no other option). Each
 * bad input is a usage error of one line (exit 2).
 */
import { filePath } from "../../kit/file_path.ts";
import { listOption, parseCommand, usageError, userNewPath, userPath } from "../../kit/cli.ts";
import { AGENT_NAMES, type AgentName } from "../../lab/agents/agent_profile.ts";
import type { StoredOptions } from "./run.ts";
import { TIMING_MODES, type TimingMode } from "./transcripts.ts";
import { WORKLOAD_NAMES, type WorkloadName } from "./workloads.ts";

export const USAGE = "usage: deno task bench [--quick] [--agent claude,gemini,codex] " +
  "[--workload understand,write,compile] [--timing realistic,zero] [--runs N] " +
  "[--target PCT [--max-runs N] [--minutes M] [--decide]] [--seed N] [--note TEXT] [--out DIR] [--no-gate] " +
  "[--idle-capture] | --continue FILE";

export const DEFAULT_OUT = filePath("../../reports/bench", import.meta.url);

/** A new run's options (and where it writes), or the partial results file to go on with. */
export type BenchCommand =
  | { options: StoredOptions & { out: string } }
  | { continueFrom: string };

function positive(name: string, v: string, int = true): number {
  const ok = int ? /^[1-9]\d*$/.test(v) : /^(\d+\.?\d*|\.\d+)$/.test(v) && Number(v) > 0;
  if (!ok) throw usageError(`--${name} wants a positive ${int ? "whole " : ""}number, got "${v}"`);
  return Number(v);
}

/** A list option of known names, all of them when not given; an empty one is a usage error. */
function list<T extends string>(v: string | undefined, all: readonly T[], what: string): T[] {
  if (v === undefined) return [...all];
  const xs = listOption(what, v, all, what);
  if (!xs.length) throw usageError(`--${what}: empty`);
  return xs;
}

/** Parses the command line. */
export function parseBenchArgs(args: string[]): BenchCommand {
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
    return { continueFrom: userPath(values.continue) };
  }
  const adaptive = values.target !== undefined;
  if (
    !adaptive && (values["max-runs"] !== undefined || values.minutes !== undefined || values.decide)
  ) {
    throw usageError("--max-runs, --minutes and --decide go with --target (adaptive runs)");
  }
  const runs = positive("runs", values.runs ?? (values.quick ? "2" : "5"));
  return {
    options: {
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
      out: values.out ? userNewPath(values.out) : DEFAULT_OUT,
      captureArgs: values["no-gate"] ? ["--no-gate"] : [],
      idleCapture: values["idle-capture"],
      note: values.note,
    },
  };
}
