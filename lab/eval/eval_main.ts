/**
 * `deno task eval [-- --agents claude,gemini,codex] [--runs N] [--out DIR] [--min 0.95]
 * [--window-ms MS] [--no-brackets] [RECORDING...]`: measures link precision and recall on the
 * real agents (as root: they run under capture) against the truth of
 * `lab/scenarios/eval_links.json`, or re-scores recordings of it. Exits 1 when an agent's
 * precision or recall (over all events or key events) is below --min, 2 for bad usage.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { AGENT_NAMES, type AgentName } from "../agents/mod.ts";
import { DEFAULT_SETTINGS } from "../../analysis/correlate/settings.ts";
import { byAgent, formatEval, precision, recall, runEval } from "./eval.ts";

class UsageError extends Error {}

export interface EvalCliOptions {
  agents: AgentName[];
  runs: number;
  outDir: string;
  min: number;
  windowMs: number;
  brackets: boolean;
  recordings: string[];
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export function parseEvalArgs(args: string[]): EvalCliOptions {
  if (args[0] === "--") args = args.slice(1);
  let p;
  try {
    p = parseArgs({
      args,
      options: {
        agents: { type: "string", default: AGENT_NAMES.join(",") },
        runs: { type: "string", default: "1" },
        out: { type: "string" },
        min: { type: "string", default: "0.95" },
        "window-ms": { type: "string", default: String(DEFAULT_SETTINGS.windowMs) },
        "no-brackets": { type: "boolean", default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message.split("\n")[0]);
  }
  const agents = p.values.agents.split(",").map((a) => a.trim()).filter(Boolean);
  for (const a of agents) {
    if (!(AGENT_NAMES as readonly string[]).includes(a)) {
      throw new UsageError(`--agents: unknown agent ${JSON.stringify(a)}`);
    }
  }
  const runs = Number(p.values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new UsageError("--runs: expected a whole number >= 1");
  }
  const min = Number(p.values.min);
  if (!(min >= 0 && min <= 1)) throw new UsageError("--min: expected a number in [0, 1]");
  const windowMs = Number(p.values["window-ms"]);
  if (!(windowMs > 0)) throw new UsageError("--window-ms: expected milliseconds > 0");
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return {
    agents: agents as AgentName[],
    runs,
    outDir: p.values.out ?? join(ROOT, "recordings", `eval-${stamp}`),
    min,
    windowMs,
    brackets: !p.values["no-brackets"],
    recordings: p.positionals,
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

if (import.meta.main) {
  try {
    Deno.exit(await run(parseEvalArgs(Deno.args)));
  } catch (e) {
    console.error(`eval: ${(e as Error).message.split("\n")[0]}`);
    Deno.exit(e instanceof UsageError ? 2 : 1);
  }
}
