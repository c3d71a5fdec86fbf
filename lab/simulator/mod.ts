/**
 * The scripted model server: a local HTTPS stand-in for the Anthropic, OpenAI (Responses and
 * Chat Completions) and Gemini APIs (and Anthropic on Bedrock and Vertex AI, OpenAI on Azure,
 * by the clouds' routes) that plays scenario files or replays transcripts, so real
 * agents run offline and deterministically. See `lab/scenarios/README.md` for the formats.
 */

export { checkTransportFlags, inputErrorAsUsage } from "./cli_rules.ts";
export { type ModelServer, type ModelServerOptions, startModelServer } from "./server.ts";
export { WEBSOCKET_COMPRESSIONS, type WebSocketCompression } from "./websocket_session.ts";
export { type Route, routeRequest } from "./routes.ts";
export { errorResponse } from "./provider_api.ts";
export {
  type Condition,
  loadScenario,
  MCP_SERVER_NAMES,
  type McpServerSpec,
  type McpTransport,
  type PageRoute,
  type PageSpec,
  parseScenario,
  type Scenario,
  ScenarioError,
  scenarioOf,
  type Sequencing,
  type ToolAction,
  type Turn,
  type UsageSpec,
} from "./scenario.ts";
export {
  bodyFields,
  checkTranscriptPath,
  emptyTranscript,
  exchangeBody,
  loadTranscript,
  parseTranscript,
  saveTranscript,
  type Transcript,
  TranscriptError,
  type TranscriptExchange,
  transcriptOf,
} from "./transcript.ts";
export {
  exchangeDelays,
  type ModelTiming,
  REALISTIC_TIMING,
  timeTranscript,
  type TimingProfile,
  timingSummary,
} from "./timing.ts";
export { redactHeaders, type RequestRecord } from "./request_log.ts";
export { classifyRequest, type RequestKind, type SideKind } from "./request_kind.ts";
export {
  inspectRequest,
  type OfferedTool,
  type Provider,
  type RequestView,
  type ToolResultView,
} from "./request_view.ts";
export { DEFAULT_MODELS, DEFAULT_USAGE } from "./script_player.ts";
export { commandOutput } from "./tool_output.ts";
export { DEFAULT_CA_DIR, ensureCertificates, type ServerCertificates } from "./tls_ca.ts";
export { hostsFile, type PageRequest, type PageServer, pageVars, startPage } from "./web_pages.ts";
