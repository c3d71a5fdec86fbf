/**
 * Gemini API (`POST /v1beta/models/{model}:generateContent` and `:streamGenerateContent`):
 * the request (systemInstruction, contents with functionResponse parts, function declarations,
 * generationConfig with a JSON schema) and the answer: GenerateContentResponse objects, streamed
 * as SSE `data:` events (`?alt=sse`), as a JSON array, or as one object. Thought parts are
 * thinking, functionCall parts tool calls (usually without ids), `usageMetadata` of the last
 * chunk the usage. A stream has no end event: it is complete once a `finishReason` arrived.
 */
import {
  arr,
  type Conversation,
  emptyRequest,
  emptyResponse,
  isObj,
  joinNonEmpty,
  num,
  type Obj,
  type ReadOptions,
  type RequestInfo,
  type ResponseInfo,
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
    user.push(...textParts(c));
    for (const p of partsOf(c)) {
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

/** Accumulates GenerateContentResponse chunks. */
class Chunks {
  r = emptyResponse();
  text = "";
  thinking = "";
  calls: ToolCallOut[] = [];
  /** Adds one chunk; true if it carried output. */
  add(data: unknown): boolean {
    const r = this.r;
    const chunk = streamObject(data, r);
    if (!chunk) return false;
    r.model = str(chunk.modelVersion) ?? r.model;
    r.responseId = str(chunk.responseId) ?? r.responseId;
    if (isObj(chunk.usageMetadata)) r.usage = usageOf(chunk.usageMetadata);
    let content = false;
    const cand = arr(chunk.candidates).filter(isObj)[0];
    if (!cand) return false;
    for (const p of partsOf(cand.content)) {
      if (typeof p.text === "string") {
        if (p.thought === true) this.thinking += p.text;
        else this.text += p.text;
        if (p.text !== "") content = true;
      }
      if (isObj(p.functionCall)) {
        const f = p.functionCall;
        this.calls.push({
          id: str(f.id),
          name: String(f.name ?? ""),
          kind: "function",
          input: JSON.stringify(f.args ?? {}),
        });
        content = true;
      }
    }
    if (str(cand.finishReason)) {
      r.stopReason = str(cand.finishReason);
      r.complete = true;
    }
    return content;
  }
  result(): ResponseInfo {
    this.r.text = this.text;
    this.r.thinking = this.thinking;
    this.r.toolCalls = this.calls;
    return this.r;
  }
}

export function geminiJson(body: unknown): ResponseInfo {
  const c = new Chunks();
  for (const chunk of Array.isArray(body) ? body : [body]) c.add(chunk);
  const r = c.result();
  if (!r.error && isObj(Array.isArray(body) ? body[0] : body)) r.complete = true;
  return r;
}

export function geminiStream(): StreamReader {
  const c = new Chunks();
  return {
    push: (_type, data) => c.add(data),
    result: () => c.result(),
  };
}
