/**
 * The tables of a link evaluation, declared once: `eval_markers` (what the scenario says each
 * tool call touches: its oracle) and `eval_truth` (the links the script implies, built by
 * `eval_truth.sql` from kernel facts without the correlator's heuristics).
 */
import { col, table } from "../../kit/columns.ts";

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
