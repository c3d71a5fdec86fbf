/**
 * Ollama's native API (`POST /api/chat`, `POST /api/generate`; ollama/ollama docs/api.md, as
 * the `ollama` npm client speaks it): the request (chat: system, user, assistant and tool
 * messages — a tool result names its tool in `tool_name`, there are no call ids — tools,
 * `format`; generate: `prompt`, `system`, `suffix`) and the answer, streamed by default
 * (`stream` absent or true: NDJSON, one object per line carrying a piece of `message.content`
 * / `message.thinking` (chat) or `response` / `thinking` (generate), tool calls whole in
 * `message.tool_calls` with `function.name` and an `arguments` object, the last object
 * `done: true` with `done_reason`, `prompt_eval_count` (input tokens), `eval_count` (output
 * tokens) and durations) or, with `stream: false`, one such object. An error is
 * `{"error": "..."}`, as the whole body or as a line of the stream.
 */
import {
  arr,
  chatConversation,
  chatHistory,
  chatShape,
  emptyRequest,
  emptyResponse,
  isObj,
  joinNonEmpty,
  type Obj,
  type ReadOptions,
  type RequestInfo,
  type ResponseInfo,
  str,
  streamObject,
  type StreamReader,
  textOf,
  type ToolCallOut,
  type UsageFields,
  usageFrom,
  wholeResponse,
} from "./shapes.ts";

/** The two model-call endpoints of the native API. */
export type OllamaEndpoint = "api/chat" | "api/generate";

/** The `tools` of a chat request, as offered tools. */
function offeredTools(body: Obj) {
  return arr(body.tools).filter(isObj).flatMap((t) =>
    isObj(t.function) && typeof t.function.name === "string"
      ? [{ name: t.function.name, kind: "function" as const, parameters: t.function.parameters }]
      : []
  );
}

/** Reads an `/api/chat` or `/api/generate` request body. */
export function ollamaRequest(
  body: unknown,
  endpoint: OllamaEndpoint,
  opts: ReadOptions = {},
): RequestInfo {
  const r = emptyRequest();
  if (!isObj(body)) return r;
  r.model = str(body.model);
  // the server streams unless told `stream: false` (the npm client always says which)
  r.stream = body.stream !== false;
  const format = body.format;
  r.wantsJson = format === "json" || isObj(format);
  if (isObj(format)) r.jsonSchema = format;
  if (endpoint === "api/generate") {
    const prompt = str(body.prompt);
    r.messages = prompt ? 1 : 0;
    r.systemPrompt = str(body.system) || undefined;
    r.userInput = prompt || undefined;
    r.leadText = [r.systemPrompt, prompt].filter(Boolean).join("\n").slice(0, 4000);
    if (opts.conversation) {
      r.conversation = {
        tools: [],
        modelTurns: 0,
        texts: [r.systemPrompt ?? "", prompt ?? ""].filter((t) => t !== ""),
        lastUserText: prompt,
      };
    }
    return r;
  }
  const { messages, lastAssistant, system } = chatShape(body, r, ["system"]);
  r.stream = body.stream !== false; // (chatShape's default is Chat Completions': not streamed)
  r.systemPrompt = joinNonEmpty(system);
  const after = messages.slice(lastAssistant + 1);
  r.userInput = joinNonEmpty(after.filter((m) => m.role === "user").map((m) => textOf(m.content)));
  // no call ids: a result names its tool (`tool_name`; older clients sent none)
  r.toolResults = after.filter((m) => m.role === "tool").map((m) => ({
    // an id when a client sends one back for a server that gave it (the npm client has none)
    ...(str(m.tool_call_id) ? { callId: str(m.tool_call_id) } : {}),
    ...(str(m.tool_name) ? { name: str(m.tool_name) } : {}),
    text: textOf(m.content),
  }));
  r.leadText = messages.slice(0, 3).map((m) => textOf(m.content)).join("\n").slice(0, 4000);
  r.history = chatHistory(messages);
  if (opts.conversation) r.conversation = chatConversation(messages, offeredTools(body));
  return r;
}

/** The token counts of the final object (`done: true`). */
const USAGE_FIELDS: UsageFields = { input: "prompt_eval_count", output: "eval_count" };

/** The tool calls of a `message` (chat): each one whole, its arguments an object. */
function toolCallsOf(message: Obj): ToolCallOut[] {
  return arr(message.tool_calls).filter(isObj).map((c) => {
    const f = isObj(c.function) ? c.function : {};
    const args = f.arguments;
    return {
      // Ollama gives no call ids; a client's `id` is kept if a server sends one
      ...(str(c.id) ? { id: str(c.id) } : {}),
      name: String(f.name ?? ""),
      kind: "function" as const,
      input: typeof args === "string"
        ? (args.trim() === "" ? "{}" : args)
        : JSON.stringify(args ?? {}),
    };
  });
}

/** Folds one answer object (a stream line, or the whole body) into `r`; true if it carried output. */
function fold(r: ResponseInfo, o: Obj): boolean {
  r.model = str(o.model) ?? r.model;
  let output = false;
  const m = isObj(o.message) ? o.message : undefined;
  const text = m ? str(m.content) : str(o.response);
  const thinking = m ? str(m.thinking) : str(o.thinking);
  if (text) (r.text += text, output = true);
  if (thinking) (r.thinking += thinking, output = true);
  if (m) {
    const calls = toolCallsOf(m);
    if (calls.length) (r.toolCalls.push(...calls), output = true);
  }
  if (o.done === true) {
    r.complete = true;
    r.stopReason = str(o.done_reason) ?? r.stopReason;
    const u = usageFrom(o, USAGE_FIELDS);
    if (u && Object.keys(u).length) r.usage = u;
  }
  return output;
}

/** Reads a whole answer (`stream: false`). */
export function ollamaJson(body: unknown): ResponseInfo {
  return wholeResponse(body, (body, r) => {
    fold(r, body);
    // a whole body is the answer however its `done` reads
    r.complete = true;
  });
}

/** Reads a streamed answer line by line (each NDJSON line's parsed object). */
export function ollamaStream(): StreamReader {
  const r = emptyResponse();
  return {
    push(_type, data) {
      const line = streamObject(data, r);
      return line ? fold(r, line) : false;
    },
    result() {
      return r;
    },
  };
}
