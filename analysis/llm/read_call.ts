/**
 * Reads one LLM call out of an HTTP exchange's decoded bodies: dispatches on the API route to
 * the provider's request reader and its answer reader (server-sent events — or Ollama's NDJSON
 * lines, given as events of type `ndjson` — one by one, or one JSON body), and says which event first carried output (for the time to first token).
 */
import type { TimedSseEvent } from "../message_body.ts";
import { anthropicJson, anthropicRequest, anthropicStream } from "./anthropic.ts";
import { geminiJson, geminiRequest, geminiStream, wholeArrayItems } from "./gemini.ts";
import { ollamaJson, ollamaRequest, ollamaStream } from "./ollama.ts";
import { chatJson, chatRequest, chatStream } from "./openai_chat.ts";
import { responsesJson, responsesRequest, responsesStream } from "./openai_responses.ts";
import type { ApiRoute } from "./route.ts";
import {
  emptyRequest,
  emptyResponse,
  notUnderstoodProblems,
  type ReadOptions,
  type RequestInfo,
  type ResponseInfo,
  type StreamReader,
} from "./shapes.ts";

export interface CallRead {
  /** the request body as parsed (undefined when it is not JSON) */
  requestJson?: unknown;
  request: RequestInfo;
  response: ResponseInfo;
  /** stream offset of the event that first carried output; null if none did */
  firstOutputOffset: number | null;
  problems: string[];
}

const dec = new TextDecoder();

function parseJson(bytes: Uint8Array | undefined, what: string, problems: string[]): unknown {
  if (!bytes || bytes.length === 0) return undefined;
  try {
    return JSON.parse(dec.decode(bytes));
  } catch (e) {
    problems.push(`${what} is not JSON (${(e as Error).message.split("\n")[0]})`);
    return undefined;
  }
}

/** A cut JSON array's whole items, when the body does not parse whole. */
function salvageArray(body: Uint8Array): unknown[] | undefined {
  const text = dec.decode(body);
  try {
    return JSON.parse(text);
  } catch {
    return wholeArrayItems(text);
  }
}

export function readRequest(route: ApiRoute, body: Uint8Array | undefined, problems: string[]) {
  return requestOf(route, parseJson(body, "request body", problems));
}

/**
 * Reads a parsed request body by the provider's request reader (the one the scripted model
 * server plays its script from too, asking for the `conversation`).
 */
export function requestOf(
  route:
    & Pick<ApiRoute, "provider" | "model">
    & Partial<Pick<ApiRoute, "endpoint" | "stream" | "platform">>,
  json: unknown,
  opts: ReadOptions = {},
): RequestInfo {
  if (json === undefined) return emptyRequest();
  switch (route.provider) {
    case "anthropic":
    case "openai-chat": {
      const r = route.provider === "anthropic"
        ? anthropicRequest(json, opts)
        : chatRequest(json, opts);
      // Vertex and Bedrock take the model out of the body into the path (Bedrock the stream
      // flag too); an Azure deployment names the model when the body does not
      r.model ??= route.model;
      if (route.stream !== undefined) r.stream = route.stream;
      return r;
    }
    case "openai-responses":
      return responsesRequest(json, opts);
    case "gemini": {
      const r = geminiRequest(json, route.model, opts);
      r.stream = route.endpoint === "streamGenerateContent";
      return r;
    }
    case "ollama":
      return ollamaRequest(
        json,
        route.endpoint === "api/generate" ? "api/generate" : "api/chat",
        opts,
      );
  }
}

function streamReader(route: ApiRoute): StreamReader {
  switch (route.provider) {
    case "anthropic":
      return anthropicStream();
    case "openai-responses":
      return responsesStream();
    case "openai-chat":
      return chatStream();
    case "gemini":
      return geminiStream();
    case "ollama":
      return ollamaStream();
  }
}

function jsonReader(route: ApiRoute): (body: unknown) => ResponseInfo {
  switch (route.provider) {
    case "anthropic":
      return anthropicJson;
    case "openai-responses":
      return responsesJson;
    case "openai-chat":
      return chatJson;
    case "gemini":
      return geminiJson;
    case "ollama":
      return ollamaJson;
  }
}

/** Reads a call; `events` when the answer was an event stream, else `responseBody`. */
export function readCall(
  route: ApiRoute,
  requestBody: Uint8Array | undefined,
  answer:
    | { events: TimedSseEvent[] }
    | {
      body: Uint8Array | undefined;
      endOffset: number | null;
      /** the body broke off before its end */
      cut?: boolean;
    },
): CallRead {
  const problems: string[] = [];
  const requestJson = parseJson(requestBody, "request body", problems);
  let request: RequestInfo;
  try {
    request = requestOf(route, requestJson);
  } catch (e) {
    // a body no reader expected (nesting past the stack): the call, without what it asked
    problems.push(`the request body could not be read: ${(e as Error).message}`);
    request = emptyRequest();
  }
  if ("events" in answer) {
    const reader = streamReader(route);
    let first: number | null = null;
    for (const e of answer.events) {
      let data: unknown = e.data;
      if (e.data !== "[DONE]") {
        try {
          data = JSON.parse(e.data);
        } catch {
          if (!e.incomplete) problems.push(`event ${JSON.stringify(e.type)} data is not JSON`);
          continue;
        }
      }
      if (reader.push(e.type, data) && first === null) first = e.offset;
    }
    const response = reader.result();
    problems.push(...notUnderstoodProblems(response));
    return { requestJson, request, response, firstOutputOffset: first, problems };
  }
  // a Gemini stream without alt=sse is one JSON array: cut short, its whole items are read
  // (the cut itself is the exchange's incomplete problem)
  const salvaged = route.provider === "gemini" && route.endpoint === "streamGenerateContent" &&
      answer.body && answer.cut
    ? salvageArray(answer.body)
    : undefined;
  const json = salvaged ?? parseJson(answer.body, "response body", problems);
  const response = json === undefined ? emptyResponse() : jsonReader(route)(json);
  problems.push(...notUnderstoodProblems(response));
  const hasOutput = response.text !== "" || response.thinking !== "" ||
    response.toolCalls.length > 0 || response.serverTools.length > 0 ||
    response.refusal !== undefined;
  return {
    requestJson,
    request,
    response,
    firstOutputOffset: hasOutput ? answer.endOffset : null,
    problems,
  };
}
