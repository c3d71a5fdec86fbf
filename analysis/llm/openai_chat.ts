/**
 * OpenAI Chat Completions (`POST /v1/chat/completions`): the request (system/developer, user,
 * assistant and tool messages, tools, response format) and the answer, streamed
 * (`chat.completion.chunk` deltas with content and tool_calls pieces, finish_reason, an optional
 * usage chunk, `[DONE]`) or as one `chat.completion` object.
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
  type ReadOptions,
  type RequestInfo,
  type ResponseInfo,
  str,
  streamObject,
  type StreamReader,
  textOf,
  textWithMedia,
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
    ].flatMap((f) =>
      typeof f.name === "string"
        ? [{ name: f.name, kind: "function" as const, parameters: f.parameters }]
        : []
    );
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
    r.toolCalls = [...arr(msg.tool_calls).filter(isObj), ...legacy].map((c) => {
      const f = isObj(c.function) ? c.function : {};
      return {
        id: str(c.id),
        name: String(f.name ?? ""),
        kind: "function" as const,
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
function callIndex(tc: Obj, calls: { id?: string; name: string; args: string }[]): number {
  const i = num(tc.index);
  if (i !== undefined) return i;
  const last = calls.length - 1;
  if (last < 0) return 0;
  const f = isObj(tc.function) ? tc.function : {};
  const id = str(tc.id) || undefined; // an empty id is no id
  const name = str(f.name) || undefined;
  const prev = calls[last];
  if (id !== undefined) return id !== prev.id ? last + 1 : last;
  // no id: a name starts a call unless it repeats the last one's while its arguments are still
  // coming (a second call of the same function begins once the first's arguments are whole)
  const fresh = name !== undefined && prev.name !== "" &&
    (name !== prev.name || isWholeJson(prev.args));
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

export function chatStream(): StreamReader {
  const r = emptyResponse();
  const calls: { id?: string; name: string; args: string }[] = [];
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
          const f = isObj(tc.function) ? tc.function : {};
          const c = calls[callIndex(tc, calls)] ??= { name: "", args: "" };
          if (str(tc.id)) c.id = str(tc.id);
          // the name comes once; a server that repeats it whole in every piece is not doubled
          const name = str(f.name);
          if (name && name !== c.name) c.name += name;
          if (str(f.arguments)) c.args += str(f.arguments);
          content = true;
        }
        if (str(choice.finish_reason)) r.stopReason = str(choice.finish_reason);
      }
      return content;
    },
    result() {
      r.toolCalls = calls.filter(Boolean).map((c) => ({
        id: c.id,
        name: c.name,
        kind: "function" as const,
        input: jsonText(c.args),
      }));
      if (refusal !== "") r.refusal = refusal;
      finishReason(r);
      return r;
    },
  };
}
