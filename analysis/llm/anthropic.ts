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
  type Conversation,
  emptyRequest,
  emptyResponse,
  historyOf,
  isAssistant,
  isObj,
  joinNonEmpty,
  jsonText,
  num,
  type Obj,
  type ReadOptions,
  type RequestInfo,
  type ResponseInfo,
  str,
  type StreamReader,
  textOf,
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
    user.push(...userTexts(m));
    if (typeof m.content === "string") continue;
    for (const b of arr(m.content).filter(isObj)) {
      if (b.type === "tool_result") {
        results.push({
          callId: str(b.tool_use_id),
          text: textOf(b.content),
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
};
const usageOf = (u: unknown, into: Usage = {}): Usage => usageFrom(u, USAGE_FIELDS, into)!;

interface Block {
  type: string;
  text: string;
  id?: string;
  name?: string;
}

/**
 * A block in which the model calls a tool: `tool_use` (the client runs it), `server_tool_use`
 * (Anthropic runs it: web search, code execution), `mcp_tool_use` (the MCP connector), and any
 * later `*_tool_use` alike.
 */
const isToolUse = (type: unknown): boolean =>
  typeof type === "string" && /(^|_)tool_use$/.test(type);

/** A tool call's input given whole in its block (a stream's start block, when no delta follows). */
const wholeInput = (b: Obj): string =>
  isObj(b.input) && Object.keys(b.input).length > 0 ? JSON.stringify(b.input) : "";

function finish(blocks: Block[], r: ResponseInfo): ResponseInfo {
  r.text = blocks.filter((b) => b.type === "text").map((b) => b.text).join("\n");
  r.thinking = blocks.filter((b) => b.type === "thinking").map((b) => b.text).join("\n");
  r.toolCalls = blocks.filter((b) => isToolUse(b.type)).map(
    (b) => ({ id: b.id, name: b.name ?? "", kind: "function" as const, input: jsonText(b.text) }),
  );
  return r;
}

export function anthropicJson(body: unknown): ResponseInfo {
  return wholeResponse(body, (body, r) => {
    r.model = str(body.model);
    r.responseId = str(body.id);
    r.stopReason = str(body.stop_reason);
    r.usage = isObj(body.usage) ? usageOf(body.usage) : null;
    r.complete = true;
    const blocks: Block[] = arr(body.content).filter(isObj).map((b) => ({
      type: String(b.type),
      text: b.type === "text"
        ? String(b.text ?? "")
        : b.type === "thinking"
        ? String(b.thinking ?? "")
        : JSON.stringify(b.input ?? {}),
      id: str(b.id),
      name: str(b.name),
    }));
    finish(blocks, r);
  });
}

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
          const text = b.type === "text"
            ? String(b.text ?? "")
            : b.type === "thinking"
            ? String(b.thinking ?? "")
            : isToolUse(b.type)
            ? wholeInput(b)
            : "";
          blocks[i] = { type: String(b.type), text, id: str(b.id), name: str(b.name) };
          if (text && isToolUse(b.type)) started.add(blocks[i]);
          return isToolUse(b.type);
        }
        case "content_block_delta": {
          const d = isObj(data.delta) ? data.delta : {};
          const b = blocks[num(data.index) ?? -1];
          if (!b) return false;
          if (d.type === "text_delta") b.text += String(d.text ?? "");
          else if (d.type === "thinking_delta") b.text += String(d.thinking ?? "");
          else if (d.type === "input_json_delta") {
            // deltas carry the whole input: an input given in the start block is replaced by
            // the first piece that holds anything (an empty one, as the API may send, does not)
            const piece = String(d.partial_json ?? "");
            if (piece !== "" && started.delete(b)) b.text = "";
            b.text += piece;
          } else return false;
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
          return false;
      }
    },
    result() {
      r.usage = usage;
      return finish(blocks.filter(Boolean), r);
    },
  };
}
