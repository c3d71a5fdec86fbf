/**
 * Stored responses of the OpenAI Responses API over HTTP, for the scripted model server: the
 * API keeps each response (`store`, true unless the request says false) and a later request
 * naming it in `previous_response_id` sends only its new input items, the stored input and
 * output standing before them. Codex's TypeScript CLI (0.1.x) works that way over
 * `POST /v1/responses` unless told `--disable-response-storage`; the script picks its turn by
 * the model turns in the history, so the history must be whole. A request naming an id the
 * server never stored gets the API's 400 (`previous_response_not_found`). (Over the WebSocket
 * the session keeps its own responses: `responses_websocket.ts`.)
 */

import { createSseParser } from "../../protocols/mod.ts";

type Obj = Record<string, unknown>;

/** A stored response: the whole input it answered and its output items. */
interface Stored {
  input: unknown[];
  output: unknown[];
}

/** A request's input as a list of items (a string input is one user message). */
export function inputItems(body: Obj): unknown[] {
  return Array.isArray(body.input)
    ? body.input
    : typeof body.input === "string"
    ? [{ type: "message", role: "user", content: body.input }]
    : [];
}

export class ResponseStore {
  #kept = new Map<string, Stored>();

  /**
   * The request body with its stored history in place of `previous_response_id` (the body
   * itself when it names none), or the API's error message when the id is not stored.
   */
  expand(body: Obj): { body: Obj } | { error: string } {
    const prev = body.previous_response_id;
    if (typeof prev !== "string") return { body };
    const before = this.#kept.get(prev);
    if (!before) return { error: `Previous response with id '${prev}' not found.` };
    const { previous_response_id: _, ...rest } = body;
    return { body: { ...rest, input: [...before.input, ...before.output, ...inputItems(body)] } };
  }

  /**
   * Keeps the response just served for `body` (expanded), read from its bytes: the
   * `response.completed` (or `response.incomplete`) event of a stream, or the JSON response. Nothing is kept when the
   * request asked `store: false`, or the bytes hold no response with an id.
   */
  keep(body: Obj, bytes: Uint8Array, streaming: boolean): void {
    if (body.store === false) return;
    let response: Obj | undefined;
    if (streaming) {
      const sse = createSseParser({
        onEvent(e) {
          try {
            const ev = JSON.parse(e.data) as Obj;
            // the API keeps an answer cut by max_output_tokens (incomplete) as a completed one
            if (
              (ev.type === "response.completed" || ev.type === "response.incomplete") &&
              ev.response && typeof ev.response === "object"
            ) {
              response = ev.response as Obj;
            }
          } catch { /* not JSON */ }
        },
      });
      sse.feed(bytes);
      sse.end();
    } else {
      try {
        const r = JSON.parse(new TextDecoder().decode(bytes));
        if (r && typeof r === "object" && !Array.isArray(r)) response = r;
      } catch { /* not JSON */ }
    }
    if (typeof response?.id !== "string") return;
    this.#kept.set(response.id, {
      input: inputItems(body),
      output: Array.isArray(response.output) ? response.output : [],
    });
  }

  get size(): number {
    return this.#kept.size;
  }
}
