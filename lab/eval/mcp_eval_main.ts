/**
 * `deno task eval:mcp [-- --agents claude,gemini] [--runs N] [--out DIR] [--min 0.95]
 * [--report FILE] [RECORDING...]`: measures the MCP attribution, signal by signal, on the real
 * agents (as root: they run under capture) with two MCP servers and overlapping calls
 * (`lab/scenarios/eval_mcp.json`), or re-scores recordings of it, and writes the report
 * (default `reports/eval_mcp.md`). Exits 1 when an agent falls short of what a user would
 * accept (`mcpShortfalls`), 2 for bad usage.
 */
import { fileURLToPath } from "node:url";
import {
  parseCommand,
  runCommand,
  stopOnSignals,
  timestampedDir,
  usageError,
  userPath,
} from "../../kit/cli.ts";
import { AGENT_NAMES, type AgentName } from "../agents/mod.ts";
import { formatMcpEval, mcpByAgent, mcpShortfalls, runMcpEval } from "./mcp_eval.ts";

export const DEFAULT_REPORT = fileURLToPath(new URL("../../reports/eval_mcp.md", import.meta.url));
export const MCP_EVAL_AGENTS: AgentName[] = ["claude", "gemini", "codex"];

export interface McpEvalCliOptions {
  agents: AgentName[];
  runs: number;
  outDir: string;
  min: number;
  report: string;
  recordings: string[];
}

export function parseMcpEvalArgs(args: string[]): McpEvalCliOptions {
  const p = parseCommand(args, {
    agents: { type: "string", default: MCP_EVAL_AGENTS.join(",") },
    runs: { type: "string", default: "1" },
    out: { type: "string" },
    min: { type: "string", default: "0.95" },
    report: { type: "string" },
  });
  const agents = p.values.agents.split(",").map((a) => a.trim()).filter(Boolean);
  for (const a of agents) {
    if (!(AGENT_NAMES as readonly string[]).includes(a)) {
      throw usageError(`--agents: unknown agent ${JSON.stringify(a)}`);
    }
  }
  const runs = Number(p.values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw usageError("--runs: expected a whole number >= 1");
  const min = Number(p.values.min);
  if (!(min >= 0 && min <= 1)) throw usageError("--min: expected a number in [0, 1]");
  return {
    agents: agents as AgentName[],
    runs,
    outDir: p.values.out ? userPath(p.values.out) : timestampedDir("eval-mcp"),
    min,
    report: p.values.report ? userPath(p.values.report) : DEFAULT_REPORT,
    recordings: p.positionals.map(userPath),
  };
}

/** Runs the evaluation, writes the report; returns the exit code. */
export async function run(
  o: McpEvalCliOptions,
  out = console.log,
  err = console.error,
): Promise<number> {
  const r = await runMcpEval({
    agents: o.agents,
    runs: o.runs,
    outDir: o.outDir,
    recordings: o.recordings,
    progress: err,
  });
  const header = [
    "# MCP attribution: precision and recall with two servers and overlapping calls",
    "",
    "<!-- written by `deno task eval:mcp` (lab/eval/mcp_eval_main.ts) -->",
    "",
    `Measured ${new Date().toISOString().slice(0, 16)} UTC on ${Deno.hostname()} (` +
    `${o.runs} run${o.runs > 1 ? "s" : ""} per agent), real agents under real capture against ` +
    "the scripted model server. The truth comes from the scenario, the JSON-RPC and kernel " +
    "facts (`lab/eval/eval_mcp_truth.sql`): a call's events are its server's file events on " +
    "the path its marker names; a server's processes are those that executed its configured " +
    "command and their descendants. See `lab/eval/mcp_eval.ts`.",
  ].join("\n");
  const text = formatMcpEval(r, header);
  out(text.trimEnd());
  await Deno.writeTextFile(o.report, text);
  out(`report: ${o.report}`);
  if (!o.recordings.length) out(`recordings: ${o.outDir}`);
  let ok = r.failures.length === 0 && r.scores.length > 0;
  for (const [agent, e] of mcpByAgent(r.scores)) {
    for (const line of mcpShortfalls(agent, e, o.min)) {
      err(`eval:mcp: ${line}`);
      ok = false;
    }
  }
  return ok ? 0 : 1;
}

const USAGE = "usage: deno task eval:mcp [--agents claude,gemini,codex] [--runs N] [--out DIR] " +
  "[--min X] [--report FILE] [RECORDING...]";

if (import.meta.main) {
  stopOnSignals("eval:mcp");
  await runCommand("eval:mcp", USAGE, async (args) => await run(parseMcpEvalArgs(args)));
}
