/**
 * OpenAI Chat Completions (`POST /v1/chat/completions`): the request (system/developer, user,
 * assistant and tool messages, tools, response format) and the answer, streamed
 * (`chat.completion.chunk` deltas with content and tool_calls pieces, finish_reason, an optional
 * usage chunk, `[DONE]`) or as one `chat.completion` object. Tools are functions (JSON
 * arguments) or custom tools (`type: "custom"`: free-form input, e.g. an apply_patch grammar,
 * called as `{type: "custom", custom: {name, input}}`; GitHub Copilot CLI offers its
 * apply_patch so to GPT-5 models).
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
  jsonText,
  notUnderstood,
  num,
  type Obj,
  type OfferedTool,
  type ReadOptions,
  type RequestInfo,
  type ResponseInfo,
  str,
  streamObject,
  type StreamReader,
  textOf,
  textWithMedia,
  type ToolCallOut,
  type UsageFields,
  usageFrom,
  wholeResponse,
} from "./shapes.ts";

export function chatRequest(body: unknown, opts: ReadOptions = {}): RequestInfo {
  const r = emptyRequest();
  if (!isObj(body)) return r;
  const { messages, lastAssistant, system } = chatShape(body, r, ["system", "developer"]);
  r.systemPrompt = joinNonEmpty(system);
  const after = messages.slice(lastAssistant + 1);
  // text, and a note for each image, audio or file (its bytes said by their size)
  r.userInput = joinNonEmpty(
    after.filter((m) => m.role === "user").map((m) => textWithMedia(m.content)),
  );
  // `function` messages answer the deprecated `function_call` (no call id)
  r.toolResults = after.filter((m) => m.role === "tool" || m.role === "function").map((m) => ({
    callId: str(m.tool_call_id),
    text: textWithMedia(m.content),
  }));
  const rf = isObj(body.response_format) ? body.response_format : undefined;
  if (rf?.type === "json_schema" && isObj(rf.json_schema)) r.jsonSchema = rf.json_schema.schema;
  r.wantsJson = rf?.type === "json_schema" || rf?.type === "json_object";
  r.leadText = messages.slice(0, 3).map((m) => textOf(m.content)).join("\n").slice(0, 4000);
  r.history = chatHistory(messages);
  if (opts.conversation) {
    const so = isObj(body.stream_options) ? body.stream_options : {};
    const tools = [
      ...arr(body.tools).filter(isObj).flatMap((t) =>
        t.type === "function" && isObj(t.function) ? [t.function] : []
      ),
      // the deprecated `functions` list, offered the same way
      ...arr(body.functions).filter(isObj),
    ].flatMap((f): OfferedTool[] =>
      typeof f.name === "string"
        ? [{ name: f.name, kind: "function", parameters: f.parameters }]
        : []
    );
    for (const t of arr(body.tools).filter(isObj)) {
      const c = t.type === "custom" && isObj(t.custom) ? t.custom : undefined;
      if (typeof c?.name === "string") {
        tools.push({ name: c.name, kind: "custom", parameters: c.format });
      }
    }
    r.conversation = {
      ...chatConversation(messages, tools),
      includeUsage: so.include_usage === true,
    };
  }
  return r;
}

/** Chat Completions' `usage` */
const USAGE_FIELDS: UsageFields = {
  input: "prompt_tokens",
  output: "completion_tokens",
  cacheRead: "prompt_tokens_details.cached_tokens",
  reasoning: "completion_tokens_details.reasoning_tokens",
};
const usageOf = (u: unknown) => usageFrom(u, USAGE_FIELDS);

export function chatJson(body: unknown): ResponseInfo {
  return wholeResponse(body, (body, r) => {
    r.model = str(body.model);
    r.responseId = str(body.id);
    r.usage = usageOf(body.usage);
    const choice = arr(body.choices).filter(isObj)[0] ?? {};
    const msg = isObj(choice.message) ? choice.message : {};
    r.text = textOf(msg.content);
    r.thinking = str(msg.reasoning_content) ?? str(msg.reasoning) ?? "";
    r.stopReason = str(choice.finish_reason);
    if (str(msg.refusal)) r.refusal = str(msg.refusal);
    if (arr(body.choices).length > 1) notUnderstood(r, MORE_CHOICES);
    const legacy: Obj[] = isObj(msg.function_call) ? [{ function: msg.function_call }] : [];
    r.toolCalls = [...arr(msg.tool_calls).filter(isObj), ...legacy].map((c): ToolCallOut => {
      if (c.type === "custom" || isObj(c.custom)) {
        const t = isObj(c.custom) ? c.custom : {};
        return {
          id: str(c.id),
          name: String(t.name ?? ""),
          kind: "custom",
          input: JSON.stringify(String(t.input ?? "")),
        };
      }
      const f = isObj(c.function) ? c.function : {};
      return {
        id: str(c.id),
        name: String(f.name ?? ""),
        kind: "function",
        input: jsonText(String(f.arguments ?? "")),
      };
    });
    r.complete = true;
    finishReason(r);
  });
}

/** The finish reasons Chat Completions documents; any other is a `problems` row. */
const FINISH_REASONS = new Set(["stop", "length", "tool_calls", "content_filter", "function_call"]);

const MORE_CHOICES = "choices beyond the first (a request with n > 1): only the first is read";

/** A content filter's stop is a refusal; a finish reason not documented is not understood. */
function finishReason(r: ResponseInfo): void {
  if (r.stopReason === "content_filter") r.refusal ??= "content_filter";
  if (r.stopReason !== undefined && !FINISH_REASONS.has(r.stopReason)) {
    notUnderstood(r, `finish reason ${JSON.stringify(r.stopReason)}`);
  }
}

/**
 * Which call a streamed tool-call piece belongs to: its `index`; without one (servers that leave
 * it out), a piece with a new id or name starts a call and any other continues the last.
 */
function callIndex(tc: Obj, calls: StreamedCall[]): number {
  const i = num(tc.index);
  if (i !== undefined) return i;
  const last = calls.length - 1;
  if (last < 0) return 0;
  const f = isObj(tc.function) ? tc.function : isObj(tc.custom) ? tc.custom : {};
  const id = str(tc.id) || undefined; // an empty id is no id
  const name = str(f.name) || undefined;
  const prev = calls[last];
  if (id !== undefined) return id !== prev.id ? last + 1 : last;
  // no id: a name starts a call unless it repeats the last one's while its arguments are still
  // coming (a second call of the same function begins once the first's arguments are whole)
  const fresh = name !== undefined && prev.name !== "" &&
    (name !== prev.name || (!prev.custom && isWholeJson(prev.args)));
  return fresh ? last + 1 : last;
}

/** Whether `text` is a whole JSON value (a call's arguments received in full). */
function isWholeJson(text: string): boolean {
  if (text.trim() === "") return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A tool call pieced from stream deltas: a function's arguments, or a custom tool's input. */
interface StreamedCall {
  id?: string;
  name: string;
  args: string;
  custom?: boolean;
}

export function chatStream(): StreamReader {
  const r = emptyResponse();
  const calls: StreamedCall[] = [];
  let refusal = "";
  return {
    push(_type, event) {
      if (event === "[DONE]") {
        r.complete = true;
        return false;
      }
      const data = streamObject(event, r);
      if (!data) return false;
      r.model = str(data.model) ?? r.model;
      r.responseId = str(data.id) ?? r.responseId;
      if (isObj(data.usage)) r.usage = usageOf(data.usage);
      let content = false;
      for (const choice of arr(data.choices).filter(isObj)) {
        if ((num(choice.index) ?? 0) !== 0) {
          notUnderstood(r, MORE_CHOICES);
          continue;
        }
        const d = isObj(choice.delta) ? choice.delta : {};
        if (typeof d.content === "string" && d.content !== "") {
          r.text += d.content;
          content = true;
        }
        if (typeof d.refusal === "string" && d.refusal !== "") {
          refusal += d.refusal;
          content = true;
        }
        const reasoning = str(d.reasoning_content) ?? str(d.reasoning);
        if (reasoning) {
          r.thinking += reasoning;
          content = true;
        }
        // the deprecated `function_call` delta is one call, pieced like a tool call's
        const legacy: Obj[] = isObj(d.function_call)
          ? [{ index: 0, function: d.function_call }]
          : [];
        for (const tc of [...arr(d.tool_calls).filter(isObj), ...legacy]) {
          // a custom tool's pieces carry `custom: {name, input}` where a function's carry
          // `function: {name, arguments}`
          const custom = isObj(tc.custom) ? tc.custom : undefined;
          const f = custom ?? (isObj(tc.function) ? tc.function : {});
          const c = calls[callIndex(tc, calls)] ??= { name: "", args: "" };
          if (str(tc.id)) c.id = str(tc.id);
          if (custom || tc.type === "custom") c.custom = true;
          // the name comes once; a server that repeats it whole in every piece is not doubled
          const name = str(f.name);
          if (name && name !== c.name) c.name += name;
          const piece = str(custom ? f.input : f.arguments);
          if (piece) c.args += piece;
          content = true;
        }
        if (str(choice.finish_reason)) r.stopReason = str(choice.finish_reason);
      }
      return content;
    },
    result() {
      r.toolCalls = calls.filter(Boolean).map((c): ToolCallOut => ({
        id: c.id,
        name: c.name,
        kind: c.custom ? "custom" : "function",
        input: c.custom ? JSON.stringify(c.args) : jsonText(c.args),
      }));
      if (refusal !== "") r.refusal = refusal;
      finishReason(r);
      return r;
    },
  };
}
