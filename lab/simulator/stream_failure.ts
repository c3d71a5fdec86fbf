/**
 * A scripted answer that breaks off after a 200 (a turn's `fail` with `after`), in each API's
 * own wire format: the answer's first events, then the provider's in-stream error — Anthropic's
 * `event: error` (its error type), an OpenAI Chat Completions chunk holding only `error` (and
 * no `[DONE]`), OpenAI Responses' `response.failed` (its `response.error.code`), a Gemini
 * `{"error": {code, message, status}}` object (an SSE event, or the JSON array's last item),
 * a Bedrock event-stream exception message, an Ollama `{"error"}` line — or nothing more: the
 * body ends ("end"), the transport drops it ("close"), or it stays silent first ("stall").
 */

import { encodeEventStreamMessage } from "../../protocols/mod.ts";
import {
  anthropicErrorType,
  bedrockErrorType,
  failureMessage,
  failureResponse,
  geminiErrorStatus,
  openaiErrorType,
} from "./provider_api.ts";
import type { RenderedResponse } from "./reply.ts";
import type { RequestView } from "./request_view.ts";
import type { Route } from "./routes.ts";
import type { TurnFailure } from "./scenario.ts";
import { encodeSseEvent } from "./sse.ts";

type Obj = Record<string, unknown>;

/** The answer as served, and what could not be played as scripted (one line, or none). */
export interface BrokenAnswer {
  response: RenderedResponse<string | Uint8Array>;
  problem?: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Bedrock's stream exceptions (InvokeModelWithResponseStream's ResponseStream members). */
const BEDROCK_STREAM: Record<string, string> = {
  ThrottlingException: "throttlingException",
  ServiceUnavailableException: "serviceUnavailableException",
  ModelTimeoutException: "modelTimeoutException",
  ValidationException: "validationException",
  InternalServerException: "internalServerException",
};

/** The provider's error as one more piece of the stream. */
function errorPiece(
  route: Route,
  view: RequestView,
  status: number,
  message: string,
  sequence: number,
  first: string | Uint8Array | undefined,
): string | Uint8Array {
  if (route.platform === "bedrock") {
    const type = BEDROCK_STREAM[bedrockErrorType(status)] ?? "modelStreamErrorException";
    return encodeEventStreamMessage(
      {
        ":exception-type": type,
        ":content-type": "application/json",
        ":message-type": "exception",
      },
      enc.encode(JSON.stringify({ message })),
    );
  }
  switch (view.provider) {
    case "anthropic":
      return encodeSseEvent(
        JSON.stringify({
          type: "error",
          error: { type: anthropicErrorType(status), message },
        }),
        { event: "error" },
      );
    case "openai-chat": {
      const [type, code] = openaiErrorType(status);
      return encodeSseEvent(JSON.stringify({ error: { message, type, param: null, code } }));
    }
    case "openai-responses": {
      // the response as response.created gave it, now failed (its output so far is dropped)
      let response: Obj = {};
      try {
        const text = typeof first === "string" ? first : dec.decode(first);
        const data = text.split("\n").find((l) => l.startsWith("data: "));
        response = (JSON.parse(data!.slice(6)) as Obj).response as Obj ?? {};
      } catch { /* no response.created sent: the failed response says what it can */ }
      const code = status === 429
        ? "rate_limit_exceeded"
        : status >= 500
        ? "server_error"
        : "invalid_prompt";
      return encodeSseEvent(
        JSON.stringify({
          type: "response.failed",
          sequence_number: sequence,
          response: {
            ...response,
            status: "failed",
            error: { code, message },
            output: [],
            usage: null,
          },
        }),
        { event: "response.failed" },
      );
    }
    case "gemini":
      return encodeSseEvent(
        JSON.stringify({ error: { code: status, message, status: geminiErrorStatus(status) } }),
        { eol: "\r\n" },
      );
    case "ollama":
      return JSON.stringify({ error: message }) + "\n";
  }
}

/**
 * Breaks off a rendered answer as `f` says. A streamed answer keeps its first `f.after` pieces
 * (never its last: an `after` that reaches it is lowered to keep the break inside, and said);
 * a whole JSON answer (not streamed, or Gemini's JSON array) is cut in its middle, or for
 * `cut: "error"` gets the error as the array's last item (Gemini) or instead (others, said).
 */
export function breakAnswer(
  route: Route,
  view: RequestView,
  whole: RenderedResponse<string | Uint8Array>,
  f: TurnFailure,
): BrokenAnswer {
  const cut = f.cut ?? "error";
  const after = f.after ?? 0;
  const tail = (chunks: (string | Uint8Array)[]): RenderedResponse<string | Uint8Array> => ({
    status: 200,
    headers: whole.headers,
    chunks,
    streaming: true,
    ...(cut === "close"
      ? { cut: {} }
      : cut === "stall"
      ? { cut: { stallMs: (f.seconds ?? 1) * 1000 } }
      : {}),
  });
  if (!whole.streaming) return breakWhole(route, view, whole, f, tail);
  let n = after;
  let problem: string | undefined;
  if (n >= whole.chunks.length) {
    n = whole.chunks.length - 1;
    problem = `fail.after ${after} reaches past the answer's last event (it has ` +
      `${whole.chunks.length}): broke off after ${n}`;
  }
  const kept = whole.chunks.slice(0, n);
  if (cut === "error") {
    kept.push(
      errorPiece(route, view, f.status ?? 500, failureMessage(f), n, whole.chunks[0]),
    );
  }
  return { response: tail(kept), ...(problem ? { problem } : {}) };
}

/** A whole JSON answer broken off: cut in its middle, or an error where it can stand. */
function breakWhole(
  route: Route,
  view: RequestView,
  whole: RenderedResponse<string | Uint8Array>,
  f: TurnFailure,
  tail: (chunks: (string | Uint8Array)[]) => RenderedResponse<string | Uint8Array>,
): BrokenAnswer {
  const text = whole.chunks.map((c) => typeof c === "string" ? c : dec.decode(c)).join("");
  const cut = f.cut ?? "error";
  if (view.provider === "gemini" && view.stream) {
    // streamGenerateContent without alt=sse: one JSON array, an item per chunk
    const items = JSON.parse(text) as unknown[];
    let n = f.after ?? 0;
    let problem: string | undefined;
    if (n >= items.length) {
      n = items.length - 1;
      problem = `fail.after ${f.after} reaches past the answer's last item (it has ` +
        `${items.length}): broke off after ${n}`;
    }
    const shown = items.slice(0, n);
    if (cut === "error") {
      const status = f.status ?? 500;
      shown.push({
        error: { code: status, message: failureMessage(f), status: geminiErrorStatus(status) },
      });
    }
    let body = JSON.stringify(shown, null, 2);
    // no "end" of the array when the connection drops: cut inside the next item
    if (cut === "close" || cut === "stall") {
      const next = JSON.stringify(items.slice(0, n + 1), null, 2);
      body = next.slice(0, body.length - 1 + Math.ceil((next.length - body.length) / 2));
    }
    return { response: tail([body]), ...(problem ? { problem } : {}) };
  }
  if (cut === "error") {
    return {
      response: failureResponse(view.provider, f, route.platform),
      problem: "fail.after with cut error is for a streamed answer: this request asked for " +
        "a whole one, so the error was its whole answer (use cut close, end or stall)",
    };
  }
  // the body's first half, then the cut
  return { response: tail([text.slice(0, Math.floor(text.length / 2))]) };
}
