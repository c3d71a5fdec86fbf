/**
 * `deno task eval [-- --agents claude,gemini,codex] [--runs N] [--out DIR] [--min 0.95]
 * [--window-ms MS] [--no-brackets] [RECORDING...]`: measures link precision and recall on the
 * real agents (as root: they run under capture) against the truth of
 * `lab/scenarios/eval_links.json`, or re-scores recordings of it. Exits 1 when an agent's
 * precision or recall (over all events or key events) is below --min, 2 for bad usage.
 */
import { runCommand, stopOnSignals, usageError } from "../../kit/cli.ts";
import { CORE_AGENTS } from "../agents/mod.ts";
import { DEFAULT_SETTINGS } from "../../analysis/correlate/settings.ts";
import { byAgent, formatEval, linkShortfalls, runEval } from "./eval.ts";
import { type EvalRunOptions, evalVerdict, parseEvalCommand, runsDir } from "./eval_cli.ts";

export interface EvalCliOptions extends EvalRunOptions {
  windowMs: number;
  brackets: boolean;
}

export function parseEvalArgs(args: string[]): EvalCliOptions {
  const { common, values } = parseEvalCommand(args, "eval", CORE_AGENTS, {
    "window-ms": { type: "string", default: String(DEFAULT_SETTINGS.windowMs) },
    "no-brackets": { type: "boolean", default: false },
  });
  const windowMs = Number(values["window-ms"]);
  if (!(windowMs > 0)) throw usageError("--window-ms: expected milliseconds > 0");
  return { ...common, windowMs, brackets: !values["no-brackets"] };
}

/** Runs the evaluation; returns the exit code. */
export async function run(
  o: EvalCliOptions,
  out = console.log,
  err = console.error,
): Promise<number> {
  const outDir = runsDir(o);
  const r = await runEval({
    agents: o.agents,
    runs: o.runs,
    outDir,
    recordings: o.recordings,
    settings: { ...DEFAULT_SETTINGS, windowMs: o.windowMs, brackets: o.brackets },
    progress: err,
  });
  out(formatEval(r).trimEnd());
  return evalVerdict("eval", { ...o, outDir }, r, byAgent(r.scores), linkShortfalls, out, err);
}

const USAGE = "usage: deno task eval [--agents claude,gemini,codex] [--runs N] [--out DIR] " +
  "[--min X] [--window-ms MS] [--no-brackets] [RECORDING...]";

if (import.meta.main) {
  stopOnSignals("eval");
  await runCommand("eval", USAGE, async (args) => await run(parseEvalArgs(args)));
}
