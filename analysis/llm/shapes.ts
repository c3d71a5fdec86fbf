/**
 * The provider-neutral shape of one LLM call that the provider readers fill in: what the
 * request asked (model, system prompt, new user input, tool results sent back, tools offered,
 * JSON output wanted) and what the answer said (text, thinking, tool calls, stop reason, token
 * usage), plus small JSON helpers shared by the readers.
 */
import { entryHash, hashText } from "./entry_hash.ts";

export { hashText };

export type Provider = "anthropic" | "openai-responses" | "openai-chat" | "gemini" | "ollama";

/** A tool result the request carries back to the model. */
export interface ToolResultIn {
  /** the call id it answers, when the API has ids */
  callId?: string;
  /** the tool name, when the API says it (Gemini) */
  name?: string;
  text: string;
  isError?: boolean;
}

export interface RequestInfo {
  model?: string;
  stream?: boolean;
  systemPrompt?: string;
  /** the user's new text of this turn (user messages after the last model turn) */
  userInput?: string;
  /** tool results after the last model turn, in order */
  toolResults: ToolResultIn[];
  /** entries in the request's history */
  messages: number;
  toolsOffered: number;
  jsonSchema?: unknown;
  wantsJson: boolean;
  /** the first texts of the request (for telling title requests apart) */
  leadText: string;
  /** OpenAI Responses: `generate: false`, a warm-up that asks for no output */
  warmup?: boolean;
  /** OpenAI Responses: the earlier response this one continues (its input is only new items) */
  previousResponseId?: string;
  /** the conversation as a model sees it: filled in when the reader is asked for it */
  conversation?: Conversation;
  /** where the request stands in its conversation, by hashes of its history */
  history?: History;
}

/**
 * A request's history as hashes (`historyOf`): the APIs are stateless, so each request of a
 * conversation sends the whole history again, the model's earlier answers in it; the call
 * that got one of those answers sent the history before it. So a call continues the earlier
 * call whose `hash` is one of its `turns` (an OpenAI Responses call that names
 * `previous_response_id` sends only new items: its chain says instead). The system prompt is
 * hashed apart: a call made with another one over the same entries (a summariser's, a
 * session resumed on another day) still holds them.
 */
export interface History {
  /** its system prompt */
  system: number;
  /** the entries it sends, in order */
  hash: number;
  /** the entries before each model turn it holds (a run of model entries is one turn) */
  turns: number[];
  /**
   * the lines of its opening (`textLines` of the entries up to its first model turn's end):
   * where a history that starts again after a compaction carries the summary it starts from
   */
  lead: TextLines;
  /**
   * the ids (`id`, `call_id`: its tool calls') in the latest model entry that has any, hashed:
   * a history sent again by another process still names the tool calls its model asked for
   */
  toolIds: number[];
  /** its last entry is the model's (the next model entry goes on with that turn) */
  lastModel: boolean;
  /** where its entries end relative to the opening (before or in its model run, or after) */
  opening: "before" | "model" | "done";
}

/**
 * The distinct lines of texts, as hashes, each trimmed and at least `MIN_LINE` characters (a
 * shorter line says too little to tell where a text came from), with their characters in all.
 */
export interface TextLines {
  hashes: number[];
  /** each line's length, by its place in `hashes` */
  lengths: number[];
  chars: number;
}

/** The shortest line `textLines` keeps. */
export const MIN_LINE = 8;

/** The lines of `texts` (see `TextLines`), after those of `more` when given. */
export function textLines(texts: Iterable<string>, more?: TextLines): TextLines {
  const seen = new Set<number>(more?.hashes);
  const lengths: number[] = more ? [...more.lengths] : [];
  let chars = more?.chars ?? 0;
  for (const t of texts) {
    for (const raw of t.split("\n")) {
      const line = raw.trim();
      if (line.length < MIN_LINE) continue;
      const h = hashText(line);
      if (seen.has(h)) continue;
      seen.add(h);
      lengths.push(line.length);
      chars += line.length;
    }
  }
  return { hashes: [...seen], lengths, chars };
}

/** Fields that name what an entry is, not what it says. */
const NOT_TEXT = new Set(["role", "type"]);

/**
 * Every string inside a JSON value but those naming an entry's role or type, depth first (an
 * entry's texts, whatever its API's shape), pushed onto `out`. A plain recursion, not a
 * generator: nested `yield*` resumed every level's generator for each string (`historyOf` took
 * 40% longer so on the benchmark's requests).
 */
function stringsOf(v: unknown, out: string[], depth = 0): void {
  if (typeof v === "string") out.push(v);
  else if (depth > 64) return;
  else if (Array.isArray(v)) { for (const x of v) stringsOf(x, out, depth + 1); }
  else if (isObj(v)) {
    for (const k in v) if (!NOT_TEXT.has(k)) stringsOf(v[k], out, depth + 1);
  }
}

/**
 * The history hashes of a request whose system prompt is `system` and whose history is
 * `entries`, `isModel` telling the model's own entries; with `from`, the history of an earlier
 * request that `entries` continue (an OpenAI Responses call that names the response it
 * continues: only what is new is hashed, not the whole history again).
 */
export function historyOf(
  system: unknown,
  entries: readonly unknown[],
  isModel: (e: unknown) => boolean,
  from?: History,
): History | undefined {
  try {
    // a system prompt given as a string is its one text block, as in `content`
    const blocks = typeof system === "string" ? [{ type: "text", text: system }] : system ?? null;
    const sys = entryHash(blocks);
    let hash = from?.hash ?? hashText("");
    const turns = from ? [...from.turns] : [];
    let lastModel = from?.lastModel ?? false;
    let toolIds = from?.toolIds ?? [];
    // the opening: the entries up to the end of the first run of model entries
    let phase = from?.opening ?? "before";
    const opening: unknown[] = [];
    for (const e of entries) {
      const model = isModel(e);
      if (phase === "before" && model) phase = "model";
      else if (phase === "model" && !model) phase = "done";
      if (phase !== "done") opening.push(e);
      if (model && !lastModel) turns.push(hash);
      const ids: string[] | undefined = model ? [] : undefined;
      hash = entryHash(e, hash, ids);
      // the ids of the latest model entry that has any (its tool calls')
      if (ids?.length) toolIds = ids.map((id) => hashText(id));
      lastModel = model;
    }
    const texts: string[] = [];
    for (const e of opening) stringsOf(e, texts);
    const lead = textLines(texts, from?.lead);
    return { system: sys, hash, turns, lead, lastModel, opening: phase, toolIds };
  } catch {
    // nesting deeper than a replacer's stack (JSON.parse takes ~100k levels): no history,
    // so the call starts a conversation of its own rather than the analysis failing
    return undefined;
  }
}

/** A tool the request declares. */
export interface OfferedTool {
  name: string;
  /**
   * "custom": free-form input (OpenAI custom tools such as Codex's apply_patch grammar);
   * "tool_search": the Responses API's client-executed tool search, behind which Codex defers
   * MCP tools.
   */
  kind: "function" | "custom" | "tool_search";
  /** its JSON schema for arguments, when declared */
  parameters?: unknown;
  /** the namespace it was declared in (Responses API namespaces, e.g. a deferred MCP server) */
  namespace?: string;
}

/**
 * What a model answering the request works from, beyond what the analysis records: the tools it
 * may call, how far the conversation has come, and its texts. The scripted model server
 * (lab/simulator) plays its script from this; readers fill it in when asked (`conversation`).
 */
export interface Conversation {
  /** the tools it may call, by name (Responses: with those a tool search loaded) */
  tools: OfferedTool[];
  /** model turns the history holds (Responses: runs of model items, a run that only searched for tools not counted) */
  modelTurns: number;
  /** every text the request carries (system prompt, then each message), for searching */
  texts: string[];
  /** the last plain user text (not a tool result) */
  lastUserText?: string;
  /** Chat Completions: the client asked for a usage chunk at the end of the stream */
  includeUsage?: boolean;
  /**
   * The provider-run tools the request offers, by what they do (`web_search`,
   * `code_execution`, `web_fetch`, ...; {@linkcode hostedToolOf}): the model may use them
   * within its answer
   */
  hostedTools?: string[];
}

/**
 * What a provider-run tool a request declares does, or undefined for a tool the client runs:
 * Anthropic's versioned server tool types (`web_search_20250305` → `web_search`,
 * `code_execution_20250825` → `code_execution`), the Responses API's hosted tool types
 * (`web_search`, `web_search_preview` → `web_search`, `file_search`, `code_interpreter`,
 * `image_generation`, `mcp`), Gemini's tool keys (`googleSearch` → `web_search`,
 * `codeExecution` → `code_execution`, `urlContext` → `web_fetch`).
 */
export function hostedToolOf(provider: Provider, tool: Obj): string[] {
  if (provider === "anthropic") {
    const t = str(tool.type);
    if (!t || t === "custom" || !/_\d{8}$/.test(t)) return [];
    const base = t.replace(/_\d{8}$/, "");
    // client-run Anthropic-defined tools (bash, text editor, computer, memory) declare a
    // versioned type too; only those the API runs itself are hosted
    return [
        "web_search",
        "web_fetch",
        "code_execution",
        "tool_search_tool_regex",
        "tool_search_tool_bm25",
      ].includes(base)
      ? [base.startsWith("tool_search") ? "tool_search" : base]
      : [];
  }
  if (provider === "openai-responses") {
    const t = str(tool.type) ?? "";
    if (t === "web_search" || t.startsWith("web_search_preview")) return ["web_search"];
    return ["file_search", "code_interpreter", "image_generation", "mcp"].includes(t) ? [t] : [];
  }
  if (provider === "gemini") {
    const keys: Record<string, string> = {
      googleSearch: "web_search",
      googleSearchRetrieval: "web_search",
      codeExecution: "code_execution",
      urlContext: "web_fetch",
    };
    return Object.keys(tool).filter((k) => k in keys).map((k) => keys[k]);
  }
  return [];
}

/** What a request reader is asked for besides the analysis' fields. */
export interface ReadOptions {
  conversation?: boolean;
}

export interface ToolCallOut {
  id?: string;
  name: string;
  /**
   * "function": JSON arguments; "custom": free-form input; "tool_search": the Responses API's
   * client-run tool search (Codex loading deferred MCP tools), arguments `{query, limit}`
   */
  kind: "function" | "custom" | "tool_search";
  /** the arguments as JSON text (custom tools: a JSON string of the input) */
  input: string;
}

export interface Usage {
  input?: number;
  output?: number;
  cacheRead?: number;
  /** every cache write, whatever its lifetime (`cacheWrite1h` of them for an hour) */
  cacheWrite?: number;
  /** Anthropic: the cache writes kept for an hour (billed at their own rate) */
  cacheWrite1h?: number;
  reasoning?: number;
}

/**
 * A tool the provider ran for the model inside the one answer (Anthropic's web search, web
 * fetch and code execution, the OpenAI Responses API's web search, file search, code
 * interpreter, image generation and remote MCP calls, Gemini's code execution and Google Search
 * grounding): not the agent's action, so not a `ToolCallOut`.
 */
export interface ServerToolOut {
  id?: string;
  /** the tool's name as the answer gives it (`web_search`, `code_execution`, ...) */
  name: string;
  /** what it was asked, as JSON text */
  input: string;
  /** its result's type as the answer names it (`web_search_tool_result`, ...) */
  resultType?: string;
  /** its result as text (large inline data said by its size) */
  result?: string;
  /** the result is an error (or the call failed) */
  isError?: boolean;
}

export interface ResponseInfo {
  model?: string;
  responseId?: string;
  text: string;
  thinking: string;
  toolCalls: ToolCallOut[];
  /** tools the provider ran within this answer, in order */
  serverTools: ServerToolOut[];
  /** the model declined: its refusal text, or the stop reason that says so */
  refusal?: string;
  /**
   * What the reader met and does not understand (an event, block, item or part type), each
   * once, said in a few words: every one becomes a `problems` row of the call.
   */
  unknown: string[];
  stopReason?: string;
  /** null when the answer carried no usage (e.g. a stream cut before its last event) */
  usage: Usage | null;
  /**
   * the answer ended properly: its final event, a whole JSON body, or the API's error that
   * ended it (an error event or object, received whole)
   */
  complete: boolean;
  error?: string;
  /**
   * the API's name for the error: Anthropic `error.type` (and Bedrock's exception type), OpenAI
   * `error.code`, else `error.type` (Responses: `response.error.code`), Gemini `error.status`
   */
  errorType?: string;
  /** OpenAI Responses: the output items as the API gave them (to continue a conversation) */
  outputItems?: Obj[];
}

/** Reads a streamed answer event by event. */
export interface StreamReader {
  /** Takes one SSE event's type and parsed data; true if it carried output (text, thinking, a tool call). */
  push(type: string, data: unknown): boolean;
  result(): ResponseInfo;
}

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export const arr = (v: unknown): unknown[] => Array.isArray(v) ? v : [];

export const str = (v: unknown): string | undefined => typeof v === "string" ? v : undefined;

export const num = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isFinite(v) ? v : undefined;

/** Joins text content: a string, or blocks with `text`. */
export function textOf(content: unknown, sep = "\n"): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return content === undefined || content === null ? "" : "";
  return content.map((b) =>
    typeof b === "string" ? b : isObj(b) && typeof b.text === "string" ? b.text : ""
  ).filter((s) => s !== "").join(sep);
}

/** The size of base64 text's bytes, said for a person. */
function sizeOf(base64: string): string {
  const bytes = Math.floor(base64.replace(/[^A-Za-z0-9+/_-]/g, "").length * 3 / 4);
  return bytes < 10240 ? `${bytes} bytes` : `${Math.round(bytes / 1024)} KiB`;
}

/** What a `data:` URL or a URL names: its media type and size, or the URL itself. */
function urlNote(url: string): string {
  const m = /^data:([^;,]*)[^,]*,/.exec(url);
  return m ? `${m[1] || "data"}, ${sizeOf(url.slice(m[0].length))}` : url.slice(0, 200);
}

/**
 * A one-line note for a content block or part that carries media rather than text, in any
 * API's shape, or undefined for any other: Anthropic `image` / `document` (base64, URL, file or
 * text source), OpenAI Responses `input_image` / `input_file` / `input_audio`, Chat Completions
 * `image_url` / `input_audio` / `file`, Gemini `inlineData` / `fileData` parts. The bytes are
 * said by their size, never copied (an image is easily a megabyte of base64).
 */
export function mediaNote(b: unknown): string | undefined {
  if (!isObj(b)) return undefined;
  const type = str(b.type);
  const what = (kind: string, detail: string) => `[${kind}: ${detail}]`;
  if (type === "image" || type === "document") {
    const src = isObj(b.source) ? b.source : {};
    const detail = src.type === "base64" && typeof src.data === "string"
      ? `${str(src.media_type) ?? "?"}, ${sizeOf(src.data)}`
      : src.type === "url"
      ? String(src.url ?? "")
      : src.type === "file"
      ? `file ${String(src.file_id ?? "")}`
      : src.type === "text" && typeof src.data === "string"
      ? `${str(src.media_type) ?? "text"}, ${src.data.length} characters`
      : String(src.type ?? "?");
    return what(type, detail);
  }
  if (type === "input_image") {
    return what(
      "image",
      typeof b.image_url === "string" ? urlNote(b.image_url) : `file ${String(b.file_id ?? "?")}`,
    );
  }
  if (type === "input_file") {
    const name = str(b.filename) ?? str(b.file_id) ?? str(b.file_url) ?? "?";
    return what(
      "file",
      typeof b.file_data === "string" ? `${name}, ${urlNote(b.file_data)}` : name,
    );
  }
  if (type === "image_url") {
    const u = isObj(b.image_url) ? b.image_url.url : b.image_url;
    return what("image", typeof u === "string" ? urlNote(u) : "?");
  }
  if (type === "input_audio") {
    const a = isObj(b.input_audio) ? b.input_audio : b;
    return what(
      "audio",
      `${String(a.format ?? "?")}, ${typeof a.data === "string" ? sizeOf(a.data) : "?"}`,
    );
  }
  if (type === "file" && isObj(b.file)) {
    const f = b.file;
    const name = str(f.filename) ?? str(f.file_id) ?? "?";
    return what(
      "file",
      typeof f.file_data === "string" ? `${name}, ${urlNote(f.file_data)}` : name,
    );
  }
  if (isObj(b.inlineData)) {
    const d = b.inlineData;
    return what(
      "inline data",
      `${String(d.mimeType ?? "?")}, ${typeof d.data === "string" ? sizeOf(d.data) : "?"}`,
    );
  }
  if (isObj(b.fileData)) {
    return what(
      "file",
      `${String(b.fileData.mimeType ?? "?")} ${String(b.fileData.fileUri ?? "")}`,
    );
  }
  return undefined;
}

/** Like {@linkcode textOf}, with a note for each block that carries media ({@linkcode mediaNote}). */
export function textWithMedia(content: unknown, sep = "\n"): string {
  if (!Array.isArray(content)) return textOf(content, sep);
  return content.map((b) =>
    typeof b === "string"
      ? b
      : isObj(b) && typeof b.text === "string"
      ? b.text
      : mediaNote(b) ?? (isObj(b) && Array.isArray(b.content) ? textWithMedia(b.content, sep) : "")
  ).filter((s) => s !== "").join(sep);
}

/** Notes one thing a reader does not understand (each once). */
export function notUnderstood(r: ResponseInfo, what: string): void {
  if (!r.unknown.includes(what)) r.unknown.push(what);
}

/** What an answer's reader did not understand, each as a problem of the call. */
export const notUnderstoodProblems = (r: ResponseInfo): string[] =>
  r.unknown.map((u) => `the answer has ${u}, which the reader does not understand`);

/**
 * A value as short JSON text: strings longer than 256 characters that are inline data
 * (base64, a `data:` URL) said by their size, not copied (an image a tool made, a file).
 */
export function compactJson(v: unknown): string {
  return JSON.stringify(
    v ?? null,
    (_k, x) =>
      typeof x === "string" && x.length > 256 && isInlineData(x)
        ? `${
          x.startsWith("data:") ? x.slice(0, x.indexOf(",") + 1) : ""
        }... (${x.length} characters)`
        : x,
  ) ?? "null";
}

/** A long string of base64 (or a `data:` URL): inline bytes rather than text. */
const isInlineData = (s: string): boolean =>
  s.startsWith("data:") || /^[A-Za-z0-9+/=\r\n_-]+$/.test(s.slice(0, 4096));

/** A JSON text that is valid JSON: the text itself if it parses, else the text as a JSON string. */
export function jsonText(text: string): string {
  if (text.trim() === "") return "{}";
  try {
    JSON.parse(text);
    return text;
  } catch {
    return JSON.stringify(text);
  }
}

/** Where an API's usage object carries each token count (`a.b`: field b of object field a). */
export type UsageFields = Readonly<Partial<Record<keyof Usage, string>>>;

/**
 * Token counts out of an API's usage object: each count from the field `fields` names for it
 * (`a.b` for a field of an object field), into `into`; a field that is absent or not a number
 * leaves its count out.
 */
export function usageFrom(u: unknown, fields: UsageFields, into?: Usage): Usage | null {
  if (!isObj(u)) return into ?? null;
  into ??= {};
  for (const [k, path] of Object.entries(fields) as [keyof Usage, string][]) {
    let v: unknown = u;
    for (const f of path.split(".")) v = isObj(v) ? v[f] : undefined;
    const n = num(v);
    if (n !== undefined) into[k] = n;
  }
  return into;
}

export function emptyResponse(): ResponseInfo {
  return {
    text: "",
    thinking: "",
    toolCalls: [],
    serverTools: [],
    unknown: [],
    usage: null,
    complete: false,
  };
}

export function emptyRequest(): RequestInfo {
  return { toolResults: [], messages: 0, toolsOffered: 0, wantsJson: false, leadText: "" };
}

/**
 * The top of a request in the chat shape, a `messages` list with roles (Anthropic Messages,
 * Chat Completions): sets `r`'s model, stream and message and tool counts, and gives the
 * messages, the index of the last assistant message (-1 for none) and the texts of the
 * messages whose role is in `systemRoles`.
 */
export function chatShape(
  body: Obj,
  r: RequestInfo,
  systemRoles: readonly string[],
): { messages: Obj[]; lastAssistant: number; system: string[] } {
  const messages = arr(body.messages).filter(isObj);
  r.model = str(body.model);
  r.stream = body.stream === true;
  r.messages = messages.length;
  r.toolsOffered = arr(body.tools).length;
  let lastAssistant = -1;
  const system: string[] = [];
  messages.forEach((m, i) => {
    if (m.role === "assistant") lastAssistant = i;
    if (systemRoles.includes(m.role as string)) system.push(textOf(m.content));
  });
  return { messages, lastAssistant, system };
}

/**
 * A whole answer (not streamed): `read` fills it in from the body, unless the body is not an
 * object or is the API's error (then the answer is empty, with the error's message).
 */
export function wholeResponse(
  body: unknown,
  read: (body: Obj, r: ResponseInfo) => void,
): ResponseInfo {
  const r = emptyResponse();
  r.error = apiError(body);
  r.errorType = apiErrorType(body);
  if (isObj(body) && !r.error) read(body, r);
  return r;
}

/**
 * One parsed object of a stream (an event's data, an NDJSON line, a chunk): the object, or
 * undefined when it is not one or is the API's error (its message then set as `r.error`).
 */
export function streamObject(data: unknown, r: ResponseInfo): Obj | undefined {
  if (!isObj(data)) return undefined;
  const err = apiError(data);
  if (err) {
    // the API's error in the stream ends the answer (Chat Completions, Gemini, Ollama send it
    // as their last object after a 200)
    r.error = err;
    r.errorType = apiErrorType(data);
    r.complete = true;
    return undefined;
  }
  return data;
}

/**
 * The conversation of a request whose `messages` carry their text in `content` (Chat
 * Completions, Ollama's /api/chat): its texts, its model turns and its last user text.
 */
export function chatConversation(messages: Obj[], tools: OfferedTool[]): Conversation {
  const texts = messages.map((m) => textOf(m.content));
  const users = texts.filter((_, i) => messages[i].role === "user");
  return {
    tools,
    modelTurns: messages.filter((m) => m.role === "assistant").length,
    texts,
    lastUserText: users[users.length - 1],
  };
}

/** The message of an API error body (`{error: {message}}` in every provider's shape). */
export function apiError(body: unknown): string | undefined {
  const b = Array.isArray(body) ? body[0] : body;
  if (!isObj(b)) return undefined;
  const e = b.error;
  if (isObj(e)) return str(e.message) ?? str(e.type) ?? JSON.stringify(e);
  if (typeof e === "string") return e;
  return undefined;
}

/**
 * The API's name for an error body's error (see {@linkcode ResponseInfo.errorType}): Gemini's
 * `status`, OpenAI's `code`, else the `type` (Anthropic, OpenAI).
 */
export function apiErrorType(body: unknown): string | undefined {
  const b = Array.isArray(body) ? body[0] : body;
  if (!isObj(b) || !isObj(b.error)) return undefined;
  const e = b.error;
  return str(e.status) ?? str(e.code) ?? str(e.type);
}

/**
 * The history of a chat-shaped request whose system prompt travels as its leading `system` (or
 * `developer`) messages (Chat Completions, Ollama): those messages are its system prompt, the
 * rest its entries, as the other APIs keep them apart.
 */
export function chatHistory(messages: readonly Obj[]): History | undefined {
  let n = 0;
  while (
    n < messages.length && (messages[n].role === "system" || messages[n].role === "developer")
  ) n++;
  return historyOf(n ? messages.slice(0, n) : null, messages.slice(n), isAssistant);
}

/** Whether a chat-shaped message is the model's (`role: "assistant"`). */
export const isAssistant = (m: unknown): boolean => isObj(m) && m.role === "assistant";

export function joinNonEmpty(parts: (string | undefined)[], sep = "\n\n"): string | undefined {
  const p = parts.filter((x): x is string => !!x && x.length > 0);
  return p.length ? p.join(sep) : undefined;
}
