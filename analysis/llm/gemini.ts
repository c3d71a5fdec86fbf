/**
 * Gemini API (`POST /v1beta/models/{model}:generateContent` and `:streamGenerateContent`):
 * the request (systemInstruction, contents with functionResponse parts, function declarations,
 * generationConfig with a JSON schema) and the answer: GenerateContentResponse objects, streamed
 * as SSE `data:` events (`?alt=sse`), as a JSON array, or as one object. Thought parts are
 * thinking, functionCall parts tool calls (usually without ids), `usageMetadata` of the last
 * chunk the usage. A stream has no end event: it is complete once a `finishReason` arrived.
 *
 * Vertex AI can stream one call's arguments (`toolConfig.functionCallingConfig.
 * streamFunctionCallArguments`): the call then comes in several functionCall parts, each but the
 * last with `willContinue: true`, the first with its name, and the arguments as `partialArgs`,
 * each a value (`stringValue`, `numberValue`, `boolValue`, `nullValue`) at a `jsonPath` (RFC 9535,
 * `$.foo.bar[0].data`); a string whose `willContinue` is true goes on in the next part for the
 * same path (`PartialArg` and `FunctionCall` in @google/genai's types). They are put together
 * into one call; a path this reader cannot follow keeps its value under the path as written.
 */
import {
  arr,
  type Conversation,
  emptyRequest,
  emptyResponse,
  historyOf,
  hostedToolOf,
  isObj,
  joinNonEmpty,
  mediaNote,
  notUnderstood,
  num,
  type Obj,
  type ReadOptions,
  type RequestInfo,
  type ResponseInfo,
  type ServerToolOut,
  str,
  streamObject,
  type StreamReader,
  type ToolCallOut,
  type ToolResultIn,
  type Usage,
} from "./shapes.ts";

const partsOf = (c: unknown): Obj[] => isObj(c) ? arr(c.parts).filter(isObj) : [];
const textParts = (c: unknown) =>
  partsOf(c).filter((p) => typeof p.text === "string" && p.thought !== true).map((p) =>
    String(p.text)
  );

export function geminiRequest(
  body: unknown,
  pathModel?: string,
  opts: ReadOptions = {},
): RequestInfo {
  const r = emptyRequest();
  r.model = pathModel;
  if (!isObj(body)) return r;
  const contents = arr(body.contents).filter(isObj);
  r.messages = contents.length;
  r.toolsOffered = arr(body.tools).filter(isObj).reduce(
    (n, t) => n + arr(t.functionDeclarations).length,
    0,
  );
  r.systemPrompt = joinNonEmpty(textParts(body.systemInstruction), "\n");
  let lastModel = -1;
  contents.forEach((c, i) => {
    if (c.role === "model") lastModel = i;
  });
  const user: string[] = [];
  const results: ToolResultIn[] = [];
  for (const c of contents.slice(lastModel + 1)) {
    for (const p of partsOf(c)) {
      // text, and a note for each image or file (its bytes said by their size)
      const own = typeof p.text === "string" && p.thought !== true ? p.text : mediaNote(p);
      if (own !== undefined) user.push(own);
      const fr = isObj(p.functionResponse) ? p.functionResponse : undefined;
      if (!fr) continue;
      const resp = isObj(fr.response) ? fr.response : {};
      const value = resp.output ?? resp.error ?? resp.content ?? resp;
      results.push({
        callId: str(fr.id),
        name: str(fr.name),
        text: typeof value === "string" ? value : JSON.stringify(value ?? null),
        isError: resp.error !== undefined,
      });
    }
  }
  r.userInput = joinNonEmpty(user);
  r.toolResults = results;
  const gc = isObj(body.generationConfig) ? body.generationConfig : {};
  r.jsonSchema = gc.responseJsonSchema ?? gc.responseSchema;
  r.wantsJson = r.jsonSchema !== undefined || gc.responseMimeType === "application/json";
  r.leadText = [r.systemPrompt ?? "", ...contents.slice(0, 3).flatMap(textParts)].join("\n")
    .slice(0, 4000);
  r.history = historyOf(body.systemInstruction, contents, (e) => isObj(e) && e.role === "model");
  if (opts.conversation) r.conversation = conversationOf(body, contents);
  return r;
}

function conversationOf(body: Obj, contents: Obj[]): Conversation {
  const c: Conversation = {
    tools: arr(body.tools).filter(isObj).flatMap((t) => arr(t.functionDeclarations)).filter(isObj)
      .filter((f) => typeof f.name === "string").map((f) => ({
        name: f.name as string,
        kind: "function",
        parameters: f.parametersJsonSchema ?? f.parameters,
      })),
    modelTurns: contents.filter((m) => m.role === "model").length,
    texts: [textParts(body.systemInstruction).join("\n")],
  };
  const hosted = arr(body.tools).filter(isObj).flatMap((t) => hostedToolOf("gemini", t));
  if (hosted.length > 0) c.hostedTools = hosted;
  for (const m of contents) {
    const own = textParts(m);
    c.texts.push(own.join("\n"));
    if (m.role !== "model" && own.length > 0) c.lastUserText = own[own.length - 1];
  }
  return c;
}

function usageOf(u: unknown): Usage | null {
  if (!isObj(u)) return null;
  const out: Usage = {};
  const input = num(u.promptTokenCount);
  const cand = num(u.candidatesTokenCount);
  const thoughts = num(u.thoughtsTokenCount);
  if (input !== undefined) out.input = input;
  if (cand !== undefined || thoughts !== undefined) out.output = (cand ?? 0) + (thoughts ?? 0);
  const cached = num(u.cachedContentTokenCount);
  if (cached !== undefined) out.cacheRead = cached;
  if (thoughts !== undefined) out.reasoning = thoughts;
  return out;
}

/** One segment of a JSON Path: `.name`, `[0]`, `['name']` or `["name"]` (RFC 9535). */
const JSON_PATH_SEGMENT =
  /^(?:\.([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\])/;

/** A quoted name's text: JSON's escapes, and `\'` in single quotes (RFC 9535 2.3.1.2). */
function unescapeName(quoted: string): string {
  try {
    return JSON.parse(`"${quoted.replace(/\\'/g, "'").replace(/(^|[^\\])"/g, '$1\\"')}"`);
  } catch {
    return quoted;
  }
}

/** `key` of `at` when its own (never what the prototype has). */
function own(at: Obj | unknown[], key: string | number): unknown {
  return Object.hasOwn(at, key) ? (at as Record<string | number, unknown>)[key] : undefined;
}

/** Sets `key` of `at` as data (a `__proto__` key is a key, not the prototype). */
function put(at: Obj | unknown[], key: string | number, value: unknown): void {
  Object.defineProperty(at, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * The keys of a JSON Path of names and indexes (`$.a.b[0]['c d']`), or null for any other
 * (filters, wildcards, slices: not one place to put a value).
 */
export function jsonPathKeys(path: string): (string | number)[] | null {
  if (!path.startsWith("$")) return null;
  const keys: (string | number)[] = [];
  let rest = path.slice(1);
  while (rest) {
    const m = JSON_PATH_SEGMENT.exec(rest);
    if (!m) return null;
    if (m[1] !== undefined) keys.push(m[1]);
    else if (m[2] !== undefined) keys.push(Number(m[2]));
    else keys.push(unescapeName(m[3] ?? m[4]));
    rest = rest.slice(m[0].length);
  }
  return keys.length ? keys : null;
}

/** How far past an array's end a streamed index may reach (a hole of at most this many). */
const MAX_INDEX_GAP = 1024;

/**
 * Whether `keys` can be followed from `root` as JSON: an array is indexed only by a whole
 * number at most {@linkcode MAX_INDEX_GAP} past its end, never by a name (`length`, `b`), and a
 * value that is neither object nor array is not gone into. A path that cannot is kept under
 * its text as written, so one odd part costs nothing and hides nothing.
 */
function placeable(root: Obj, keys: (string | number)[]): boolean {
  let at: unknown = root;
  for (const [i, k] of keys.entries()) {
    if (Array.isArray(at)) {
      if (typeof k !== "number" || k > at.length + MAX_INDEX_GAP) return false;
    } else if (!isObj(at)) {
      // made on the way: an array for an index, an object for a name
      if (at !== undefined) return false;
      if (typeof k === "number" && k > MAX_INDEX_GAP) return false;
    }
    if (i === keys.length - 1) return true;
    at = isObj(at) || Array.isArray(at) ? own(at, k) : undefined;
  }
  return true;
}

/** A function call whose arguments arrive in parts (`willContinue`, `partialArgs`). */
class StreamedCall {
  id?: string;
  name = "";
  args: Obj = {};
  /** paths whose string value goes on in a later part */
  private open = new Set<string>();

  /** Takes one functionCall part of the call. */
  add(f: Obj): void {
    this.id ??= str(f.id);
    if (!this.name && typeof f.name === "string") this.name = f.name;
    if (isObj(f.args)) Object.assign(this.args, f.args);
    for (const a of arr(f.partialArgs).filter(isObj)) {
      const path = str(a.jsonPath);
      if (path === undefined) continue;
      const value = typeof a.stringValue === "string"
        ? a.stringValue
        : typeof a.numberValue === "number"
        ? a.numberValue
        : typeof a.boolValue === "boolean"
        ? a.boolValue
        : a.nullValue !== undefined
        ? null
        : undefined;
      if (value === undefined) continue;
      let keys = jsonPathKeys(path) ?? [path];
      if (!placeable(this.args, keys)) keys = [path];
      const last = keys[keys.length - 1];
      let at: Obj | unknown[] = this.args;
      for (const [i, k] of keys.slice(0, -1).entries()) {
        const next = own(at, k);
        if (isObj(next) || Array.isArray(next)) {
          at = next;
        } else {
          const made = typeof keys[i + 1] === "number" ? [] : {};
          put(at, k, made);
          at = made;
        }
      }
      const before = own(at, last);
      put(
        at,
        last,
        this.open.has(path) && typeof before === "string" && typeof value === "string"
          ? before + value
          : value,
      );
      if (a.willContinue === true) this.open.add(path);
      else this.open.delete(path);
    }
  }

  call(): ToolCallOut {
    return { id: this.id, name: this.name, kind: "function", input: JSON.stringify(this.args) };
  }
}

/** The finish reasons the Gemini API documents (@google/genai's FinishReason). */
const FINISH_REASONS = new Set([
  "FINISH_REASON_UNSPECIFIED",
  "STOP",
  "MAX_TOKENS",
  "SAFETY",
  "RECITATION",
  "LANGUAGE",
  "OTHER",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "MALFORMED_FUNCTION_CALL",
  "IMAGE_SAFETY",
  "UNEXPECTED_TOOL_CALL",
  "IMAGE_PROHIBITED_CONTENT",
  "NO_IMAGE",
  "IMAGE_RECITATION",
  "IMAGE_OTHER",
  "TOO_MANY_TOOL_CALLS",
  "MISSING_THOUGHT_SIGNATURE",
]);

/** Finish reasons by which the model or its filters declined to answer. */
const REFUSALS = new Set([
  "SAFETY",
  "RECITATION",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "IMAGE_SAFETY",
  "IMAGE_PROHIBITED_CONTENT",
  "IMAGE_RECITATION",
]);

/** The fields a Part may carry (@google/genai's Part): any other is not understood. */
const PART_FIELDS = new Set([
  "text",
  "thought",
  "thoughtSignature",
  "functionCall",
  "functionResponse",
  "executableCode",
  "codeExecutionResult",
  "inlineData",
  "fileData",
  "videoMetadata",
  "partMetadata",
  "mediaResolution",
  "toolCall",
  "toolResponse",
]);

/** Accumulates GenerateContentResponse chunks. */
class Chunks {
  r = emptyResponse();
  text = "";
  thinking = "";
  calls: ToolCallOut[] = [];
  /** code the model ran (executableCode parts), each with its result when it came */
  code: ServerToolOut[] = [];
  /** what Google Search grounding (and URL context) fetched: the last chunk's that says */
  grounding: ServerToolOut[] = [];
  /** a call whose last part said `willContinue` */
  streamed?: StreamedCall;
  /** Adds one chunk; true if it carried output. */
  add(data: unknown): boolean {
    const r = this.r;
    const chunk = streamObject(data, r);
    if (!chunk) return false;
    r.model = str(chunk.modelVersion) ?? r.model;
    r.responseId = str(chunk.responseId) ?? r.responseId;
    if (isObj(chunk.usageMetadata)) r.usage = usageOf(chunk.usageMetadata);
    const blocked = isObj(chunk.promptFeedback) ? str(chunk.promptFeedback.blockReason) : undefined;
    if (blocked) {
      // the prompt itself was refused: an answer with no candidate, and complete
      r.refusal = `prompt blocked: ${blocked}`;
      r.stopReason ??= `prompt blocked: ${blocked}`;
      r.complete = true;
    }
    let content = false;
    const cand = arr(chunk.candidates).filter(isObj)[0];
    if (!cand) return false;
    if (arr(chunk.candidates).length > 1) {
      notUnderstood(r, "candidates beyond the first (candidateCount > 1): only the first is read");
    }
    for (const p of partsOf(cand.content)) {
      for (const k of Object.keys(p)) {
        if (!PART_FIELDS.has(k)) notUnderstood(r, `part field ${JSON.stringify(k)}`);
      }
      if (typeof p.text === "string") {
        if (p.thought === true) this.thinking += p.text;
        else this.text += p.text;
        if (p.text !== "") content = true;
      }
      const media = mediaNote(p);
      if (media) {
        // an image (or other file) the model made: said by its size, not copied
        this.text += (this.text && !this.text.endsWith("\n") ? "\n" : "") + media;
        content = true;
      }
      if (isObj(p.executableCode)) {
        const c = p.executableCode;
        this.code.push({
          id: str(c.id),
          name: "code_execution",
          input: JSON.stringify({ language: c.language ?? null, code: c.code ?? "" }),
        });
        content = true;
      }
      if (isObj(p.codeExecutionResult)) {
        const res = p.codeExecutionResult;
        const id = str(res.id);
        const at = this.code.findLast((c) => c.resultType === undefined && (!id || c.id === id));
        const outcome = str(res.outcome);
        const result = {
          resultType: outcome ?? "codeExecutionResult",
          result: String(res.output ?? ""),
          isError: outcome !== undefined && outcome !== "OUTCOME_OK",
        };
        if (at) Object.assign(at, result);
        else this.code.push({ id, name: "code_execution", input: "{}", ...result });
        content = true;
      }
      if (isObj(p.functionCall)) {
        const f = p.functionCall;
        if (
          this.streamed && typeof f.name === "string" && f.name !== "" && this.streamed.name &&
          f.name !== this.streamed.name
        ) {
          // another call begins while one said willContinue: that one ends here, cut short
          this.calls.push(this.streamed.call());
          this.streamed = undefined;
        }
        if (this.streamed || f.willContinue === true || f.partialArgs !== undefined) {
          // a part of a call streamed in parts: the next ones follow while it says willContinue
          const s = this.streamed ??= new StreamedCall();
          s.add(f);
          if (f.willContinue !== true) {
            this.calls.push(s.call());
            this.streamed = undefined;
          }
        } else {
          this.calls.push({
            id: str(f.id),
            name: String(f.name ?? ""),
            kind: "function",
            input: JSON.stringify(f.args ?? {}),
          });
        }
        content = true;
      }
    }
    if (isObj(cand.groundingMetadata) || isObj(cand.urlContextMetadata)) {
      this.grounding = groundingOf(cand);
    }
    if (str(cand.finishReason)) {
      const reason = str(cand.finishReason)!;
      r.stopReason = reason;
      r.complete = true;
      if (REFUSALS.has(reason)) r.refusal = reason;
      if (!FINISH_REASONS.has(reason)) notUnderstood(r, `finish reason ${JSON.stringify(reason)}`);
    }
    return content;
  }
  result(): ResponseInfo {
    this.r.text = this.text;
    this.r.thinking = this.thinking;
    // a streamed call the answer ended in the middle of: what of it arrived
    this.r.toolCalls = this.streamed ? [...this.calls, this.streamed.call()] : this.calls;
    this.r.serverTools = [...this.grounding, ...this.code];
    return this.r;
  }
}

/**
 * The searches Google Search grounding made (`groundingMetadata`: its queries, and the pages
 * its chunks cite) and the pages URL context fetched (`urlContextMetadata`), as server tools.
 */
function groundingOf(cand: Obj): ServerToolOut[] {
  const out: ServerToolOut[] = [];
  const g = isObj(cand.groundingMetadata) ? cand.groundingMetadata : undefined;
  if (g) {
    const pages = arr(g.groundingChunks).filter(isObj).map((c) => {
      const src = isObj(c.web) ? c.web : isObj(c.retrievedContext) ? c.retrievedContext : {};
      return [str(src.title), str(src.uri)].filter(Boolean).join(" ");
    }).filter((t) => t !== "");
    const queries = [...arr(g.webSearchQueries), ...arr(g.retrievalQueries)];
    if (queries.length > 0 || pages.length > 0) {
      out.push({
        name: "google_search",
        input: JSON.stringify({ queries }),
        resultType: "groundingMetadata",
        result: pages.join("\n"),
      });
    }
  }
  const u = isObj(cand.urlContextMetadata) ? cand.urlContextMetadata : undefined;
  for (const m of arr(u?.urlMetadata).filter(isObj)) {
    const status = str(m.urlRetrievalStatus);
    out.push({
      name: "url_context",
      input: JSON.stringify({ url: m.retrievedUrl ?? null }),
      resultType: status ?? "urlMetadata",
      isError: status !== undefined && status !== "URL_RETRIEVAL_STATUS_SUCCESS",
    });
  }
  return out;
}

export function geminiJson(body: unknown): ResponseInfo {
  const c = new Chunks();
  for (const chunk of Array.isArray(body) ? body : [body]) c.add(chunk);
  const r = c.result();
  // one object (generateContent) is whole once it parses; a streamed array, as a stream, once
  // a finishReason (or the API's error) came
  if (!r.error && !Array.isArray(body) && isObj(body)) r.complete = true;
  return r;
}

/**
 * The whole items of a JSON array cut short (`[{...}, {...}, {"candi`): what a
 * streamGenerateContent answer without `alt=sse` held when its body broke off; undefined when
 * the text is not the start of an array.
 */
export function wholeArrayItems(text: string): unknown[] | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\r\n".includes(text[i])) i++;
  };
  ws();
  if (text[i] !== "[") return undefined;
  i++;
  const items: unknown[] = [];
  while (true) {
    ws();
    if (text[i] === ",") (i++, ws());
    if (i >= text.length || text[i] === "]") return items;
    // one item: to the end of its outermost object or array, strings skipped
    const start = i;
    let depth = 0;
    let inString = false;
    for (; i < text.length; i++) {
      const ch = text[i];
      if (inString) {
        if (ch === "\\") i++;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === "{" || ch === "[") depth++;
      else if (ch === "}" || ch === "]") {
        if (--depth === 0) break;
      }
    }
    if (i >= text.length) return items; // cut inside this item
    try {
      items.push(JSON.parse(text.slice(start, ++i)));
    } catch {
      return items;
    }
  }
}

export function geminiStream(): StreamReader {
  const c = new Chunks();
  return {
    push: (_type, data) => c.add(data),
    result: () => c.result(),
  };
}
