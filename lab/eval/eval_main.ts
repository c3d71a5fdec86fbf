/**
 * `deno task eval [-- --agents claude,gemini,codex] [--runs N] [--out DIR] [--min 0.95]
 * [--window-ms MS] [--no-brackets] [RECORDING...]`: measures link precision and recall on the
 * real agents (as root: they run under capture) against the truth of
 * `lab/scenarios/eval_links.json`, or re-scores recordings of it. Exits 1 when an agent's
 * precision or recall (over all events or key events) is below --min, 2 for bad usage.
 */
import {
  parseCommand,
  runCommand,
  stopOnSignals,
  timestampedDir,
  usageError,
  userPath,
} from "../../kit/cli.ts";
import { AGENT_NAMES, type AgentName, CORE_AGENTS } from "../agents/mod.ts";
import { DEFAULT_SETTINGS } from "../../analysis/correlate/settings.ts";
import { byAgent, formatEval, precision, recall, runEval } from "./eval.ts";

export interface EvalCliOptions {
  agents: AgentName[];
  runs: number;
  outDir: string;
  min: number;
  windowMs: number;
  brackets: boolean;
  recordings: string[];
}

export function parseEvalArgs(args: string[]): EvalCliOptions {
  const p = parseCommand(args, {
    agents: { type: "string", default: CORE_AGENTS.join(",") },
    runs: { type: "string", default: "1" },
    out: { type: "string" },
    min: { type: "string", default: "0.95" },
    "window-ms": { type: "string", default: String(DEFAULT_SETTINGS.windowMs) },
    "no-brackets": { type: "boolean", default: false },
  });
  const agents = p.values.agents.split(",").map((a) => a.trim()).filter(Boolean);
  for (const a of agents) {
    if (!(AGENT_NAMES as readonly string[]).includes(a)) {
      throw usageError(`--agents: unknown agent ${JSON.stringify(a)}`);
    }
  }
  const runs = Number(p.values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    throw usageError("--runs: expected a whole number >= 1");
  }
  const min = Number(p.values.min);
  if (!(min >= 0 && min <= 1)) throw usageError("--min: expected a number in [0, 1]");
  const windowMs = Number(p.values["window-ms"]);
  if (!(windowMs > 0)) throw usageError("--window-ms: expected milliseconds > 0");
  return {
    agents: agents as AgentName[],
    runs,
    outDir: p.values.out ? userPath(p.values.out) : timestampedDir("eval"),
    min,
    windowMs,
    brackets: !p.values["no-brackets"],
    recordings: p.positionals.map(userPath),
  };
}

/** Runs the evaluation; returns the exit code. */
export async function run(
  o: EvalCliOptions,
  out = console.log,
  err = console.error,
): Promise<number> {
  const r = await runEval({
    agents: o.agents,
    runs: o.runs,
    outDir: o.outDir,
    recordings: o.recordings,
    settings: { ...DEFAULT_SETTINGS, windowMs: o.windowMs, brackets: o.brackets },
    progress: err,
  });
  out(formatEval(r).trimEnd());
  if (!o.recordings.length) out(`recordings: ${o.outDir}`);
  let ok = r.failures.length === 0 && r.scores.length > 0;
  for (const [agent, e] of byAgent(r.scores)) {
    for (
      const [what, v] of [
        ["precision", precision(e.all)],
        ["recall", recall(e.all)],
        ["key-event precision", precision(e.key)],
        ["key-event recall", recall(e.key)],
      ] as const
    ) {
      if (v < o.min) {
        err(`eval: ${agent}: ${what} ${v.toFixed(3)} is below ${o.min}`);
        ok = false;
      }
    }
  }
  return ok ? 0 : 1;
}

const USAGE = "usage: deno task eval [--agents claude,gemini,codex] [--runs N] [--out DIR] " +
  "[--min X] [--window-ms MS] [--no-brackets] [RECORDING...]";

if (import.meta.main) {
  stopOnSignals("eval");
  await runCommand("eval", USAGE, async (args) => await run(parseEvalArgs(args)));
}
