/**
 * Public face of the analysis: turns a Sightline recording (raw TLS plaintext and kernel
 * events in Arrow files) into the tables a user asks questions of — every HTTP exchange, every
 * LLM call with its prompt, answer, tool calls, tokens, latency and cost, every process with
 * the agent it belongs to — in `analysis.duckdb` beside the recording; queries over many
 * recordings; and the model-server transcript of a captured session, to replay it.
 *
 * Commands: `deno task analyze RECORDING...`, `deno task sql RECORDING... -- "SELECT ..."`.
 * Table reference: `analysis/SCHEMA.md` (generated from `schema.ts`).
 */

export {
  analyzeRecording,
  DB_FILE,
  formatSummary,
  type RecordingSummary,
  run as analyze,
} from "./analyze.ts";
export { run as sql, type SqlOptions } from "./sql.ts";
export { buildHttpTables, type BuildOptions, type HttpTables } from "./http_tables.ts";
export {
  type Connection,
  type DirectionStream,
  rebuildConnections,
  type StreamBreak,
  type TlsView,
  tlsView,
  tsAt,
} from "./byte_streams.ts";
export { type ConnectionResult, type Exchange, parseConnection } from "./connection_parser.ts";
export { NotARecording, openRecording, type RecordingInput } from "./recording_input.ts";
export {
  costOf,
  DEFAULT_PRICES,
  loadPrices,
  type Price,
  priceFor,
  type PriceTable,
} from "./pricing.ts";
export { routeLlmCall } from "./llm/route.ts";
export { readCall } from "./llm/read_call.ts";
export type { Provider, RequestInfo, ResponseInfo, ToolCallOut, Usage } from "./llm/shapes.ts";
export * from "./schema.ts";
export { formatResult, type OutputFormat, type ResultSet } from "./table_output.ts";
