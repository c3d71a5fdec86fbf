/**
 * Builds the rows of `http_exchanges`, `sse_events`, `ws_messages`, `llm_calls`, `tool_calls`
 * and the stream problems from a recording's `tls` rows: rebuild the byte streams, parse each
 * connection, decode bodies, event streams and WebSocket messages, time every event and
 * message by the TLS call that carried its byte, read the LLM calls (over HTTP, and OpenAI
 * Responses over WebSocket), number them in request order, resolve `previous_response_id`
 * chains, price them, and match each tool call to the later request that carried its result
 * back.
 */
import {
  type Connection,
  damageIn,
  type DirectionStream,
  rebuildConnections,
  type TlsView,
  tsAt,
} from "./byte_streams.ts";
import {
  type CaptureMode,
  type ConnectionResult,
  type Exchange,
  type Message,
  parseConnection,
} from "./connection_parser.ts";
import {
  awsEvents,
  decodeBody,
  type DecodedBody,
  isAwsEventStream,
  isEventStream,
  isNdjson,
  ndjsonEvents,
  sseEvents,
} from "./message_body.ts";
import { agentOf, callKind } from "./llm/call_kind.ts";
import { readCall } from "./llm/read_call.ts";
import { type ChainCall, resolveResponseChains } from "./llm/response_chains.ts";
import { carriesResponses, readResponsesWebSocket } from "./llm/responses_websocket.ts";
import { type ApiRoute, routeLlmCall, routeLlmRequest } from "./llm/route.ts";
import {
  emptyRequest,
  hashText,
  type History,
  isObj,
  type RequestInfo,
  type ResponseInfo,
  type TextLines,
  textLines,
} from "./llm/shapes.ts";
import { costOf, missingPrice, priceFor, type PriceTable } from "./pricing.ts";
import type {
  HttpExchangeRow,
  LlmCallRow,
  ProblemRow,
  ProxyRequestRow,
  ServerToolCallRow,
  SseEventRow,
  ToolCallRow,
  WsMessageRow,
} from "./schema.ts";
import type { WebSocketExchange, WsMessage } from "./websocket_stream.ts";
import { CLEARTEXT_GEN, cleartextLabel } from "./cleartext_http.ts";
import { tlsProxyRequests } from "./proxy_requests.ts";
import { answerMayStayOpen, isMcpEventStream } from "./open_ended_answers.ts";
import { type CallStub, CallStubs, ExchangeStubs, type Transport } from "./http_stubs.ts";
import { SummarisedConversations } from "./summarised_conversation.ts";
import { tieTranscriptResults } from "./transcript_results.ts";

export interface HttpTables {
  exchanges: HttpExchangeRow[];
  events: SseEventRow[];
  wsMessages: WsMessageRow[];
  calls: LlmCallRow[];
  tools: ToolCallRow[];
  serverTools: ServerToolCallRow[];
  problems: ProblemRow[];
}

export interface BuildOptions {
  /** bound on a message head, an HTTP/2 frame or header block (default 1 MiB) */
  maxBufferSize?: number;
  /** bound on one server-sent event (default 16 MiB) */
  maxEventSize?: number;
  /** bound on one kept body, wire and decoded (default 64 MiB) */
  maxBodySize?: number;
  /** bound on one WebSocket message held on the wire (default 16 MiB) */
  maxMessageSize?: number;
  /** called after each connection */
  progress?: (done: number, total: number) => void;
  /** the recording says bytes of its streams were lost (`statedStreamLoss`): MCP's event
   * stream whose end is not recorded may have been cut by it, so it is `incomplete` */
  statedLoss?: string | null;
  /** how the capture began (manifest `mode`, `ParseOptions.captureMode`) */
  captureMode?: CaptureMode;
  /** how each traced process ended, by pid, earliest first (`process_ends.sql`): an answer
   * its client process ended inside is said as left unread, not as bytes not recorded */
  processEnds?: ReadonlyMap<number, readonly ProcessEnd[]>;
}

/** A traced process's end (its exit record). */
export interface ProcessEnd {
  ns: bigint;
  comm: string;
  /** "exit code 0", "killed by SIGINT" */
  how: string;
}

/**
 * The end of the process `pid` at or after `afterNs` (its last recorded byte on a connection):
 * the first exit of that pid from then on (a pid reused later is another process).
 */
function endAfter(
  ends: ReadonlyMap<number, readonly ProcessEnd[]> | undefined,
  pid: number,
  afterNs: bigint,
): ProcessEnd | undefined {
  return ends?.get(pid)?.find((e) => e.ns >= afterNs);
}

/** The last recorded call of a connection's two streams (ns), or null. */
function lastTs(c: Connection): bigint | null {
  const w = c.write.ts.at(-1) ?? null;
  const r = c.read.ts.at(-1) ?? null;
  return w === null ? r : r === null ? w : w > r ? w : r;
}

/** "7.9 s" from two ns timestamps. */
function secondsBetween(from: bigint, to: bigint): string {
  return `${(Number(to - from) / 1e9).toFixed(1)} s`;
}

/** One LLM call as read, before it is numbered, its chain resolved and its row made. */
interface CallDraft {
  pid: number;
  agent: string | null;
  route: ApiRoute;
  transport: Transport;
  streaming: boolean;
  status: number | null;
  request_ns: bigint | null;
  first_byte_ns: bigint | null;
  first_token_ns: bigint | null;
  end_ns: bigint | null;
  requestJson: unknown;
  request: RequestInfo;
  response: ResponseInfo;
  /** the exchange's answer is missing */
  noAnswer: boolean;
  /** WebSocket calls: a terminal event ended the answer (whole or not) */
  terminated?: boolean;
  /** problems of this call (WebSocket calls: their own, not the exchange's) */
  errors: string[];
  /** the WebSocket messages of this call */
  messages: WsMessageRow[];
  /** cost and where its price came from (set by connectionExchanges) */
  cost_usd: number | null;
  price_source: string | null;
}

interface Built {
  row: HttpExchangeRow;
  events: SseEventRow[];
  ws: WsMessageRow[];
  sortTs: bigint;
  calls: CallDraft[];
  /** its request looks like an LLM call on a route no reader knows */
  unrouted?: boolean;
}

const ns = (v: bigint | null | undefined): bigint | null => v ?? null;
const ms = (a: bigint | null, b: bigint | null): number | null =>
  a !== null && b !== null ? Number(b - a) / 1e6 : null;

function header(m: Message | undefined, name: string): string | null {
  return m?.lookup[name]?.[0] ?? null;
}

function connLabel(pid: number, connId: bigint, gen: number): string {
  if (gen === CLEARTEXT_GEN) return cleartextLabel(pid, connId);
  return `pid ${pid} conn 0x${connId.toString(16)} gen ${gen}`;
}

function streamProblems(
  recording: string,
  label: string,
  dir: string,
  s: DirectionStream,
): ProblemRow[] {
  const out: ProblemRow[] = [];
  for (const b of s.breaks) {
    out.push({
      recording,
      source: label,
      kind: b.kind === "missing" ? "gap" : "truncated",
      message: b.kind === "missing"
        ? `${dir} stream: ${b.amount} TLS call(s) missing before offset ${b.offset}`
        : `${dir} stream: a TLS call was cut at --max-tls-bytes (${b.amount} bytes not recorded) before offset ${b.offset}`,
      exchange_id: null,
    });
  }
  // a row written empty was withheld by the capture (capture/stream_damage.ts), the others
  // have zero-filled holes
  for (const withheld of [false, true]) {
    const rows = s.lost.filter(([start, end]) => (start === end) === withheld);
    const lost = rows.reduce((n, x) => n + x[2], 0);
    if (lost === 0) continue;
    out.push({
      recording,
      source: label,
      kind: "lost",
      message: withheld
        ? `${dir} stream: ${lost} bytes withheld by the capture in ${rows.length} TLS call(s) ` +
          "(HTTP/2 after a gap: written empty so no secret leaks unmasked)"
        : `${dir} stream: ${lost} bytes lost in capture (zero-filled) in ${rows.length} TLS call(s)`,
      exchange_id: null,
    });
  }
  return out;
}

/** Damage of one message: breaks and lost bytes in its byte range (to the stream end if cut). */
function messageDamage(s: DirectionStream, m: Message | undefined, toEnd = false) {
  if (!m) return { gap: false, truncated: false, lost: 0 };
  return damageIn(s, m.start, m.complete && !toEnd ? m.end : s.length);
}

const dec = new TextDecoder();
const enc = new TextEncoder();

/** The rows of a WebSocket's messages, timed by the TLS calls that carried their bytes. */
function wsRows(
  recording: string,
  ws: WebSocketExchange,
  w: DirectionStream,
  r: DirectionStream,
  base: { pid: number; connId: bigint; connGen: number },
): Map<WsMessage, WsMessageRow> {
  const rows = new Map<WsMessage, WsMessageRow>();
  for (const m of ws.messages) {
    const s = m.direction === "client" ? w : r;
    let text: string | null = null;
    let eventType: string | null = null;
    if (m.kind === "text") {
      text = dec.decode(m.data);
      if (text.startsWith("{")) {
        try {
          const v = JSON.parse(text);
          if (typeof v?.type === "string") eventType = v.type;
        } catch { /* not JSON */ }
      }
    }
    rows.set(m, {
      recording,
      exchange_id: 0n,
      pid: base.pid,
      conn_id: base.connId,
      conn_gen: base.connGen,
      direction: m.direction,
      message_index: m.index,
      kind: m.kind,
      ts_ns: tsAt(s, m.firstByte),
      end_ns: tsAt(s, m.lastByte),
      wire_bytes: BigInt(m.wireSize),
      size: BigInt(m.data.length),
      compressed: m.compressed,
      frames: m.frames,
      event_type: eventType,
      text,
      data: m.kind === "text" && !m.invalidUtf8 ? null : m.data,
      close_code: m.closeCode ?? null,
      incomplete: m.incomplete,
      error: m.error ?? null,
      llm_call_id: null,
    });
  }
  return rows;
}

/** The LLM calls of a WebSocket that speaks the OpenAI Responses API. */
function wsCalls(
  x: Exchange,
  ws: WebSocketExchange,
  rows: Map<WsMessage, WsMessageRow>,
  pid: number,
  errors: string[],
): CallDraft[] {
  const routed = routeLlmCall("POST", x.request?.target);
  if (routed?.provider !== "openai-responses" && !carriesResponses(ws.messages)) {
    if (routed) {
      errors.push(
        `WebSocket on ${x.request?.target}: ${ws.messages.length} messages; only the OpenAI ` +
          `Responses API is understood over WebSocket`,
      );
    }
    return [];
  }
  const route: ApiRoute = { provider: "openai-responses", endpoint: "responses" };
  const read = readResponsesWebSocket(
    ws.messages,
    ws.joined || ws.resynced ? { time: (m) => rows.get(m)!.ts_ns ?? 0n } : undefined,
  );
  errors.push(...read.problems.map((p) => `Responses over WebSocket: ${p}`));
  const textMessages = ws.messages.filter((m) => m.kind === "text").length;
  if (read.calls.length === 0) {
    errors.push(
      `Responses over WebSocket: ${textMessages} text message(s), no response.create read` +
        (ws.messages.some((m) => m.error) ? " (messages could not be decoded)" : ""),
    );
  }
  return read.calls.map((c) => {
    const first = c.events[0];
    const last = c.events.at(-1);
    const msgs = [c.create, ...c.events].map((m) => rows.get(m)!);
    return {
      pid,
      agent: agentOf(header(x.request, "user-agent") ?? undefined),
      route,
      transport: "websocket",
      streaming: true,
      status: c.status,
      request_ns: rows.get(c.create)!.ts_ns,
      first_byte_ns: first ? rows.get(first)!.ts_ns : null,
      first_token_ns: c.firstOutput ? rows.get(c.firstOutput)!.end_ns : null,
      end_ns: last ? rows.get(last)!.end_ns : null,
      requestJson: c.body,
      request: c.request,
      response: c.response,
      noAnswer: !first,
      terminated: c.terminated,
      errors: c.problems,
      messages: msgs,
      cost_usd: null,
      price_source: null,
    };
  });
}

async function buildExchange(
  recording: string,
  tls: TlsView,
  x: Exchange,
  w: DirectionStream,
  r: DirectionStream,
  base: { pid: number; connId: bigint; connGen: number; cleartext?: boolean; host?: string },
  opts: BuildOptions,
): Promise<Built> {
  void tls;
  const req = x.request;
  const resp = x.response;
  const errors = [...x.errors];
  const ws = x.websocket;
  const decode = async (m: Message | undefined): Promise<DecodedBody | null> => {
    if (!m || m.bodyLength === 0 || ws) return null;
    const d = await decodeBody(m, { maxOutputSize: opts.maxBodySize });
    if (d.error) errors.push(d.error);
    return d;
  };
  const reqBody = await decode(req);
  const respBody = await decode(resp);
  const aws = !!resp && isAwsEventStream(resp.lookup);
  const ndjson = !!resp && isNdjson(resp.lookup);
  const streaming = !!resp && (isEventStream(resp.lookup) || aws || ndjson);
  // a WebSocket's damage runs to the end of the connection
  const dw = messageDamage(w, req, !!ws);
  const dr = messageDamage(r, resp, !!ws);
  let events = null;
  /** the events a client dispatched: all but a last one the whole body ends inside */
  let dispatched = null;
  if (streaming && respBody) {
    const s = aws
      ? awsEvents(respBody, opts.maxEventSize)
      : ndjson
      ? ndjsonEvents(respBody, opts.maxEventSize)
      : sseEvents(respBody, opts.maxEventSize);
    if (s.error) errors.push(s.error);
    events = dispatched = s.events;
    // a whole body whose last event has no blank line after it: "If the file ends in the middle
    // of an event, before the final empty line, the incomplete event is not dispatched" (WHATWG
    // HTML, server-sent events, "Interpreting an event stream"; the SDKs' decoders drop it
    // too). The agent never saw it, so the call is read without it (llm_calls is what the agent
    // saw); sse_events and the body keep it, and the problem says what was on the wire. (A body
    // cut short, or with a hole or a break in it, is another matter: the capture may have lost
    // the blank line the agent read.)
    const last = events.at(-1);
    const undamaged = !dr.gap && !dr.truncated && dr.lost === 0;
    if (!aws && !ndjson && resp.complete && undamaged && last?.incomplete) {
      dispatched = events.slice(0, -1);
      const n = enc.encode(last.data).length;
      errors.push(
        `event stream ends inside an event: its last event (${last.type}, ` +
          `${n} byte${n === 1 ? "" : "s"} of data) has no blank line after it: a client does ` +
          "not dispatch it (WHATWG HTML, server-sent events), so llm_calls leaves it out; " +
          "sse_events keeps it (incomplete)",
      );
    }
  }
  const requestNs = req ? tsAt(w, req.start) : null;
  const responseNs = resp ? tsAt(r, resp.start) : null;
  const responseEndNs = resp ? tsAt(r, Math.max(resp.start, resp.end - 1)) : null;
  const row: HttpExchangeRow = {
    recording,
    exchange_id: 0n,
    pid: base.pid,
    conn_id: base.connId,
    conn_gen: base.connGen,
    protocol: x.protocol,
    stream_id: x.streamId ?? null,
    host: header(req, "host") ?? header(req, ":authority") ?? base.host ?? null,
    method: req?.method ?? null,
    path: req?.target ?? null,
    status: resp?.status ?? null,
    request_headers: req ? JSON.stringify(req.headers) : null,
    response_headers: resp ? JSON.stringify(resp.headers) : null,
    request_content_type: header(req, "content-type"),
    response_content_type: header(resp, "content-type"),
    content_encoding: header(resp, "content-encoding"),
    request_content_encoding: header(req, "content-encoding"),
    request_bytes: BigInt(req?.bodyLength ?? 0),
    response_bytes: BigInt(resp?.bodyLength ?? 0),
    request_body: req?.bodyKept === false ? null : reqBody?.bytes ?? null,
    response_body: resp?.bodyKept === false ? null : respBody?.bytes ?? null,
    streaming,
    sse_events: events?.length ?? 0,
    ws_messages: ws?.messages.length ?? 0,
    request_ns: ns(requestNs),
    request_end_ns: req ? tsAt(w, Math.max(req.start, req.end - 1)) : null,
    response_ns: ns(responseNs),
    response_end_ns: ns(responseEndNs),
    request_complete: !!req?.complete,
    response_complete: !!resp?.complete,
    // a request whose response is missing after a break in the response stream
    gap: dw.gap || dr.gap ||
      (!!req && !resp && requestNs !== null && r.breaks.some((b) => r.ts[b.at] >= requestNs)),
    truncated: dw.truncated || dr.truncated,
    lost_bytes: BigInt(dw.lost + dr.lost),
    error: null,
    llm_call_id: null,
  };
  const eventRows: SseEventRow[] = (events ?? []).map((e, i) => ({
    recording,
    exchange_id: 0n,
    event_index: i,
    type: e.type,
    data: e.data,
    ts_ns: tsAt(r, e.offset),
    incomplete: e.incomplete,
  }));
  const built: Built = {
    row,
    events: eventRows,
    ws: [],
    sortTs: requestNs ?? responseNs ?? 0n,
    calls: [],
  };
  if (ws) {
    const rows = wsRows(recording, ws, w, r, base);
    built.ws = [...rows.values()];
    built.calls = wsCalls(x, ws, rows, base.pid, errors);
    // read from its middle, it has no request or response: it is timed by its first message
    if (!req && !resp) {
      for (const m of built.ws) {
        if (m.ts_ns !== null && (built.sortTs === 0n || m.ts_ns < built.sortTs)) {
          built.sortTs = m.ts_ns;
        }
      }
    }
  }
  let route: ApiRoute | null = null;
  if (!ws && req) {
    const pathRoute = routeLlmCall(req.method, req.target);
    // the body is needed where the path cannot tell: Bedrock's models, Ollama's common paths,
    // routes no reader knows
    const needBody = req.method === "POST" &&
      (!pathRoute || pathRoute.platform === "bedrock" || pathRoute.provider === "ollama");
    let json: unknown;
    if (needBody && reqBody && reqBody.bytes[0] === 0x7b) {
      try {
        json = JSON.parse(dec.decode(reqBody.bytes));
      } catch { /* not JSON: read_call says so when it is a call */ }
    }
    const r = needBody ? routeLlmRequest(req.method, req.target, json) : { route: pathRoute };
    route = r.route;
    if (r.unread) (errors.push(r.unread), built.unrouted = true);
  }
  if (route) {
    const answer = dispatched ? { events: dispatched } : {
      body: respBody?.bytes,
      endOffset: resp && resp.bodyLength > 0 ? resp.end - 1 : null,
      cut: !!resp && !resp.complete,
    };
    const read = readCall(route, reqBody?.bytes, answer);
    errors.push(...read.problems);
    const a = read.response;
    if (resp && resp.status >= 400) {
      if (!a.error) a.error = `HTTP ${resp.status}`;
      // an error answer is the whole answer: complete when its message is
      if (resp.complete) a.complete = true;
    }
    built.calls.push({
      pid: base.pid,
      agent: agentOf(header(req, "user-agent") ?? undefined),
      route,
      transport: base.cleartext ? "cleartext-http" : "http",
      streaming,
      status: resp?.status ?? null,
      request_ns: ns(requestNs),
      first_byte_ns: ns(responseNs),
      first_token_ns: read.firstOutputOffset !== null ? tsAt(r, read.firstOutputOffset) : null,
      end_ns: ns(responseEndNs),
      requestJson: read.requestJson,
      request: read.request,
      response: a,
      noAnswer: !resp,
      errors: [],
      messages: [],
      cost_usd: null,
      price_source: null,
    });
  }
  row.error = errors.length ? [...new Set(errors)].join("; ") : null;
  return built;
}

/** One exchange of a connection, built but not yet numbered or linked. */
export type BuiltExchange = Built;

/** A connection's exchanges, its problems, and the requests it asked of a proxy. */
export interface ConnectionExchanges {
  built: BuiltExchange[];
  problems: ProblemRow[];
  proxied?: ProxyRequestRow[];
}

/**
 * A connection's parse, or, when the parser fails on its bytes (a fault of the analysis), no
 * exchanges and one problem saying so: the other connections of the recording are still read.
 */
function parseOrSay(parse: () => ConnectionResult): ConnectionResult {
  try {
    return parse();
  } catch (e) {
    return {
      protocol: "http/1.1",
      exchanges: [],
      problems: [
        `the connection's bytes could not be parsed (${
          e instanceof Error ? `${e.name}: ${e.message}` : String(e)
        }): a fault of the analysis; none of its exchanges are read`,
      ],
    };
  }
}

/**
 * Parses one connection into its exchanges (with their LLM calls), in connection order. With
 * `onExchange`, each exchange is given to it as soon as it is built (and priced) and not kept:
 * `built` comes back empty, so a long connection's parsed rows do not pile up until its end.
 */
export async function connectionExchanges(
  recording: string,
  tls: TlsView,
  c: Connection,
  prices: PriceTable,
  opts: BuildOptions = {},
  onExchange?: (b: BuiltExchange) => Promise<void> | void,
): Promise<ConnectionExchanges> {
  const label = connLabel(c.pid, c.connId, c.connGen);
  const problems = [
    ...streamProblems(recording, label, "write", c.write),
    ...streamProblems(recording, label, "read", c.read),
  ];
  const parsed = parseOrSay(() =>
    parseConnection(tls, c, {
      maxBufferSize: opts.maxBufferSize,
      maxBodySize: opts.maxBodySize,
      maxMessageSize: opts.maxMessageSize,
      captureMode: opts.captureMode,
    })
  );
  for (const p of parsed.problems) {
    problems.push({ recording, source: label, kind: "protocol", message: p, exchange_id: null });
  }
  // an HTTPS proxy's client: the requests asked of it, as on a cleartext connection (which
  // cleartext_http.ts reads from the connection's own bytes)
  const proxied = c.cleartext ? [] : tlsProxyRequests(
    { recording, conn_id: c.connId, conn_gen: c.connGen, pid: c.pid },
    parsed.exchanges.flatMap((x) =>
      x.protocol === "http/1.1" && x.request?.sentTarget
        ? [{
          method: x.request.method,
          target: x.request.sentTarget,
          ns: tsAt(c.write, x.request.start) ?? 0n,
        }]
        : []
    ),
    (message) =>
      problems.push({ recording, source: label, kind: "protocol", message, exchange_id: null }),
  );
  const built: Built[] = [];
  // the client's process ended after the connection's last recorded byte: what it did not
  // read it never read (no later call of it can carry bytes); with bytes said lost, unknown
  const last = lastTs(c);
  const ended = last === null || opts.statedLoss
    ? undefined
    : endAfter(opts.processEnds, c.pid, last);
  const clientEnded = ended && last !== null
    ? `its client (pid ${c.pid} ${ended.comm}) ended (${ended.how}) ` +
      `${secondsBetween(last, ended.ns)} after the connection's last recorded bytes, before ` +
      "the answer's end: it stopped waiting (interrupted, timed out or failed), and all it " +
      "read is recorded"
    : undefined;
  for (const x of parsed.exchanges) {
    const b = await buildExchange(
      recording,
      tls,
      x,
      c.write,
      c.read,
      {
        pid: c.pid,
        connId: c.connId,
        connGen: c.connGen,
        cleartext: c.cleartext,
        host: c.host,
      },
      opts,
    );
    // MCP's event stream left open, in a recording that says it lost bytes: maybe cut by that
    const cutByLoss = !!opts.statedLoss && isMcpEventStream(x, b.events);
    if (
      x.request?.complete && !x.response?.complete && !x.cancelled &&
      (cutByLoss || !answerMayStayOpen(x, b.events, b.row.request_body))
    ) {
      // the stream ends inside the answer (or before it): the call is incomplete (a stream the
      // client cancelled is not: it read what it wanted, and all it read was recorded; nor an
      // answer it need not read to its end: MCP's event stream, the DELETE ending a session, a
      // POST of JSON-RPC notifications and responses alone, its answer a 202 Accepted or not
      // read at all; an error status cut short is still said: open_ended_answers.ts)
      problems.push({
        recording,
        source: label,
        kind: "incomplete",
        message: `${x.request.method ?? "?"} ${x.request.target ?? "?"}: the response ` +
          (cutByLoss
            ? "(MCP's event stream) has no recorded end, and the recording says bytes were " +
              `lost (${opts.statedLoss}): it may have been cut by that loss, not closed by ` +
              "the client"
            : x.serverReset !== undefined
            ? `is cut short: the server reset its stream (RST_STREAM ${x.serverReset})`
            : x.response?.followedByResponse
            ? "is cut short: its body breaks off where the next response begins on the same " +
              "TLS connection object (the connection closed mid-body and a new one reused " +
              "the object; the library's free of it is not hooked, so the two are not told " +
              "apart by generation)"
            : x.response
            ? (clientEnded
              ? `is cut short: ${clientEnded}`
              : "is cut short (its last bytes were not recorded)")
            : clientEnded
            ? `was never read: ${clientEnded}`
            : "was not recorded"),
        exchange_id: null,
      });
    }
    for (const d of b.calls) {
      if (d.transport !== "websocket" || d.response.complete) continue;
      // over a WebSocket each answer ends in a terminal event (response.completed, .failed,
      // .incomplete, error): without one the connection ended inside it, or its last messages
      // were not recorded
      problems.push({
        recording,
        source: label,
        kind: "incomplete",
        message: `WebSocket ${x.request?.target ?? "(its upgrade not recorded)"}: the answer ` +
          "to a response.create " +
          (d.noAnswer
            ? (clientEnded
              ? `was never read: ${clientEnded}`
              : "was not recorded (no event answers it)")
            : d.terminated
            ? `(${d.response.responseId ?? "no response id"}) is not whole: a terminal event ` +
              "ends it, but events before it were lost in a break or not decoded (its call's " +
              "problems say which)"
            : `(${d.response.responseId ?? "no response id"}) is cut short: ` +
              (clientEnded ??
                "no terminal event ends it (the connection closed inside it, or its last " +
                  "messages were not recorded)")),
        exchange_id: null,
      });
    }
    if (!x.request && x.response) {
      // its request was not recorded (the write stream at all, or the connection joined while
      // the request was awaited): no stream break can tell it
      problems.push({
        recording,
        source: label,
        kind: "gap",
        message: `a response (status ${x.response.status ?? "?"}) without its request: ` +
          `its request was not recorded`,
        exchange_id: null,
      });
    }
    for (const d of b.calls) price(d, prices);
    if (onExchange) await onExchange(b);
    else built.push(b);
  }
  return { built, problems, proxied };
}

/** Prices a call from its model and usage. */
function price(d: CallDraft, prices: PriceTable): void {
  if (d.status !== null && d.status >= 400 && !d.response.usage) {
    // an error answer reports no tokens: the APIs bill none
    d.cost_usd = 0;
    d.price_source = `an error answer (HTTP ${d.status}) reports no tokens`;
    return;
  }
  const outcome = outcomeOf(d);
  // an answer that broke off after a 200: its tokens as far as it reported them
  const broke = outcome === "cut" || outcome === "unanswered" ||
    (outcome === "error" && !(d.status !== null && d.status >= 400));
  const why = outcome === "error"
    ? `the stream ended with the API's error (${d.response.errorType ?? "no type"})`
    : "the answer was cut short";
  if (broke && !d.response.usage) {
    d.cost_usd = null;
    d.price_source = `unknown: ${why} before it reported any tokens`;
    return;
  }
  const model = d.response.model ?? d.request.model ?? null;
  const p = priceFor(prices, model);
  d.cost_usd = p ? costOf(d.route.provider, d.response.usage, p) : null;
  const missing = p ? missingPrice(d.response.usage, p) : undefined;
  d.price_source = p
    ? `${prices.path.split("/").pop()} ${p.match}: ${
      missing ? `no cost: ${missing}; ` : ""
    }${p.source}`
    : null;
  if (broke) {
    d.price_source = `${d.price_source ?? "no price for the model"}; tokens as far as ` +
      `reported: ${why} before its final usage may have come`;
  }
}

/** How a call's answer ended (llm_calls.outcome). */
export function outcomeOf(
  d: Pick<CallDraft, "noAnswer" | "response">,
): "complete" | "error" | "cut" | "unanswered" {
  if (d.noAnswer) return "unanswered";
  if (d.response.error !== undefined && d.response.complete) return "error";
  return d.response.complete ? "complete" : "cut";
}

/** The llm_calls row of a call, from what was read of it (after its chain was resolved). */
function callRow(
  recording: string,
  d: CallDraft,
  ids: { llm: bigint; exchange: bigint; previous?: bigint | null },
): LlmCallRow {
  const q = d.request;
  const a = d.response;
  const kind = callKind(q);
  const model = a.model ?? q.model ?? null;
  const u = a.usage;
  const big = (v: number | undefined) => v === undefined ? null : BigInt(v);
  return {
    recording,
    llm_call_id: ids.llm,
    exchange_id: ids.exchange,
    pid: d.pid,
    agent: d.agent,
    provider: d.route.provider,
    endpoint: d.route.endpoint,
    transport: d.transport,
    kind: kind.kind,
    side_kind: kind.side ?? null,
    model,
    request_model: q.model ?? null,
    streaming: d.streaming,
    status: d.status,
    request_ns: d.request_ns,
    first_byte_ns: d.first_byte_ns,
    first_token_ns: d.first_token_ns,
    end_ns: d.end_ns,
    ttft_ms: ms(d.request_ns, d.first_token_ns),
    duration_ms: ms(d.request_ns, d.end_ns),
    system_prompt: q.systemPrompt ?? null,
    user_input: q.userInput ?? null,
    assistant_text: a.text !== "" ? a.text : null,
    thinking: a.thinking !== "" ? a.thinking : null,
    tool_call_count: a.toolCalls.length,
    server_tool_call_count: a.serverTools.length,
    refusal: a.refusal ?? null,
    tool_result_count: q.toolResults.length,
    messages: q.messages,
    tools_offered: q.toolsOffered,
    stop_reason: a.stopReason ?? null,
    input_tokens: big(u?.input),
    output_tokens: big(u?.output),
    cache_read_tokens: big(u?.cacheRead),
    cache_write_tokens: big(u?.cacheWrite),
    cache_write_1h_tokens: big(u?.cacheWrite1h),
    reasoning_tokens: big(u?.reasoning),
    cost_usd: d.cost_usd,
    price_source: d.price_source,
    response_id: a.responseId ?? null,
    previous_response_id: q.previousResponseId ?? null,
    previous_llm_call_id: ids.previous ?? null,
    // its number until `HttpAssembler.finish` gives the conversation's
    conversation_id: ids.llm,
    conversation_via: null,
    incomplete: d.noAnswer || !a.complete,
    error: a.error ?? null,
    outcome: outcomeOf(d),
    error_type: a.errorType ?? null,
  };
}

const cmp = (a: bigint | null, b: bigint | null) => {
  const x = a ?? 0n;
  const y = b ?? 0n;
  return x < y ? -1 : x > y ? 1 : 0;
};

/** Builds the HTTP and LLM rows of one recording. */
export async function buildHttpTables(
  recording: string,
  tls: TlsView,
  prices: PriceTable,
  opts: BuildOptions = {},
): Promise<HttpTables> {
  const sink = memorySink();
  const a = new HttpAssembler(recording, sink);
  const conns = rebuildConnections(tls);
  for (let ci = 0; ci < conns.length; ci++) {
    await a.add(conns[ci], await connectionExchanges(recording, tls, conns[ci], prices, opts));
    opts.progress?.(ci + 1, conns.length);
  }
  return sink.tables(a.finish());
}

/** What places a connection in the order of exchanges: its first TLS call, then its key. */
export type ConnKey = Pick<Connection, "firstTs" | "pid" | "connId" | "connGen">;

/** Compares connections as `rebuildConnections` orders them. */
function byFirstCall(a: ConnKey, b: ConnKey): number {
  return a.firstTs < b.firstTs ? -1 : a.firstTs > b.firstTs ? 1 : a.pid - b.pid ||
    (a.connId < b.connId ? -1 : a.connId > b.connId ? 1 : a.connGen - b.connGen);
}

/**
 * Where an `HttpAssembler` puts each exchange's rows as it is added. Their ids are
 * provisional — `exchange_id` and `llm_call_id` count in the order the rows were added — until
 * `finish` gives the numbers (`HttpNumbers`) to put in their place.
 */
export interface HttpRowSink {
  exchanges(rows: HttpExchangeRow[]): Promise<void> | void;
  events(rows: SseEventRow[]): Promise<void> | void;
  wsMessages(rows: WsMessageRow[]): Promise<void> | void;
  /** the calls that do not continue an earlier response (the others come from `finish`) */
  calls(rows: LlmCallRow[]): Promise<void> | void;
}

/** The numbers that replace the provisional ids, and the rows made once all are in. */
export interface HttpNumbers {
  /** `exchange_id` of each exchange, by provisional id - 1 */
  exchangeIds: bigint[];
  /** `llm_call_id` of each exchange's HTTP LLM call (null when none), by provisional id - 1 */
  exchangeCalls: (bigint | null)[];
  /** `llm_call_id` of each call, by provisional id - 1 */
  callIds: bigint[];
  /** `exchange_id` of each call, by provisional call id - 1 */
  callExchanges: bigint[];
  /** `conversation_id` of each call (see `llm_calls`), by provisional call id - 1 */
  callConversations: bigint[];
  /** `conversation_via` of each call (see `llm_calls`), by provisional call id - 1 */
  callConversationVia: (ConversationVia | null)[];
  /**
   * the calls that continue an earlier response, their rows made with their chain (with
   * provisional ids, but the final `previous_llm_call_id`)
   */
  chainedCalls: LlmCallRow[];
  tools: ToolCallRow[];
  serverTools: ServerToolCallRow[];
  problems: ProblemRow[];
  /** the requests asked of HTTPS proxies, read from TLS connections (`proxy_requests`) */
  proxied: ProxyRequestRow[];
}

/** What chain resolution needs of a call that does not continue another. */
const NO_CHAIN: RequestInfo = emptyRequest();

/**
 * Numbers a recording's exchanges and LLM calls, resolves `previous_response_id` chains and
 * matches tool results to tool calls, taking the parsed connections one at a time in any
 * order: each exchange's rows go to the sink at once (bodies, events, messages and most
 * call rows are not held), and only what the numbering and matching need is kept — per
 * exchange its time and place, per call its times, tool calls and results, and for OpenAI
 * Responses calls their input and output items — compactly (`http_stubs.ts`: numbers in typed
 * columns, the rest as JSON text outside V8's heap).
 *
 * The numbers are those of the whole-table build: exchanges by request time, then by their
 * connection's first TLS call and their place in it; calls by request time, then exchange.
 */
export class HttpAssembler {
  /** per connection: its key, its problems (once ended) and how many exchanges it has given */
  #conns: { key: ConnKey; problems: ProblemRow[]; exchanges: number }[] = [];
  #proxied: ProxyRequestRow[] = [];
  #exchanges = new ExchangeStubs();
  #calls = new CallStubs<CallDraft>();

  constructor(readonly recording: string, readonly sink: HttpRowSink) {}

  /** Adds one connection's exchanges (as `connectionExchanges` built them). */
  async add(
    key: ConnKey,
    parsed: ConnectionExchanges,
  ): Promise<void> {
    const conn = this.begin(key);
    for (const b of parsed.built) await this.exchange(conn, b);
    this.end(conn, parsed);
  }

  /**
   * Starts a connection whose exchanges come one at a time (`exchange`, in connection order),
   * then its problems and proxy requests (`end`); returns its handle. The rows are those
   * `add` makes, in the same order.
   */
  begin(key: ConnKey): number {
    const { firstTs, pid, connId, connGen } = key;
    this.#conns.push({ key: { firstTs, pid, connId, connGen }, problems: [], exchanges: 0 });
    return this.#conns.length - 1;
  }

  /** Ends connection `conn` (from `begin`) with what its parse said besides its exchanges. */
  end(conn: number, parsed: Pick<ConnectionExchanges, "problems" | "proxied">): void {
    this.#conns[conn].problems = parsed.problems;
    appendAll(this.#proxied, parsed.proxied ?? []);
  }

  /** The next exchange of connection `conn` (from `begin`): its rows go to the sink at once. */
  async exchange(conn: number, b: BuiltExchange): Promise<void> {
    const calls: LlmCallRow[] = [];
    const key = this.#conns[conn].key;
    const k = this.#conns[conn].exchanges++;
    const source = connLabel(b.row.pid, b.row.conn_id, b.row.conn_gen);
    const ex = this.#exchanges.add(
      b.sortTs,
      conn,
      k,
      b.row.error
        ? {
          source,
          kind: b.calls.length || b.row.ws_messages > 0 || b.unrouted ? "llm" : "protocol",
          message: `${
            b.row.method === null && b.row.path === null && b.row.ws_messages > 0
              ? "WebSocket (its upgrade not recorded)"
              : `${b.row.method ?? "?"} ${b.row.path ?? "?"}`
          }: ${b.row.error}`,
        }
        : null,
    );
    const id = BigInt(ex + 1);
    // a call's problems name its connection (kept only when its label is another)
    const ownConn = b.row.conn_id === key.connId && b.row.conn_gen === key.connGen;
    b.row.exchange_id = id;
    for (const e of b.events) e.exchange_id = id;
    for (const m of b.ws) m.exchange_id = id;
    b.calls.forEach((d, j) => {
      const callId = BigInt(this.#calls.length + 1);
      for (const m of d.messages) m.llm_call_id = callId;
      const responses = d.route.provider === "openai-responses" && isObj(d.requestJson);
      const chained = responses && d.request.previousResponseId !== undefined;
      if (!chained) calls.push(callRow(this.recording, d, { llm: callId, exchange: id }));
      const main = callKind(d.request).kind === "main";
      this.#calls.add({
        exchange: ex,
        j,
        request_ns: d.request_ns,
        end_ns: d.end_ns,
        pid: d.pid,
        transport: d.transport,
        path: b.row.path,
        source: ownConn && d.pid === key.pid
          ? null
          : connLabel(d.pid, b.row.conn_id, b.row.conn_gen),
        errors: d.errors,
        toolResults: d.request.toolResults,
        toolCalls: d.response.toolCalls,
        serverTools: d.response.serverTools,
        history: d.request.history ?? null,
        main,
        userInput: d.request.userInput ?? null,
        answer: d.response.toolCalls.length || d.response.text === ""
          ? null
          : textLines([d.response.text]),
        failed: d.noAnswer || !d.response.complete || d.response.error !== undefined ||
          (d.status !== null && d.status >= 400) ||
          // a main turn answered with nothing to go on: the client asks again (Gemini CLI
          // after a SAFETY stop with no text, Qwen Code after a refusal)
          (main &&
            (d.response.refusal !== undefined ||
              (d.response.text === "" && !d.response.toolCalls.length))),
        chain: d.route.provider !== "openai-responses" ? null : {
          provider: d.route.provider,
          // what resolution reads of a call that continues nothing: its input items
          requestJson: chained || !isObj(d.requestJson)
            ? d.requestJson
            : { input: (d.requestJson as Record<string, unknown>).input },
          responseId: d.response.responseId ?? null,
          outputItems: d.response.responseId ? d.response.outputItems : undefined,
          request: chained ? d.request : { ...NO_CHAIN, history: d.request.history },
        },
        // (its row reads neither its messages, written already, nor its body: its chain does)
        draft: chained ? { ...d, messages: [], requestJson: undefined } : null,
      });
    });
    await this.sink.exchanges([b.row]);
    if (b.events.length) await this.sink.events(b.events);
    if (b.ws.length) await this.sink.wsMessages(b.ws);
    if (calls.length) await this.sink.calls(calls);
  }

  /** Numbers everything added; the rows and numbers still to write. */
  finish(): HttpNumbers {
    const recording = this.recording;
    const rank = new Array<number>(this.#conns.length);
    [...this.#conns.keys()]
      .sort((a, b) => byFirstCall(this.#conns[a].key, this.#conns[b].key))
      .forEach((c, r) => (rank[c] = r));
    const problems: ProblemRow[] = [];
    for (const c of [...this.#conns].sort((a, b) => byFirstCall(a.key, b.key))) {
      appendAll(problems, c.problems);
    }
    // exchanges by request time, then connection order and place in the connection
    const xs = this.#exchanges;
    const sortTs = xs.sortTimes();
    const exOrder = [...sortTs.keys()].sort((a, b) =>
      cmp(sortTs[a], sortTs[b]) || rank[xs.conn(a)] - rank[xs.conn(b)] || xs.k(a) - xs.k(b)
    );
    const exchangeIds = new Array<bigint>(xs.length);
    exOrder.forEach((x, i) => {
      const id = BigInt(i + 1);
      exchangeIds[x] = id;
      const p = xs.problem(x);
      if (p) problems.push({ recording, ...p, exchange_id: id });
    });
    // calls in request order (a WebSocket's calls interleave with other connections' calls)
    const cs = this.#calls;
    const requestTs = cs.requestTimes();
    const conn = (c: number) => rank[xs.conn(cs.exchange(c))];
    const owner = (s: CallStub<CallDraft>) => this.#conns[xs.conn(s.exchange)].key;
    const callOrder = [...requestTs.keys()].sort((a, b) =>
      cmp(requestTs[a], requestTs[b]) || conn(a) - conn(b) ||
      xs.k(cs.exchange(a)) - xs.k(cs.exchange(b)) || cs.j(a) - cs.j(b)
    );
    const chainOf: number[] = [];
    const chains: ChainCall[] = [];
    const continued = cs.continued();
    for (const c of callOrder) {
      const chain = cs.chain(c, continued);
      if (chain) (chainOf.push(c), chains.push(chain));
    }
    const unresolved = resolveResponseChains(chains);
    // what is read of a chain from here on is its request and the call it continues
    for (const chain of chains) (chain.requestJson = null, chain.outputItems = undefined);
    const chainAt = new Map(chainOf.map((c, k) => [c, k]));
    const callIds = new Array<bigint>(cs.length);
    callOrder.forEach((c, i) => (callIds[c] = BigInt(i + 1)));
    const callExchanges = Array.from(requestTs, (_, c) => exchangeIds[cs.exchange(c)]);
    const exchangeCalls = new Array<bigint | null>(xs.length).fill(null);
    const chainedCalls: LlmCallRow[] = [];
    const tools: ToolCallRow[] = [];
    const serverTools: ServerToolCallRow[] = [];
    const pendingResults: ToolCallRow[] = [];
    // each process's latest tool calls, whose text a sub-agent's task may be
    const recentTools = new Map<number, ToolCallRow[]>();
    const callConversations = new Array<bigint>(cs.length);
    const callConversationVia = new Array<ConversationVia | null>(cs.length).fill(null);
    const convs = new ConversationTracker();
    for (const c of callOrder) {
      const s = cs.get(c);
      const callId = callIds[c];
      const k = chainAt.get(c);
      let toolResults = s.toolResults;
      if (s.draft) {
        const chain = chains[k!];
        s.draft.request = chain.request;
        toolResults = chain.request.toolResults;
        const previous = chain.previous === undefined ? null : callIds[chainOf[chain.previous]];
        // with its provisional ids, as the other calls' rows were made
        chainedCalls.push(
          callRow(recording, s.draft, {
            llm: BigInt(c + 1),
            exchange: BigInt(s.exchange + 1),
            previous,
          }),
        );
      }
      if (s.transport !== "websocket") exchangeCalls[s.exchange] = callId;
      const why = [
        ...s.errors,
        ...(k !== undefined && unresolved.has(k) ? [unresolved.get(k)!] : []),
      ];
      if (why.length) {
        problems.push({
          recording,
          source: s.source ?? connLabel(owner(s).pid, owner(s).connId, owner(s).connGen),
          kind: "llm",
          message: `LLM call ${callId} (${s.transport}, ${s.path ?? "?"}): ${why.join("; ")}`,
          exchange_id: callExchanges[c],
        });
      }
      // a call continuing a response: the history it stands for, resolved through its chain
      const history = s.draft && k !== undefined ? chains[k].request.history ?? null : s.history;
      const previous = k === undefined ? undefined : chains[k].previous;
      // a fork: a sub-agent sent the history of the call that started it, its tool call
      // answered with the fork's task (the parent sends the real result later); a call that
      // continues a response is no fork
      const fork = previous === undefined &&
        forkOf(pendingResults, toolResults, s.userInput, s.pid);
      // results first: they answer calls of earlier LLM calls
      const answered = fork
        ? undefined
        : linkResults(pendingResults, toolResults, callId, s.request_ns, s.pid);
      let joined: [bigint, ConversationVia, bigint?] | undefined = fork
        ? undefined
        : previous !== undefined
        ? [convs.resolve(callConversations[chainOf[previous]]), "response"]
        // the results it carries answer tool calls of that conversation's calls
        : answered
        ? [convs.ofCall(answered.llm_call_id)!, "tool_results"]
        : convs.continued(s, history, () => taskOf(recentTools.get(s.pid), s.userInput));
      // the first main turn of a chain that began with a warm-up (Codex over WebSocket) and
      // sends the history of another process's session: that session, resumed
      if (joined?.[1] === "response" && s.main && !convs.hasMain(joined[0])) {
        const resumed = convs.continued(s, history);
        if (resumed?.[1] === "resumed" && resumed[0] !== joined[0]) {
          convs.merge(joined[0], resumed[0]);
          joined = resumed;
        }
      }
      callConversations[c] = joined?.[0] ?? callId;
      callConversationVia[c] = joined?.[1] ?? null;
      // the summariser's call that began the conversation merged into this one (its id)
      if (joined?.[2] !== undefined) {
        const summariser = callOrder[Number(joined[2]) - 1];
        callConversationVia[summariser] = "transcript";
        // results of its process's calls that reached the model only as that text
        const sum = cs.get(summariser);
        const { untied } = tieTranscriptResults(
          pendingResults,
          tools,
          (t) => askedBy.get(t),
          sum.userInput ?? "",
          joined[2],
          sum.request_ns,
          sum.pid,
          // the conversation summarised (a sub-agent may share its process)
          (t) => convs.ofCall(t.llm_call_id) === joined[0],
        );
        for (const message of untied) {
          problems.push({
            recording,
            source: "tool_calls",
            kind: "llm",
            message,
            exchange_id: callExchanges[summariser],
          });
        }
      }
      convs.add(c, s, callId, callConversations[c], history);
      s.toolCalls.forEach((t, i) => {
        const tool: ToolCallRow = {
          recording,
          tool_call_id: BigInt(tools.length + 1),
          llm_call_id: callId,
          call_index: i,
          provider_call_id: t.id ?? null,
          name: t.name,
          kind: t.kind,
          input: t.input,
          result_llm_call_id: null,
          result_text: null,
          result_is_error: null,
          requested_ns: s.end_ns,
          result_ns: null,
        };
        tools.push(tool);
        pendingResults.push(tool);
        askedBy.set(tool, s.pid);
        let recent = recentTools.get(s.pid);
        if (!recent) recentTools.set(s.pid, recent = []);
        recent.push(tool);
        if (recent.length > RECENT_TOOLS) recent.shift();
      });
      s.serverTools.forEach((t, i) => {
        serverTools.push({
          recording,
          server_tool_call_id: BigInt(serverTools.length + 1),
          llm_call_id: callId,
          call_index: i,
          provider_call_id: t.id ?? null,
          name: t.name,
          input: t.input,
          result_type: t.resultType ?? null,
          result_text: t.result ?? null,
          result_is_error: t.isError ?? null,
          requested_ns: s.end_ns,
        });
      });
    }
    for (let c = 0; c < cs.length; c++) {
      if (callConversations[c] !== undefined) {
        callConversations[c] = convs.resolve(callConversations[c]);
      }
    }
    return {
      exchangeIds,
      exchangeCalls,
      callIds,
      callExchanges,
      callConversations,
      callConversationVia,
      chainedCalls,
      tools,
      serverTools,
      problems,
      proxied: this.#proxied,
    };
  }
}

/**
 * How a call joined its conversation (`llm_calls.conversation_via`): it names the response it
 * continues, carries results of that conversation's tool calls, retries a failed call, holds
 * the history of a call of its process (or of another process that had ended: a session
 * resumed), or starts again from that conversation's summary (a compaction); a compaction's
 * summariser that quotes that conversation as text, which began a conversation of its own until
 * a main turn went on from its summary, is `transcript`.
 */
export type ConversationVia =
  | "response"
  | "tool_results"
  | "retry"
  | "history"
  | "resumed"
  | "summary"
  | "transcript";

/** What the conversations read of a call as it is taken. */
type TrackedCall = Pick<
  CallStub<unknown>,
  "pid" | "main" | "failed" | "end_ns" | "request_ns" | "toolCalls" | "answer" | "userInput"
>;

/** A history a call sent: its conversation, process, and whether it failed and when it ended. */
interface SentHistory {
  conv: bigint;
  pid: number;
  failed: boolean;
  end: bigint | null;
}

/** The fewest characters of a summary's lines a history must carry to start from it. */
const SUMMARY_MIN_CHARS = 64;

/**
 * The conversations so far, as the calls are taken in request order: the histories sent (by
 * process, and the latest of any process), the conversation of each call, and the answers
 * that may be a summary a later history starts from, indexed by their lines.
 */
class ConversationTracker {
  /** by process, system prompt and entries (`${pid} ${system} ${hash}`) */
  #byHistory = new Map<string, SentHistory>();
  /** by process and entries, whatever the system prompt (`${pid} ${hash}`) */
  #byEntries = new Map<string, SentHistory>();
  /** by entries: the latest call of any process */
  #anyHistory = new Map<number, SentHistory>();
  /** by the hash of a tool call's id: the call whose answer asked for it */
  #byToolId = new Map<number, SentHistory>();
  #convOfCall = new Map<bigint, bigint>();
  /** per conversation, its calls since its latest main turn whose answers are text alone */
  #summaries = new Map<bigint, number[]>();
  /** those calls by process and line (`${pid} ${line hash}`) */
  #byLine = new Map<string, Set<number>>();
  /** each of those calls: its conversation, process, answer and end */
  #summaryOf = new Map<
    number,
    { conv: bigint; pid: number; answer: TextLines; end: bigint | null }
  >();
  /** place of each call taken, in request order */
  #order = new Map<number, number>();

  /** conversations merged into another (a warm-up's chain that turned out to resume one) */
  #alias = new Map<bigint, bigint>();
  /** conversations with a main turn */
  #withMain = new Set<bigint>();
  /** what tells the conversation a summariser quotes as text (summarised_conversation.ts) */
  #quoted = new SummarisedConversations();

  /** The conversation `conv` is now (itself, unless merged into another). */
  resolve(conv: bigint): bigint {
    let at = conv;
    for (let next = this.#alias.get(at); next !== undefined; next = this.#alias.get(at)) at = next;
    return at;
  }

  /** Makes conversation `from` part of `into`. */
  merge(from: bigint, into: bigint): void {
    this.#alias.set(this.resolve(from), this.resolve(into));
  }

  hasMain(conv: bigint): boolean {
    return this.#withMain.has(this.resolve(conv));
  }

  ofCall(callId: bigint): bigint | undefined {
    const conv = this.#convOfCall.get(callId);
    return conv === undefined ? undefined : this.resolve(conv);
  }

  /** Records call `c` (`callId`, its stub `s`) of conversation `conv`, which sent `history`. */
  add(c: number, s: TrackedCall, callId: bigint, conv: bigint, history: History | null): void {
    this.#order.set(c, this.#order.size);
    this.#convOfCall.set(callId, conv);
    this.#quoted.add(s, conv, conv === callId);
    if (s.main) this.#withMain.add(conv);
    if (history) {
      const sent = { conv, pid: s.pid, failed: s.failed, end: s.end_ns };
      // a later call with the same history takes its place as a retry's origin
      const keep = (m: Map<string, SentHistory>, key: string) => {
        const known = m.get(key);
        if (!known || known.conv === conv) m.set(key, sent);
      };
      keep(this.#byHistory, `${s.pid} ${history.system} ${history.hash}`);
      keep(this.#byEntries, `${s.pid} ${history.hash}`);
      this.#anyHistory.set(history.hash, sent);
    }
    for (const t of s.toolCalls) {
      if (t.id) {
        this.#byToolId.set(hashText(t.id), { conv, pid: s.pid, failed: s.failed, end: s.end_ns });
      }
    }
    // a main turn moves the conversation on: an earlier answer is no longer its summary
    let own = this.#summaries.get(conv);
    if (own && s.main) {
      for (const d of own) this.#unindex(d);
      own = undefined;
      this.#summaries.delete(conv);
    }
    if (s.answer && s.answer.chars >= SUMMARY_MIN_CHARS && !s.failed) {
      if (!own) this.#summaries.set(conv, own = []);
      own.push(c);
      this.#summaryOf.set(c, { conv, pid: s.pid, answer: s.answer, end: s.end_ns });
      for (const h of s.answer.hashes) {
        const key = `${s.pid} ${h}`;
        let at = this.#byLine.get(key);
        if (!at) this.#byLine.set(key, at = new Set());
        at.add(c);
      }
    }
  }

  #unindex(c: number): void {
    const s = this.#summaryOf.get(c)!;
    this.#summaryOf.delete(c);
    for (const h of s.answer.hashes) {
      const key = `${s.pid} ${h}`;
      const at = this.#byLine.get(key);
      at?.delete(c);
      if (at?.size === 0) this.#byLine.delete(key);
    }
  }

  /**
   * The conversation a call continues by its history (see `llm_calls.conversation_id`), when
   * neither its chain nor the tool results it carry say, and how: a retry — the same history
   * as a call of its process that failed and had ended before this one asked (two calls with
   * one history that both stood are two conversations: parallel sub-agents given the same
   * task) —, else the latest call of its process whose whole history this one holds before a
   * model turn (with its system prompt, else with another: a summariser's), else such a call
   * of another process that had ended (a session resumed by a new process, whatever its
   * system prompt), or one whose answer asked for the tool calls its latest model entry with
   * ids names (a resumed history sent with changes), else — a main turn — the conversation
   * whose summary its opening carries (when that conversation is a summariser's own, begun
   * without a main turn, the conversation its opening quotes as text, which it is merged
   * into: summarised_conversation.ts); else none.
   */
  continued(
    s: TrackedCall,
    h: History | null,
    task: () => boolean = () => false,
  ): [bigint, ConversationVia, bigint?] | undefined {
    const found = this.#continued(s, h, task);
    if (!found) return undefined;
    const conv = this.resolve(found[0]);
    // a summariser that started a conversation of its own, the conversation quoted as text:
    // the compaction of the conversation it quotes
    if (found[1] === "summary" && !this.hasMain(conv)) {
      const summarised = this.#quoted.summarised(s.pid, conv, (x) => this.resolve(x));
      if (summarised !== undefined) {
        this.merge(conv, summarised);
        return [summarised, "summary", conv];
      }
    }
    return [conv, found[1]];
  }

  #continued(
    s: TrackedCall,
    h: History | null,
    task: () => boolean,
  ): [bigint, ConversationVia] | undefined {
    if (!h) return undefined;
    const at = (hash: number) => this.#byHistory.get(`${s.pid} ${h.system} ${hash}`);
    const same = at(h.hash);
    const ended = (x: SentHistory) =>
      x.end !== null && s.request_ns !== null && x.end <= s.request_ns;
    if (same?.failed && ended(same)) return [same.conv, "retry"];
    for (let i = h.turns.length - 1; i >= 0; i--) {
      const before = at(h.turns[i]);
      if (before) return [before.conv, "history"];
    }
    // the same entries under another system prompt: a summariser's call (Gemini CLI's)
    for (let i = h.turns.length - 1; i >= 0; i--) {
      const before = this.#byEntries.get(`${s.pid} ${h.turns[i]}`);
      if (before) return [before.conv, "history"];
    }
    for (let i = h.turns.length - 1; i >= 0; i--) {
      const other = this.#anyHistory.get(h.turns[i]);
      if (other && other.pid !== s.pid && ended(other)) return [other.conv, "resumed"];
    }
    // a history sent again with changes (a reminder dropped): the tool calls it names
    for (const id of h.toolIds) {
      const other = this.#byToolId.get(id);
      if (other && other.pid !== s.pid && ended(other)) return [other.conv, "resumed"];
    }
    const summary = s.main ? this.#summaryIn(s, h) : undefined;
    // a sub-agent's task may quote another's report: a task is no summary (asked last: it
    // reads tool calls' arguments)
    return summary === undefined || task() ? undefined : [summary, "summary"];
  }

  /**
   * The conversation whose summary a history's opening carries: an answer of text alone of
   * its process, given since that conversation's latest main turn and ended before this call
   * asked, at least a quarter of whose lines (and `SUMMARY_MIN_CHARS` characters of them) the
   * opening holds; the latest such answer.
   */
  #summaryIn(s: TrackedCall, h: History): bigint | undefined {
    const carried = new Map<number, number>();
    h.lead.hashes.forEach((line, i) => {
      for (const c of this.#byLine.get(`${s.pid} ${line}`) ?? []) {
        carried.set(c, (carried.get(c) ?? 0) + h.lead.lengths[i]);
      }
    });
    let best: number | undefined;
    for (const [c, chars] of carried) {
      const d = this.#summaryOf.get(c)!;
      if (chars < SUMMARY_MIN_CHARS || 4 * chars < d.answer.chars) continue;
      if (d.end === null || s.request_ns === null || d.end > s.request_ns) continue;
      if (best === undefined || this.#order.get(c)! > this.#order.get(best)!) best = c;
    }
    return best === undefined ? undefined : this.#summaryOf.get(best)!.conv;
  }
}

/**
 * Whether a call carrying tool results is a fork (a sub-agent that inherits the whole history
 * of the call that started it: Claude Code's fork): one of its results answers an open tool
 * call of its process, and its user's new text holds a text argument of that tool call (12
 * characters or more: the task), where the parent sends that call's result later.
 */
function forkOf(
  open: readonly ToolCallRow[],
  results: readonly { callId?: string }[],
  userInput: string | null,
  pid: number,
): boolean {
  if (!userInput || !results.length) return false;
  // what the agent adds beside every tool result (Claude Code's <system-reminder> blocks quote
  // paths and todos of the very tool calls they follow) is not a task
  const text = userInput.replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, "");
  for (const r of results) {
    if (!r.callId) continue;
    const t = open.find((x) => x.provider_call_id === r.callId && askedBy.get(x) === pid);
    if (t && textArguments(t.input).some((a) => a.length >= 12 && text.includes(a))) {
      return true;
    }
  }
  return false;
}

/** How many of a process's latest tool calls a sub-agent's task is looked for in. */
const RECENT_TOOLS = 64;

/**
 * Whether a call's new user text is the task of one of its process's recent tool calls (a
 * sub-agent's prompt, as conversations.sql finds its parent): a text argument of 12 characters
 * or more that the text holds and that is at least half of it.
 */
function taskOf(recent: readonly ToolCallRow[] | undefined, userInput: string | null): boolean {
  if (!recent || !userInput) return false;
  return recent.some((t) =>
    textArguments(t.input).some((a) =>
      a.length >= 12 && 2 * a.length >= userInput.length && userInput.includes(a)
    )
  );
}

/** The string values of a tool call's JSON arguments (none when they are not JSON). */
function textArguments(input: string): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (isObj(v)) Object.values(v).forEach(walk);
  };
  try {
    walk(JSON.parse(input));
  } catch {
    // not JSON: no text arguments
  }
  return out;
}

/** Appends `rows` to `to` one by one (a spread of a large array overflows the stack). */
function appendAll<T>(to: T[], rows: readonly T[]): void {
  for (const r of rows) to.push(r);
}

/** A sink that keeps the rows, and the tables they make once numbered. */
export function memorySink(): HttpRowSink & { tables(n: HttpNumbers): HttpTables } {
  const exchanges: HttpExchangeRow[] = [];
  const events: SseEventRow[] = [];
  const wsMessages: WsMessageRow[] = [];
  const calls: LlmCallRow[] = [];
  const byId = <T>(rows: T[], id: (r: T) => bigint) => rows.sort((a, b) => cmp(id(a), id(b))); // stable: a row's order within its id is kept
  return {
    exchanges: (rows) => appendAll(exchanges, rows),
    events: (rows) => appendAll(events, rows),
    wsMessages: (rows) => appendAll(wsMessages, rows),
    calls: (rows) => appendAll(calls, rows),
    tables(n) {
      const ex = (id: bigint) => Number(id) - 1;
      for (const r of exchanges) {
        r.llm_call_id = n.exchangeCalls[ex(r.exchange_id)];
        r.exchange_id = n.exchangeIds[ex(r.exchange_id)];
      }
      for (const r of events) r.exchange_id = n.exchangeIds[ex(r.exchange_id)];
      for (const r of wsMessages) {
        r.exchange_id = n.exchangeIds[ex(r.exchange_id)];
        if (r.llm_call_id !== null) r.llm_call_id = n.callIds[ex(r.llm_call_id)];
      }
      appendAll(calls, n.chainedCalls);
      for (const r of calls) {
        r.exchange_id = n.callExchanges[ex(r.llm_call_id)];
        r.conversation_id = n.callConversations[ex(r.llm_call_id)];
        r.conversation_via = n.callConversationVia[ex(r.llm_call_id)];
        r.llm_call_id = n.callIds[ex(r.llm_call_id)];
      }
      return {
        exchanges: byId(exchanges, (r) => r.exchange_id),
        events: byId(events, (r) => r.exchange_id),
        wsMessages: byId(wsMessages, (r) => r.exchange_id),
        calls: byId(calls, (r) => r.llm_call_id),
        tools: n.tools,
        serverTools: n.serverTools,
        problems: n.problems,
      };
    },
  };
}

/** Per-tool-call: the pid of the LLM call that asked (for name matching within one agent). */
const askedBy = new WeakMap<ToolCallRow, number>();

/**
 * Matches the tool results of a request to open tool calls: by id when both sides have one,
 * else (Gemini) by name, oldest open call first, within the same process.
 */
function linkResults(
  open: ToolCallRow[],
  results: { callId?: string; name?: string; text: string; isError?: boolean }[],
  callId: bigint,
  at: bigint | null,
  pid: number,
): ToolCallRow | undefined {
  let first: ToolCallRow | undefined;
  for (const res of results) {
    let k = -1;
    if (res.callId) {
      for (let i = open.length - 1; i >= 0; i--) {
        if (open[i].provider_call_id === res.callId) {
          k = i;
          break;
        }
      }
    }
    if (k < 0 && res.name) {
      k = open.findIndex((t) =>
        t.name === res.name && (askedBy.get(t) ?? pid) === pid &&
        (t.provider_call_id === null || !res.callId)
      );
    }
    if (k < 0) continue;
    const t = open[k];
    open.splice(k, 1);
    t.result_llm_call_id = callId;
    t.result_text = res.text;
    t.result_is_error = res.isError ?? null;
    t.result_ns = at;
    first ??= t;
  }
  return first;
}
