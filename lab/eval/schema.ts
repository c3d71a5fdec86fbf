/**
 * The tables of a link evaluation, declared once: `eval_markers` (what the scenario says each
 * tool call touches: its oracle) and `eval_truth` (the links the script implies, built by
 * `eval_truth.sql` from kernel facts without the correlator's heuristics); for MCP,
 * `eval_mcp_actions` (the scenario's MCP tool calls, each with its server's command and its
 * marker), `eval_mcp_processes` (the servers' processes) and `eval_mcp_truth` (what each MCP
 * action caused), built by the `.sql` files named after them.
 */
import { col, opt, table } from "../../kit/columns.ts";

export const evalMarkersTable = table(
  "eval_markers",
  "From the scenario: the marker the n-th tool call of a session names and how it acts.",
  [
    col("recording", "utf8", "the recording"),
    col("tool_index", "int64", "position of the tool call in its session, from 1"),
    col("marker", "utf8", "the marker (e.g. `m4_delta`): only this tool call names it"),
    col("action", "utf8", "`run`, `read` or `write` (the scenario's tool action)"),
  ] as const,
);

export const evalTruthTable = table(
  "eval_truth",
  "The expected links: each (tool call, event) pair the script implies.",
  [
    col("recording", "utf8", "the recording"),
    col("tool_call_id", "int64", "the tool call"),
    col("event_table", "utf8", "`process`, `file` or `net`"),
    col("event_id", "int64", "the event (see `actions.event_id`)"),
  ] as const,
);

export const EVAL_TABLES = [evalMarkersTable, evalTruthTable] as const;

export const evalMcpActionsTable = table(
  "eval_mcp_actions",
  "From the scenario: each MCP tool call it asks for, with its server and marker.",
  [
    col("recording", "utf8", "the recording"),
    col("action_index", "int64", "position of the MCP action in the scenario, from 1"),
    col("server", "utf8", "the server's name in the agent's configuration (e.g. `fs`)"),
    col("command", "utf8", "the server's configured command: its processes' argv holds it"),
    col("tool", "utf8", "the MCP tool"),
    col(
      "names",
      "list_utf8",
      "the names the lab's scripted server knows the tool by in any agent's request " +
        "(`mcpToolNames`, the bare tool, each also with Codex's `_` for other characters)",
    ),
    opt(
      "marker",
      "utf8",
      "the marker its arguments name (e.g. `m4_delta`), named by no other action; null when " +
        "the action is the scenario's only call of its tool",
    ),
  ] as const,
);

export const evalMcpTruthTable = table(
  "eval_mcp_truth",
  "What each MCP action of the scenario caused: its LLM tool call, its `tools/call`, and the " +
    "file events of its server's processes on its marker's path (null event for the pair of " +
    "calls alone).",
  [
    col("recording", "utf8", "the recording"),
    col("action_index", "int64", "the MCP action"),
    col("tool_call_id", "int64", "its LLM tool call"),
    opt("mcp_call_id", "int64", "its `tools/call`, when one was recorded"),
    opt("event_table", "utf8", "`file` for an event it caused; null on the calls' own row"),
    opt("event_id", "int64", "the event (see `actions.event_id`)"),
  ] as const,
);

export const evalMcpProcessesTable = table(
  "eval_mcp_processes",
  "Each process incarnation of each configured MCP server: those that executed its command, " +
    "and all they started (from `process` and `processes`, parent by parent).",
  [
    col("recording", "utf8", "the recording"),
    col("server", "utf8", "the server's name in the agent's configuration"),
    col("pid", "int32", "process id"),
    col("start_ns", "int64", "start of the incarnation (`processes.start_ns`)"),
  ] as const,
);

export const EVAL_MCP_TABLES = [
  evalMcpActionsTable,
  evalMcpProcessesTable,
  evalMcpTruthTable,
] as const;
