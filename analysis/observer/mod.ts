/**
 * The observer LLM ("AI to watch AI"): each session's correlated trace, compact and within a
 * token budget, goes to an OpenAI-compatible endpoint for a JSON verdict — risk 1-5, category,
 * explanation, the event ids it relies on — stored in `labels` with the model, tokens and cost
 * of the labelling itself (`deno task label`). See `README.md`.
 */
export { type LabelOptions, type LabelSummary, pool, runLabel } from "./label.ts";
export { buildTrace, estimateTokens, sha256, type Trace, type TraceOptions } from "./trace.ts";
export {
  CATEGORIES,
  type Category,
  observerMessages,
  PROMPT_VERSION,
  SYSTEM_PROMPT,
} from "./prompt.ts";
export { extractJsonObject, MalformedVerdict, parseVerdict, type Verdict } from "./verdict.ts";
export {
  type Answer,
  ask,
  type AskOptions,
  type EndpointOptions,
  makeClient,
  retryable,
} from "./client.ts";
export { AnswerCache, DEFAULT_CACHE_DIR } from "./cache.ts";
export { type LabelRow, labelsTable } from "./schema.ts";
