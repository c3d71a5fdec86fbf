/**
 * OpenAI Responses conversations continued by `previous_response_id` (every turn of Codex over
 * WebSocket, and HTTP clients that let the server keep state): such a request carries only the
 * new input items; the conversation is the earlier response's whole input, its output items,
 * then these. Resolving the chains, in request order, gives each call the history an HTTP call
 * with the full input would have had — its system prompt, its user input after the last model
 * turn, its message count — and names the call it continues.
 */
import { responsesHistory, responsesRequest } from "./openai_responses.ts";
import { arr, type History, isObj, type Obj, type RequestInfo } from "./shapes.ts";

export interface ChainCall {
  provider: string;
  /** the request body as parsed */
  requestJson: unknown;
  /** the id of the response this call got */
  responseId: string | null;
  /** its output items */
  outputItems?: Obj[];
  /** replaced by the request read from the whole conversation when the chain resolves */
  request: RequestInfo;
  /** set to the index (in the list given) of the call this one continues */
  previous?: number;
}

function inputItems(body: Obj): unknown[] {
  return typeof body.input === "string"
    ? [{ type: "message", role: "user", content: body.input }]
    : arr(body.input);
}

/**
 * Resolves the chains of `calls` (in request order), in place. Returns, by call index, why a
 * chain could not be resolved (its earlier response is not in the recording).
 */
export function resolveResponseChains(calls: ChainCall[]): Map<number, string> {
  const unresolved = new Map<number, string>();
  const byId = new Map<
    string,
    { input: unknown[]; output: unknown[]; index: number; history?: History }
  >();
  calls.forEach((c, i) => {
    if (c.provider !== "openai-responses" || !isObj(c.requestJson)) return;
    const body = c.requestJson;
    let input = inputItems(body);
    const prev = c.request.previousResponseId;
    if (prev !== undefined) {
      const p = byId.get(prev);
      if (p) {
        const added = [...p.output, ...input];
        input = [...p.input, ...added];
        c.request = responsesRequest({ ...body, input });
        // its history: the earlier one's, with only what is new hashed
        c.request.history = p.history &&
          responsesHistory(body.instructions, added, p.history);
        c.previous = p.index;
      } else {
        unresolved.set(
          i,
          `continues response ${prev}, which is not in the recording: only its new input is known`,
        );
      }
    }
    if (c.responseId) {
      byId.set(c.responseId, {
        input,
        output: c.outputItems ?? [],
        index: i,
        history: c.request.history,
      });
    }
  });
  return unresolved;
}
