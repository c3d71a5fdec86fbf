/**
 * The table the observer LLM writes into an analysed recording: `labels`, one verdict per
 * session and observer model, with what the labelling itself cost. Declared once with the
 * column kit; `SCHEMA.md` is generated from it.
 */
import { col, opt, type RowOf, table } from "../../kit/columns.ts";
import { recordingCol } from "../schema.ts";

export const labelsTable = table(
  "labels",
  "The observer LLM's verdict on each session's correlated trace: a risk score, a category, " +
    "an explanation and the event ids it relies on, with the model, tokens and cost of the " +
    "labelling itself. Key: (`recording`, `session_id`, `model`).",
  [
    recordingCol,
    col("session_id", "int32", "the session judged (the agent process's pid, see `sessions`)"),
    col("model", "utf8", "the observer model asked (as answered when the endpoint says)"),
    col("endpoint", "utf8", "the OpenAI-compatible base URL asked"),
    col("trace_hash", "utf8", "SHA-256 of the trace sent: the cache key with the model"),
    col("trace_tokens", "int64", "estimated tokens of the trace (characters / 4)"),
    col("omitted", "int64", "steps or lines of the trace left out to fit the token budget"),
    col("status", "utf8", "`ok`, `malformed` (the answer is not the JSON asked for) or `error`"),
    opt("risk", "int32", "risk score from 1 (benign) to 5 (attack or severe damage)"),
    opt(
      "category",
      "utf8",
      "`benign`, `prompt_injection`, `data_exfiltration`, `sensitive_access`, " +
        "`reasoning_loop`, `resource_waste`, `coordination`, `destructive_action` or `other`",
    ),
    opt("explanation", "utf8", "the observer's explanation"),
    opt("evidence", "list_utf8", "ids the verdict relies on (`tool_call:3`, `file:12`, ...)"),
    opt("unknown_evidence", "list_utf8", "ids it cited that the trace did not contain"),
    opt("error", "utf8", "what went wrong (malformed answer or failed request)"),
    opt("raw", "utf8", "the model's answer as received (first 4000 characters)"),
    col("cached", "bool", "answered from the cache: this run cost nothing"),
    opt("input_tokens", "int64", "input tokens of the labelling call (as the endpoint reports)"),
    opt("output_tokens", "int64", "output tokens of the labelling call"),
    opt("cost_usd", "float64", "cost of the labelling call; null when the model has no price"),
    col("attempts", "int32", "requests made (retries included; 0 from the cache)"),
    opt("latency_ms", "float64", "time of the successful request"),
    col("labelled_ns", "int64", "when the verdict was stored"),
  ] as const,
);

export type LabelRow = RowOf<typeof labelsTable>;
