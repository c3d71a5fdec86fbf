/**
 * `deno task eval:mcp [-- --agents claude,gemini] [--runs N] [--out DIR] [--min 0.95]
 * [--report FILE] [RECORDING...]`: measures the MCP attribution, signal by signal, on the real
 * agents (as root: they run under capture) with two MCP servers and overlapping calls
 * (`lab/scenarios/eval_mcp.json`), or re-scores recordings of it, and writes the report
 * (default `reports/eval_mcp.md`). Exits 1 when an agent falls short of what a user would
 * accept (`mcpShortfalls`), 2 for bad usage.
 */
import { fileURLToPath } from "node:url";
import { runCommand, stopOnSignals, userNewPath } from "../../kit/cli.ts";
import type { AgentName } from "../agents/mod.ts";
import { formatMcpEval, mcpByAgent, mcpShortfalls, runMcpEval } from "./mcp_eval.ts";
import { type EvalRunOptions, evalVerdict, parseEvalCommand, runsDir } from "./eval_cli.ts";

export const DEFAULT_REPORT = fileURLToPath(new URL("../../reports/eval_mcp.md", import.meta.url));
export const MCP_EVAL_AGENTS: AgentName[] = ["claude", "gemini", "codex"];

export interface McpEvalCliOptions extends EvalRunOptions {
  report: string;
}

export function parseMcpEvalArgs(args: string[]): McpEvalCliOptions {
  const { common, values } = parseEvalCommand(args, "eval-mcp", MCP_EVAL_AGENTS, {
    report: { type: "string" },
  });
  return { ...common, report: values.report ? userNewPath(values.report) : DEFAULT_REPORT };
}

/** Runs the evaluation, writes the report; returns the exit code. */
export async function run(
  o: McpEvalCliOptions,
  out = console.log,
  err = console.error,
): Promise<number> {
  const outDir = runsDir(o);
  const r = await runMcpEval({
    agents: o.agents,
    runs: o.runs,
    outDir,
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
  return evalVerdict(
    "eval:mcp",
    { ...o, outDir },
    r,
    mcpByAgent(r.scores),
    mcpShortfalls,
    out,
    err,
  );
}

const USAGE = "usage: deno task eval:mcp [--agents claude,gemini,codex] [--runs N] [--out DIR] " +
  "[--min X] [--report FILE] [RECORDING...]";

if (import.meta.main) {
  stopOnSignals("eval:mcp");
  await runCommand("eval:mcp", USAGE, async (args) => await run(parseMcpEvalArgs(args)));
}
