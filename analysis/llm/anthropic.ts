/**
 * Anthropic Messages API (`POST /v1/messages`): the request (system blocks, messages with
 * tool_result blocks, tools, output format) and the answer, streamed (`message_start`,
 * `content_block_*` deltas, `message_delta` with stop reason and usage, `message_stop`) or
 * as one message object.
 */
import {
  apiError,
  apiErrorType,
  arr,
  chatShape,
  compactJson,
  type Conversation,
  emptyRequest,
  emptyResponse,
  historyOf,
  hostedToolOf,
  isAssistant,
  isObj,
  joinNonEmpty,
  jsonText,
  mediaNote,
  notUnderstood,
  num,
  type Obj,
  type ReadOptions,
  type RequestInfo,
  type ResponseInfo,
  str,
  type StreamReader,
  textOf,
  textWithMedia,
  type ToolResultIn,
  type Usage,
  type UsageFields,
  usageFrom,
  wholeResponse,
} from "./shapes.ts";

/** The text blocks of a user message (a string is one). */
const userTexts = (m: Obj): string[] =>
  typeof m.content === "string"
    ? [m.content]
    : arr(m.content).filter(isObj).filter((b) => b.type === "text" && typeof b.text === "string")
      .map((b) => b.text as string);

export function anthropicRequest(body: unknown, opts: ReadOptions = {}): RequestInfo {
  const r = emptyRequest();
  if (!isObj(body)) return r;
  const shape = chatShape(body, r, ["system"]);
  const { messages, lastAssistant } = shape;
  const system = [textOf(body.system), ...shape.system];
  if (opts.conversation) r.conversation = conversationOf(body, messages);
  r.systemPrompt = joinNonEmpty(system);
  const user: string[] = [];
  const results: ToolResultIn[] = [];
  for (const m of messages.slice(lastAssistant + 1)) {
    if (m.role !== "user") continue;
    if (typeof m.content === "string") {
      user.push(m.content);
      continue;
    }
    for (const b of arr(m.content).filter(isObj)) {
      // text, and a note for each image or document (its bytes said by their size)
      const own = b.type === "text" ? str(b.text) : mediaNote(b);
      if (own !== undefined) user.push(own);
      if (b.type === "tool_result") {
        results.push({
          callId: str(b.tool_use_id),
          text: textWithMedia(b.content),
          isError: b.is_error === true,
        });
      }
    }
  }
  r.userInput = joinNonEmpty(user);
  r.toolResults = results;
  const cfg = isObj(body.output_config) ? body.output_config : {};
  const format = (isObj(body.output_format) ? body.output_format : cfg.format) as Obj | undefined;
  if (isObj(format) && format.type === "json_schema") {
    r.jsonSchema = format.schema;
    r.wantsJson = true;
  }
  r.leadText = [textOf(body.system), ...messages.slice(0, 3).map((m) => textOf(m.content))]
    .join("\n").slice(0, 4000);
  r.history = historyOf(body.system, messages, isAssistant);
  return r;
}

function conversationOf(body: Obj, messages: Obj[]): Conversation {
  const c: Conversation = {
    tools: arr(body.tools).filter(isObj).filter((t) => typeof t.name === "string").map((t) => ({
      name: t.name as string,
      kind: "function",
      parameters: t.input_schema,
    })),
    modelTurns: messages.filter((m) => m.role === "assistant").length,
    texts: [textOf(body.system), ...messages.map((m) => textOf(m.content))],
  };
  const hosted = arr(body.tools).filter(isObj).flatMap((t) => hostedToolOf("anthropic", t));
  if (hosted.length > 0) c.hostedTools = hosted;
  for (const m of messages) {
    const own = m.role === "user" ? userTexts(m) : [];
    if (own.length > 0) c.lastUserText = own[own.length - 1];
  }
  return c;
}

/** the Messages API's `usage` */
const USAGE_FIELDS: UsageFields = {
  input: "input_tokens",
  output: "output_tokens",
  cacheRead: "cache_read_input_tokens",
  cacheWrite: "cache_creation_input_tokens",
  cacheWrite1h: "cache_creation.ephemeral_1h_input_tokens",
};
const usageOf = (u: unknown, into: Usage = {}): Usage => usageFrom(u, USAGE_FIELDS, into)!;

/** The stop reasons the Messages API documents; any other is a `problems` row. */
const STOP_REASONS = new Set([
  "end_turn",
  "max_tokens",
  "stop_sequence",
  "tool_use",
  "pause_turn",
  "refusal",
  "model_context_window_exceeded",
]);

/** Block types with nothing to read for the analysis (a file a code execution made). */
const QUIET_BLOCKS = new Set(["container_upload"]);

interface Block {
  type: string;
  text: string;
  id?: string;
  name?: string;
  /** a result block: the server tool call it answers and its content */
  toolUseId?: string;
  content?: unknown;
}

/**
 * A block in which the model calls a tool the client runs: `tool_use` (also when code
 * execution calls it programmatically).
 */
const isClientToolUse = (type: unknown): boolean => type === "tool_use";

/**
 * A block in which the model calls a tool Anthropic runs within the answer: `server_tool_use`
 * (web search, web fetch, code execution, tool search), `mcp_tool_use` (the MCP connector),
 * and any later `*_tool_use` alike. Its result follows in a `*_tool_result` block.
 */
const isServerToolUse = (type: unknown): boolean =>
  typeof type === "string" && type !== "tool_use" && /(^|_)tool_use$/.test(type);

/** A server tool's result block (`web_search_tool_result`, `mcp_tool_result`, ...). */
const isServerToolResult = (type: unknown): boolean =>
  typeof type === "string" && type !== "tool_result" && /_tool_result$/.test(type);

/** A tool call's input given whole in its block (a stream's start block, when no delta follows). */
const wholeInput = (b: Obj): string =>
  isObj(b.input) && Object.keys(b.input).length > 0 ? JSON.stringify(b.input) : "";

/** A block as read from the answer (whole, or a stream's start block). */
function blockOf(b: Obj, r: ResponseInfo, whole: boolean): Block {
  const type = String(b.type);
  const block: Block = { type, text: "", id: str(b.id), name: str(b.name) };
  if (type === "text") block.text = String(b.text ?? "");
  else if (type === "thinking") block.text = String(b.thinking ?? "");
  else if (type === "redacted_thinking") block.text = redacted(b.data);
  else if (isClientToolUse(type) || isServerToolUse(type)) {
    block.text = whole ? JSON.stringify(b.input ?? {}) : wholeInput(b);
  } else if (isServerToolResult(type)) {
    block.toolUseId = str(b.tool_use_id);
    block.content = b.content;
  } else if (!QUIET_BLOCKS.has(type)) {
    notUnderstood(r, `content block type ${JSON.stringify(type)}`);
  }
  return block;
}

/** What a `redacted_thinking` block says of the thinking it holds encrypted. */
const redacted = (data: unknown) =>
  `[redacted thinking: ${typeof data === "string" ? data.length : 0} characters, encrypted]`;

/** Whether a server tool's result content is an error (`*_tool_result_error`, `is_error`). */
function resultIsError(content: unknown, block: Obj | undefined): boolean {
  if (block?.is_error === true) return true;
  return isObj(content) && typeof content.type === "string" && content.type.endsWith("_error");
}

function finish(blocks: Block[], r: ResponseInfo): ResponseInfo {
  r.text = blocks.filter((b) => b.type === "text").map((b) => b.text).join("\n");
  r.thinking = blocks.filter((b) => b.type === "thinking" || b.type === "redacted_thinking")
    .map((b) => b.text).join("\n");
  r.toolCalls = blocks.filter((b) => isClientToolUse(b.type)).map(
    (b) => ({ id: b.id, name: b.name ?? "", kind: "function" as const, input: jsonText(b.text) }),
  );
  const results = blocks.filter((b) => isServerToolResult(b.type));
  r.serverTools = blocks.filter((b) => isServerToolUse(b.type)).map((b) => {
    const res = results.find((x) => x.toolUseId !== undefined && x.toolUseId === b.id);
    return {
      id: b.id,
      name: b.name ?? b.type,
      input: jsonText(b.text),
      ...(res
        ? {
          resultType: res.type,
          result: textOf(res.content) || compactJson(res.content),
          isError: resultIsError(res.content, res as unknown as Obj),
        }
        : {}),
    };
  });
  for (const res of results) {
    if (!blocks.some((b) => isServerToolUse(b.type) && b.id === res.toolUseId)) {
      notUnderstood(r, `a ${res.type} block answering no server tool call of the answer`);
    }
  }
  // an answer stopped for a refusal: what the model said, else the reason
  if (r.stopReason === "refusal") r.refusal = r.text || "refusal";
  if (r.stopReason !== undefined && !STOP_REASONS.has(r.stopReason)) {
    notUnderstood(r, `stop reason ${JSON.stringify(r.stopReason)}`);
  }
  return r;
}

export function anthropicJson(body: unknown): ResponseInfo {
  return wholeResponse(body, (body, r) => {
    r.model = str(body.model);
    r.responseId = str(body.id);
    r.stopReason = str(body.stop_reason);
    r.usage = isObj(body.usage) ? usageOf(body.usage) : null;
    r.complete = true;
    finish(arr(body.content).filter(isObj).map((b) => blockOf(b, r, true)), r);
  });
}

/** The stream events the Messages API documents, besides those read below. */
const QUIET_EVENTS = new Set(["ping", "content_block_stop"]);

export function anthropicStream(): StreamReader {
  const r = emptyResponse();
  const blocks: Block[] = [];
  /** tool-use blocks whose input came whole in their start block (a delta replaces it) */
  const started = new Set<Block>();
  let usage: Usage | null = null;
  return {
    push(type, data) {
      if (!isObj(data)) return false;
      const t = str(data.type) ?? type;
      switch (t) {
        case "message_start": {
          const m = isObj(data.message) ? data.message : {};
          r.model = str(m.model);
          r.responseId = str(m.id);
          if (isObj(m.usage)) {
            // its output_tokens is a placeholder: output counts come with message_delta
            usage = usageOf(m.usage, usage ?? {});
            delete usage.output;
          }
          return false;
        }
        case "content_block_start": {
          const b = isObj(data.content_block) ? data.content_block : {};
          const i = num(data.index) ?? blocks.length;
          const block = blocks[i] = blockOf(b, r, false);
          const call = isClientToolUse(block.type) || isServerToolUse(block.type);
          if (block.text && call) started.add(block);
          return call || isServerToolResult(block.type);
        }
        case "content_block_delta": {
          const d = isObj(data.delta) ? data.delta : {};
          const b = blocks[num(data.index) ?? -1];
          if (!b) {
            notUnderstood(r, "a content_block_delta for a block that was not started");
            return false;
          }
          if (d.type === "text_delta") b.text += String(d.text ?? "");
          else if (d.type === "thinking_delta") b.text += String(d.thinking ?? "");
          else if (d.type === "input_json_delta") {
            // deltas carry the whole input: an input given in the start block is replaced by
            // the first piece that holds anything (an empty one, as the API may send, does not)
            const piece = String(d.partial_json ?? "");
            if (piece !== "" && started.delete(b)) b.text = "";
            b.text += piece;
          } else if (d.type === "signature_delta" || d.type === "citations_delta") {
            // a thinking block's signature, a text's source: nothing the analysis keeps
            return false;
          } else {
            notUnderstood(r, `content_block_delta type ${JSON.stringify(d.type)}`);
            return false;
          }
          return true;
        }
        case "message_delta": {
          const d = isObj(data.delta) ? data.delta : {};
          r.stopReason = str(d.stop_reason) ?? r.stopReason;
          if (isObj(data.usage)) usage = usageOf(data.usage, usage ?? {});
          return false;
        }
        case "message_stop":
          r.complete = true;
          return false;
        case "error":
          // an error event ends the stream (after a 200: overloaded_error, api_error, ...)
          r.error = apiError(data) ?? "error event";
          r.errorType = apiErrorType(data);
          r.complete = true;
          return false;
        default:
          if (!QUIET_EVENTS.has(t)) notUnderstood(r, `stream event ${JSON.stringify(t)}`);
          return false;
      }
    },
    result() {
      r.usage = usage;
      return finish(blocks.filter(Boolean), r);
    },
  };
}
