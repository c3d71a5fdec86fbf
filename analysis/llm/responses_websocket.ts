/**
 * OpenAI Responses over WebSocket (`wss://…/v1/responses`, Codex's default transport): the
 * client sends each turn as a `response.create` text message (a Responses request body, maybe
 * `generate: false` to warm up, maybe only new input after a `previous_response_id`); the
 * server answers with the same event objects as the HTTP event stream, one text message each,
 * up to a terminal one (`response.completed`, `.incomplete`, `.failed`, or an `error` event
 * carrying the HTTP `status` it stands for). `response.processed` acknowledgements carry no
 * call.
 *
 * Events are given to the `response.create` they answer by order (a connection runs its
 * responses one after another). What cannot be read — a client message that is not JSON or of
 * an unknown type, a binary message, events that answer no request recorded — is said in
 * `problems`; nothing is dropped silently.
 */
import type { WsMessage } from "../websocket_stream.ts";
import { responsesRequest, responsesStream } from "./openai_responses.ts";
import {
  isObj,
  notUnderstoodProblems,
  type Obj,
  type RequestInfo,
  type ResponseInfo,
  str,
} from "./shapes.ts";

export interface WsCallRead {
  /** the `response.create` message */
  create: WsMessage;
  /** the server messages that answer it, in order */
  events: WsMessage[];
  /** the request body: the message without its `type` */
  body: Obj;
  request: RequestInfo;
  response: ResponseInfo;
  /** the first event that carried output (text, thinking, a tool call) */
  firstOutput: WsMessage | null;
  /** the HTTP status an `error` event carried */
  status: number | null;
  /** a terminal event came (the answer may still lack events lost or not decoded before it) */
  terminated: boolean;
  problems: string[];
}

export interface WsRead {
  calls: WsCallRead[];
  /** problems not tied to one call */
  problems: string[];
}

const TERMINAL = new Set([
  "response.completed",
  "response.incomplete",
  "response.failed",
  "response.cancelled",
  "error",
]);

const dec = new TextDecoder();

function json(m: WsMessage): Obj | null {
  try {
    const v = JSON.parse(dec.decode(m.data));
    return isObj(v) ? v : null;
  } catch {
    return null;
  }
}

/** True when a connection's client messages are Responses API requests. */
export function carriesResponses(messages: readonly WsMessage[]): boolean {
  return messages.some((m) =>
    m.direction === "client" && m.kind === "text" && json(m)?.type === "response.create"
  );
}

/**
 * Reads the calls of one connection. The connection runs its responses one after another, so
 * the server's events, cut after each terminal event, answer the `response.create` messages
 * in order: the first run the first request, and so on. (Pairing by order, not by time, does
 * not depend on how the bytes were split into TLS calls, nor on clocks.)
 *
 * A connection read from its middle (`joined`, websocket_joined.ts) may lack the request the
 * first events answer, and client messages it could not decode may be requests: order cannot
 * pair there. Its messages are taken in time order (`time`: when each was carried) instead,
 * and events go to the `response.create` last sent before them until its terminal event;
 * events after a client message not decoded, or before any request, answer none recorded.
 */
export function readResponsesWebSocket(
  messages: readonly WsMessage[],
  joined?: { time(m: WsMessage): bigint },
): WsRead {
  const problems: string[] = [];
  const calls: (Omit<WsCallRead, "terminated"> & {
    reader: ReturnType<typeof responsesStream>;
    done: boolean;
  })[] = [];
  const data = messages.filter((m) => m.kind === "text" || m.kind === "binary");
  for (const m of data) {
    if (m.direction !== "client") continue;
    const where = `client message ${m.index}`;
    if (m.kind === "binary") {
      problems.push(`${where}: a binary message (${m.data.length} bytes) is not understood`);
      continue;
    }
    if (m.error && m.data.length === 0) continue; // not decoded: said by the WebSocket parser
    const v = json(m);
    const type = v ? str(v.type) : undefined;
    if (type === "response.create") {
      const { type: _t, ...body } = v!;
      calls.push({
        create: m,
        events: [],
        body,
        request: responsesRequest(body),
        response: responsesStream().result(),
        firstOutput: null,
        status: null,
        problems: m.incomplete ? ["the request message was cut short"] : [],
        reader: responsesStream(),
        done: false,
      });
    } else if (type === "response.processed") {
      // an acknowledgement: no call
    } else if (!v) {
      problems.push(`${where}: not a JSON object (${m.data.length} bytes)`);
    } else {
      problems.push(`${where}: client event type ${JSON.stringify(v.type)} not understood`);
    }
  }
  let orphans = 0;
  const orphanTypes = new Set<string>();
  // each server event read once; the call it answers by order, or (joined) by time
  const events = new Map<WsMessage, Obj | null>();
  for (const m of data) if (m.direction === "server" && m.kind === "text") events.set(m, json(m));
  const typeOf = (m: WsMessage) => {
    const v = events.get(m);
    return v ? str(v.type) ?? "?" : "?";
  };
  const answered = joined ? byTime(data, calls, typeOf, joined.time) : byOrder(data, calls, typeOf);
  // a call open when the server's stream broke lost events there: cut short, whatever follows
  const gapped = new Set<(typeof calls)[number]>();
  // a call with an event of its answer not decoded (damaged, too large): its content may lack
  // what that event carried, so it is not complete whatever its terminal event says
  const damaged = new Set<(typeof calls)[number]>();
  for (const m of data) {
    if (m.direction !== "server") continue;
    const where = `server message ${m.index}`;
    if (m.kind === "binary") {
      problems.push(`${where}: a binary message (${m.data.length} bytes) is not understood`);
      continue;
    }
    const v = events.get(m) ?? null;
    const type = typeOf(m);
    const call = answered.get(m);
    if (!call) {
      orphans++;
      orphanTypes.add(type);
      continue;
    }
    if (m.afterBreak && call.events.length > 0 && !gapped.has(call)) {
      gapped.add(call);
      call.problems.push(`events of the answer before ${where} were lost in a break in the stream`);
    }
    call.events.push(m);
    if (m.error) {
      damaged.add(call);
      call.problems.push(
        `${where} could not be decoded (${m.error}): the answer may lack part of its content`,
      );
    }
    if (!v) {
      if (!m.incomplete && !m.error) call.problems.push(`${where}: event is not JSON`);
      continue;
    }
    if (call.reader.push(type, v) && call.firstOutput === null) call.firstOutput = m;
    if (type === "error" && typeof v.status === "number") call.status = v.status;
    if (TERMINAL.has(type)) call.done = true;
  }
  if (orphans > 0) {
    problems.push(
      `${orphans} server event(s) answer no response.create recorded (${
        [...orphanTypes].join(", ")
      })` + (joined
        ? ": it was not recorded (sent before the recording, or in a break) or not decoded"
        : ""),
    );
  }
  return {
    calls: calls.map((call) => {
      const { reader, done, ...c } = call;
      const response = reader.result();
      c.problems.push(...notUnderstoodProblems(response));
      // a terminal event (an error event too) ends the answer; without one, or with events
      // lost in a break or not decoded before it, it was cut short
      response.complete = done && !gapped.has(call) && !damaged.has(call);
      if (c.status !== null && c.status >= 400 && !response.error) {
        response.error = `HTTP ${c.status}`;
      }
      return { ...c, response, terminated: done };
    }),
    problems,
  };
}

/** Server events given to the requests in order, each run cut after a terminal event. */
function byOrder<C>(
  data: readonly WsMessage[],
  calls: C[],
  typeOf: (m: WsMessage) => string,
): Map<WsMessage, C> {
  const out = new Map<WsMessage, C>();
  let at = 0;
  for (const m of data) {
    if (m.direction !== "server" || m.kind !== "text") continue;
    const call = calls[at];
    if (!call) continue;
    out.set(m, call);
    if (TERMINAL.has(typeOf(m))) at++;
  }
  return out;
}

/**
 * Server events given, in time order, to the `response.create` last sent before them, until
 * its terminal event; a client message not decoded (maybe a request) ends the run too.
 */
function byTime<C extends { create: WsMessage }>(
  data: readonly WsMessage[],
  calls: C[],
  typeOf: (m: WsMessage) => string,
  time: (m: WsMessage) => bigint,
): Map<WsMessage, C> {
  const out = new Map<WsMessage, C>();
  const creates = new Map(calls.map((c) => [c.create, c]));
  const order = data.map((m, i) => ({ m, i, ts: time(m) })).sort((a, b) =>
    a.ts < b.ts
      ? -1
      : a.ts > b.ts
      ? 1
      : a.m.direction === b.m.direction
      ? a.i - b.i
      : a.m.direction === "client"
      ? -1
      : 1
  );
  let open: C | null = null;
  for (const { m } of order) {
    if (m.direction === "client") {
      const c = creates.get(m);
      if (c) open = c;
      else if (m.error && m.data.length === 0) open = null; // not decoded: maybe a request
      continue;
    }
    if (m.kind !== "text" || !open) continue;
    out.set(m, open);
    if (TERMINAL.has(typeOf(m))) open = null;
  }
  return out;
}
