/**
 * The provider-neutral shape of one LLM call that the provider readers fill in: what the
 * request asked (model, system prompt, new user input, tool results sent back, tools offered,
 * JSON output wanted) and what the answer said (text, thinking, tool calls, stop reason, token
 * usage), plus small JSON helpers shared by the readers.
 */

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
 * entry's texts, whatever its API's shape).
 */
function* stringsOf(v: unknown, depth = 0): Generator<string> {
  if (typeof v === "string") yield v;
  else if (depth > 64) return;
  else if (Array.isArray(v)) { for (const x of v) yield* stringsOf(x, depth + 1); }
  else if (isObj(v)) {
    for (const k in v) if (!NOT_TEXT.has(k)) yield* stringsOf(v[k], depth + 1);
  }
}

/**
 * A 53-bit hash of `s`, continuing `seed`: two 32-bit multiply-xor lanes (FNV-1a's and a
 * second prime), mixed at the end. For telling histories apart, not for security.
 */
export function hashText(s: string, seed = 0): number {
  let a = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  let b = (0x9e3779b9 ^ Math.floor(seed / 0x100000000)) >>> 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b) ^ Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  b = Math.imul(b ^ (b >>> 16), 0x27d4eb2f) ^ (a >>> 7);
  return (b >>> 0) % 0x200000 * 0x100000000 + (a >>> 0);
}

/** Text block types: a `content` string is short for one block of text (each API's shorthand). */
const TEXT_BLOCKS = new Set(["text", "input_text", "output_text"]);

/**
 * An entry as the history hash reads it, in one form whichever the client sent: a `content`
 * string as its one text block, text blocks of every API's name alike, and prompt-caching
 * marks (which clients move from turn to turn) left out.
 */
const entryText = (v: unknown, ids?: string[]): string =>
  JSON.stringify(v, function (k, x) {
    if (k === "cache_control") return undefined;
    if (k === "content" && typeof x === "string") return [{ type: "text", text: x }];
    if (isObj(x) && typeof x.type === "string" && TEXT_BLOCKS.has(x.type) && Array.isArray(this)) {
      return { ...x, type: "text" };
    }
    if (ids && (k === "id" || k === "call_id") && typeof x === "string") ids.push(x);
    return x;
  }) ?? "";

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
    const sys = hashText(entryText(blocks));
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
      hash = hashText(entryText(e, ids), hash);
      // the ids of the latest model entry that has any (its tool calls')
      if (ids?.length) toolIds = ids.map((id) => hashText(id));
      lastModel = model;
    }
    const lead = textLines(
      (function* () {
        for (const e of opening) yield* stringsOf(e);
      })(),
      from?.lead,
    );
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
}

/** What a request reader is asked for besides the analysis' fields. */
export interface ReadOptions {
  conversation?: boolean;
}

export interface ToolCallOut {
  id?: string;
  name: string;
  kind: "function" | "custom";
  /** the arguments as JSON text (custom tools: a JSON string of the input) */
  input: string;
}

export interface Usage {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  reasoning?: number;
}

export interface ResponseInfo {
  model?: string;
  responseId?: string;
  text: string;
  thinking: string;
  toolCalls: ToolCallOut[];
  stopReason?: string;
  /** null when the answer carried no usage (e.g. a stream cut before its last event) */
  usage: Usage | null;
  /** the answer ended properly (final event seen, or a whole JSON body) */
  complete: boolean;
  error?: string;
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
  return { text: "", thinking: "", toolCalls: [], usage: null, complete: false };
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
    r.error = err;
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
