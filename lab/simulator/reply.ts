/**
 * The provider-neutral model reply that the scripted server renders into each provider's wire
 * format: optional thinking, optional text, tool calls already mapped onto a tool the client
 * offered, the model name and the token usage to report.
 */

/** Token counts a reply reports. All are whole numbers >= 0. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** Prompt tokens served from the provider's cache. */
  cacheReadTokens: number;
  /** Prompt tokens written to the cache (Anthropic only; others have no such field). */
  cacheWriteTokens: number;
  /** Output tokens spent on thinking (part of outputTokens). */
  reasoningTokens: number;
}

/** One call of a tool the client offered, with its final arguments. */
export interface ToolCall {
  /** The tool's name exactly as the client declared it. */
  name: string;
  /**
   * "function": JSON arguments; "custom": free-form text input (OpenAI custom tools);
   * "tool_search": a Responses API tool search (args `{query, limit}`) to load deferred tools.
   */
  kind: "function" | "custom" | "tool_search";
  /** Responses API: the namespace of a function declared inside one. */
  namespace?: string;
  /** JSON arguments for "function" tools. */
  args?: Record<string, unknown>;
  /** Text input for "custom" tools. */
  input?: string;
}

/** A web search the provider ran within the answer (its hosted search tool), and what it found. */
export interface WebSearch {
  query: string;
  results: { url: string; title: string }[];
}

/** What the server answers to one request, before rendering. */
export interface Reply {
  model: string;
  thinking?: string;
  /** a search the provider's hosted tool ran before the text (the request offered it) */
  search?: WebSearch;
  text?: string;
  /** the model declines: this text, as each API says a refusal */
  refusal?: string;
  /** the answer ran out of output tokens (each API's own way of saying so) */
  maxTokens?: boolean;
  toolCalls: ToolCall[];
  usage: Usage;
  /** Seed for the deterministic ids and signatures in the rendered response. */
  seed: string;
  /** Unix seconds to put in "created" fields. */
  created: number;
}

/** The rendered HTTP response: status, headers and the body as a list of chunks to write. */
export interface RenderedResponse<Chunk extends string | Uint8Array = string> {
  status: number;
  headers: Record<string, string>;
  /**
   * Body pieces, written and flushed one by one (one SSE event each when streaming; one AWS
   * event-stream message each for Bedrock).
   */
  chunks: Chunk[];
  streaming: boolean;
  /**
   * How the body ends after its chunks: normally (absent), or the transport drops it ("close":
   * no last chunk on HTTP/1.1, RST_STREAM on HTTP/2, no close frame on a WebSocket), at once or
   * after `stallMs` of silence.
   */
  cut?: { stallMs?: number };
}

/** Renders a JSON body as a one-chunk response. */
export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  indent?: number,
): RenderedResponse {
  return {
    status,
    headers: { "content-type": "application/json", ...headers },
    chunks: [JSON.stringify(body, null, indent)],
    streaming: false,
  };
}
