/**
 * What the two evaluations' command lines (eval_main.ts, mcp_eval_main.ts) share: the options
 * `--agents`, `--runs`, `--out` and `--min` with recordings to re-score as positionals, and the
 * verdict: exit 0 when every run was recorded and scored and no agent fell short of --min, 1
 * otherwise, each shortfall said in one line.
 */
import {
  intOption,
  listOption,
  newTimestampedDir,
  type Options,
  outDirOption,
  parseCommand,
  usageError,
  userPath,
} from "../../kit/cli.ts";
import { AGENT_NAMES, type AgentName } from "../agents/mod.ts";

/** The options every evaluation takes. */
export interface EvalRunOptions {
  /** the command's name, its default output's (recordings/<time>-NAME) */
  name: string;
  agents: AgentName[];
  runs: number;
  /** --out; none: a new timestamped directory when runs are recorded (runsDir) */
  outDir?: string;
  min: number;
  recordings: string[];
}

/**
 * Parses an evaluation's arguments: the shared options (agents by default `agents`, output in
 * a timestamped directory `name`) and the evaluation's own `options`, whose values come back
 * as parsed.
 */
export function parseEvalCommand<const O extends Options>(
  args: string[],
  name: string,
  agents: readonly AgentName[],
  options: O,
) {
  const p = parseCommand(args, {
    agents: { type: "string", default: agents.join(",") },
    runs: { type: "string", default: "1" },
    out: { type: "string" },
    min: { type: "string", default: "0.95" },
    ...options,
  });
  const v = p.values as Record<string, string | undefined>;
  const runs = intOption("runs", v.runs, 1)!;
  const min = Number(v.min);
  if (!(min >= 0 && min <= 1)) throw usageError("--min: expected a number in [0, 1]");
  const common: EvalRunOptions = {
    name,
    agents: listOption("agents", v.agents!, AGENT_NAMES, "agent"),
    runs,
    outDir: outDirOption(v.out),
    min,
    recordings: p.positionals.map(userPath),
  };
  return { common, values: p.values };
}

/**
 * Where an evaluation records its runs: --out, else a new `recordings/<time>-NAME`, made now
 * (kit/cli.ts newTimestampedDir: one per run, however many start in the same second); none
 * when it re-scores recordings.
 */
export function runsDir(o: EvalRunOptions): string | undefined {
  return o.recordings.length ? undefined : o.outDir ?? newTimestampedDir(o.name);
}

/**
 * The exit code of an evaluation's run, saying where the recordings went (when it made them)
 * and each agent's shortfalls (`shortfalls` gives them for one agent), one line each, prefixed
 * with the command's `name`.
 */
export function evalVerdict<E>(
  name: string,
  o: EvalRunOptions,
  r: { failures: unknown[]; scores: unknown[] },
  agents: Map<string, E>,
  shortfalls: (agent: string, e: E, min: number) => string[],
  out: (line: string) => void,
  err: (line: string) => void,
): number {
  if (!o.recordings.length) out(`recordings: ${o.outDir}`);
  let ok = r.failures.length === 0 && r.scores.length > 0;
  for (const [agent, e] of agents) {
    for (const line of shortfalls(agent, e, o.min)) {
      err(`${name}: ${line}`);
      ok = false;
    }
  }
  return ok ? 0 : 1;
}
