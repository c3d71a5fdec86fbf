/**
 * Builds the rows of `http_exchanges`, `llm_calls`, `tool_calls` and the stream problems from
 * a recording's `tls` rows: rebuild the byte streams, parse each connection, decode bodies and
 * event streams, time every event by the TLS call that carried its byte, read the LLM calls,
 * price them, and match each tool call to the later request that carried its result back.
 */
import {
  type Connection,
  damageIn,
  type DirectionStream,
  rebuildConnections,
  type TlsView,
  tsAt,
} from "./byte_streams.ts";
import { type Exchange, type Message, parseConnection } from "./connection_parser.ts";
import { decodeBody, type DecodedBody, isEventStream, sseEvents } from "./message_body.ts";
import { agentOf, callKind } from "./llm/call_kind.ts";
import { readCall } from "./llm/read_call.ts";
import { routeLlmCall } from "./llm/route.ts";
import type { ResponseInfo } from "./llm/shapes.ts";
import { costOf, priceFor, type PriceTable } from "./pricing.ts";
import type {
  HttpExchangeRow,
  LlmCallRow,
  ProblemRow,
  SseEventRow,
  ToolCallRow,
} from "./schema.ts";

export interface HttpTables {
  exchanges: HttpExchangeRow[];
  events: SseEventRow[];
  calls: LlmCallRow[];
  tools: ToolCallRow[];
  problems: ProblemRow[];
}

export interface BuildOptions {
  /** bound on a message head, an HTTP/2 frame or header block (default 1 MiB) */
  maxBufferSize?: number;
  /** bound on one server-sent event (default 16 MiB) */
  maxEventSize?: number;
  /** bound on one kept body, wire and decoded (default 64 MiB) */
  maxBodySize?: number;
  /** called after each connection */
  progress?: (done: number, total: number) => void;
}

interface Built {
  row: HttpExchangeRow;
  events: SseEventRow[];
  sortTs: bigint;
  order: number;
  call?: Omit<LlmCallRow, "llm_call_id" | "exchange_id" | "tool_call_count"> & {
    response: ResponseInfo;
    toolResults: { callId?: string; name?: string; text: string; isError?: boolean }[];
  };
}

const ns = (v: bigint | null | undefined): bigint | null => v ?? null;
const ms = (a: bigint | null, b: bigint | null): number | null =>
  a !== null && b !== null ? Number(b - a) / 1e6 : null;

function header(m: Message | undefined, name: string): string | null {
  return m?.lookup[name]?.[0] ?? null;
}

function connLabel(pid: number, connId: bigint, gen: number): string {
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
  const lost = s.lost.reduce((n, x) => n + x[2], 0);
  if (lost > 0) {
    out.push({
      recording,
      source: label,
      kind: "lost",
      message:
        `${dir} stream: ${lost} bytes lost in capture (zero-filled) in ${s.lost.length} TLS call(s)`,
      exchange_id: null,
    });
  }
  return out;
}

/** Damage of one message: breaks and lost bytes in its byte range (to the stream end if cut). */
function messageDamage(s: DirectionStream, m: Message | undefined) {
  if (!m) return { gap: false, truncated: false, lost: 0 };
  return damageIn(s, m.start, m.complete ? m.end : s.length);
}

async function buildExchange(
  recording: string,
  tls: TlsView,
  x: Exchange,
  w: DirectionStream,
  r: DirectionStream,
  base: { pid: number; connId: bigint; connGen: number },
  opts: BuildOptions,
  prices: PriceTable,
): Promise<Built> {
  void tls;
  const req = x.request;
  const resp = x.response;
  const errors = [...x.errors];
  const decode = async (m: Message | undefined): Promise<DecodedBody | null> => {
    if (!m || m.bodyLength === 0) return null;
    const d = await decodeBody(m, { maxOutputSize: opts.maxBodySize });
    if (d.error) errors.push(d.error);
    return d;
  };
  const reqBody = await decode(req);
  const respBody = await decode(resp);
  const streaming = !!resp && isEventStream(resp.lookup);
  let events = null;
  if (streaming && respBody) {
    const s = sseEvents(respBody, opts.maxEventSize);
    if (s.error) errors.push(s.error);
    events = s.events;
  }
  const dw = messageDamage(w, req);
  const dr = messageDamage(r, resp);
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
    host: header(req, "host") ?? header(req, ":authority"),
    method: req?.method ?? null,
    path: req?.target ?? null,
    status: resp?.status ?? null,
    request_headers: req ? JSON.stringify(req.headers) : null,
    response_headers: resp ? JSON.stringify(resp.headers) : null,
    request_content_type: header(req, "content-type"),
    response_content_type: header(resp, "content-type"),
    content_encoding: header(resp, "content-encoding"),
    request_bytes: BigInt(req?.bodyLength ?? 0),
    response_bytes: BigInt(resp?.bodyLength ?? 0),
    request_body: req?.bodyKept === false ? null : reqBody?.bytes ?? null,
    response_body: resp?.bodyKept === false ? null : respBody?.bytes ?? null,
    streaming,
    sse_events: events?.length ?? 0,
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
    sortTs: requestNs ?? responseNs ?? 0n,
    order: 0,
  };
  const route = routeLlmCall(req?.method, req?.target);
  if (route) {
    const answer = events
      ? { events }
      : { body: respBody?.bytes, endOffset: resp && resp.bodyLength > 0 ? resp.end - 1 : null };
    const read = readCall(route, reqBody?.bytes, answer);
    errors.push(...read.problems);
    const q = read.request;
    const a = read.response;
    if (resp && resp.status >= 400 && !a.error) {
      a.error = `HTTP ${resp.status}`;
    }
    const kind = callKind(q);
    const model = a.model ?? q.model ?? null;
    const price = priceFor(prices, model);
    const firstToken = read.firstOutputOffset !== null ? tsAt(r, read.firstOutputOffset) : null;
    const u = a.usage;
    const big = (v: number | undefined) => v === undefined ? null : BigInt(v);
    built.call = {
      recording,
      pid: base.pid,
      agent: agentOf(header(req, "user-agent") ?? undefined),
      provider: route.provider,
      endpoint: route.endpoint,
      kind: kind.kind,
      side_kind: kind.side ?? null,
      model,
      request_model: q.model ?? null,
      streaming,
      status: resp?.status ?? null,
      request_ns: ns(requestNs),
      first_byte_ns: ns(responseNs),
      first_token_ns: firstToken,
      end_ns: ns(responseEndNs),
      ttft_ms: ms(requestNs, firstToken),
      duration_ms: ms(requestNs, responseEndNs),
      system_prompt: q.systemPrompt ?? null,
      user_input: q.userInput ?? null,
      assistant_text: a.text !== "" ? a.text : null,
      thinking: a.thinking !== "" ? a.thinking : null,
      tool_result_count: q.toolResults.length,
      messages: q.messages,
      tools_offered: q.toolsOffered,
      stop_reason: a.stopReason ?? null,
      input_tokens: big(u?.input),
      output_tokens: big(u?.output),
      cache_read_tokens: big(u?.cacheRead),
      cache_write_tokens: big(u?.cacheWrite),
      reasoning_tokens: big(u?.reasoning),
      cost_usd: price ? costOf(route.provider, u, price) : null,
      price_source: price
        ? `${prices.path.split("/").pop()} ${price.match}: ${price.source}`
        : null,
      response_id: a.responseId ?? null,
      incomplete: !resp || !a.complete,
      error: a.error ?? null,
      response: a,
      toolResults: q.toolResults,
    };
  }
  row.error = errors.length ? [...new Set(errors)].join("; ") : null;
  return built;
}

/** One exchange of a connection, built but not yet numbered or linked. */
export type BuiltExchange = Built;

/** Parses one connection into its exchanges (with their LLM calls), in connection order. */
export async function connectionExchanges(
  recording: string,
  tls: TlsView,
  c: Connection,
  prices: PriceTable,
  opts: BuildOptions = {},
): Promise<{ built: BuiltExchange[]; problems: ProblemRow[] }> {
  const label = connLabel(c.pid, c.connId, c.connGen);
  const problems = [
    ...streamProblems(recording, label, "write", c.write),
    ...streamProblems(recording, label, "read", c.read),
  ];
  const parsed = parseConnection(tls, c, {
    maxBufferSize: opts.maxBufferSize,
    maxBodySize: opts.maxBodySize,
  });
  for (const p of parsed.problems) {
    problems.push({ recording, source: label, kind: "protocol", message: p, exchange_id: null });
  }
  const built: Built[] = [];
  for (const x of parsed.exchanges) {
    built.push(
      await buildExchange(
        recording,
        tls,
        x,
        c.write,
        c.read,
        { pid: c.pid, connId: c.connId, connGen: c.connGen },
        opts,
        prices,
      ),
    );
  }
  return { built, problems };
}

/** Builds the HTTP and LLM rows of one recording. */
export async function buildHttpTables(
  recording: string,
  tls: TlsView,
  prices: PriceTable,
  opts: BuildOptions = {},
): Promise<HttpTables> {
  const problems: ProblemRow[] = [];
  const built: Built[] = [];
  const conns = rebuildConnections(tls);
  let order = 0;
  for (let ci = 0; ci < conns.length; ci++) {
    const r = await connectionExchanges(recording, tls, conns[ci], prices, opts);
    problems.push(...r.problems);
    for (const b of r.built) {
      b.order = order++;
      built.push(b);
    }
    opts.progress?.(ci + 1, conns.length);
  }
  return assembleTables(recording, built, problems);
}

/**
 * The rows of one recording from its connections' exchanges (each numbered by `order`: its
 * connection's place by first TLS call, then its place in the connection) and their stream
 * problems: exchanges numbered by request time, LLM and tool calls numbered, tool results
 * matched to the calls that asked for them.
 */
export function assembleTables(
  recording: string,
  built: BuiltExchange[],
  problems: ProblemRow[],
): HttpTables {
  built.sort((a, b) => a.sortTs < b.sortTs ? -1 : a.sortTs > b.sortTs ? 1 : a.order - b.order);
  const exchanges: HttpExchangeRow[] = [];
  const events: SseEventRow[] = [];
  const calls: LlmCallRow[] = [];
  const tools: ToolCallRow[] = [];
  const pendingResults: ToolCallRow[] = [];
  built.forEach((b, i) => {
    const id = BigInt(i + 1);
    b.row.exchange_id = id;
    exchanges.push(b.row);
    for (const e of b.events) {
      e.exchange_id = id;
      events.push(e);
    }
    if (b.row.error) {
      problems.push({
        recording,
        source: connLabel(b.row.pid, b.row.conn_id, b.row.conn_gen),
        kind: b.call ? "llm" : "protocol",
        message: `${b.row.method ?? "?"} ${b.row.path ?? "?"}: ${b.row.error}`,
        exchange_id: id,
      });
    }
    if (!b.call) return;
    const { response, toolResults, ...fields } = b.call;
    const callId = BigInt(calls.length + 1);
    b.row.llm_call_id = callId;
    // results first: they answer calls of earlier LLM calls
    linkResults(pendingResults, toolResults, callId, fields.request_ns, fields.pid);
    calls.push({
      ...fields,
      llm_call_id: callId,
      exchange_id: id,
      tool_call_count: response.toolCalls.length,
    });
    response.toolCalls.forEach((t, k) => {
      const row: ToolCallRow = {
        recording,
        tool_call_id: BigInt(tools.length + 1),
        llm_call_id: callId,
        call_index: k,
        provider_call_id: t.id ?? null,
        name: t.name,
        kind: t.kind,
        input: t.input,
        result_llm_call_id: null,
        result_text: null,
        result_is_error: null,
        requested_ns: fields.end_ns,
        result_ns: null,
      };
      tools.push(row);
      pendingResults.push(row);
      askedBy.set(row, fields.pid);
    });
  });
  return { exchanges, events, calls, tools, problems };
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
): void {
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
  }
}
