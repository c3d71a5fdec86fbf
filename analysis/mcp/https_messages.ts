/**
 * MCP over HTTPS — a remote server, whose process the capture does not see — from what the TLS
 * streams were already parsed into: the exchanges of every (process, host) that sent a JSON-RPC
 * 2.0 request body (`sql/mcp_https_exchanges.sql`, `http_exchanges` and their `sse_events`).
 * A request body is the client's message(s); a JSON answer, or each `message` event of an
 * event-stream answer (a POST's, or the stream a GET opened), is the server's. A host that sent
 * an `endpoint` event speaks the older HTTP+SSE transport (`sse`), the others streamable HTTP
 * (`http`). Of that host's other exchanges (OAuth, discovery documents, pages), a request body
 * that is not JSON-RPC and a JSON answer to a request that was not are not MCP's business; JSON
 * that is not JSON-RPC in a successful answer to a JSON-RPC request or in an event, and an
 * exchange with TLS bytes lost or cut, are `problems` rows (at most five parse problems per
 * host and port). A server is its host and port: two on one host apart.
 */
import { type SessionHeaders, sessionHeaders, sseSessionId } from "./session_headers.ts";
import { buildHeaderLookup } from "../../protocols/header_fields.ts";
import { hostPort } from "../../protocols/authority.ts";
import {
  type JsonRpcMessage,
  looksLikeJson as isJson,
  parseJsonRpcBody,
  parseJsonRpcText,
} from "../../protocols/jsonrpc.ts";

/** A row of `sql/mcp_https_exchanges.sql`. */
export interface HttpsExchange {
  recording: string;
  exchange_id: bigint;
  pid: number;
  conn_id: bigint;
  host: string | null;
  method: string | null;
  path: string | null;
  status: number | null;
  request_text: string | null;
  response_text: string | null;
  gap: boolean;
  truncated: boolean;
  lost_bytes: bigint;
  request_ts: bigint | null;
  response_ts: bigint | null;
  events: { type: string; data: string; ts_ns: bigint | null; incomplete: boolean }[] | null;
  /** the header fields, `[name, value]` in wire order (absent: none recorded) */
  request_headers?: [string, string][] | null;
  response_headers?: [string, string][] | null;
}

export interface HttpsMcpMessage extends SessionHeaders {
  recording: string;
  message: JsonRpcMessage;
  ts_ns: bigint;
  from_pid: number | null;
  to_pid: number | null;
  conn: bigint;
  server_host: string | null;
  server_port: number;
  transport: "http" | "sse";
  /** the HTTP status of the exchange that carried it (null: none recorded) */
  http_status: number | null;
  /** `http_path` when its exchange is a POST whose own answer holds JSON-RPC responses */
  http_endpoint: string | null;
}

/**
 * A row of `sql/mcp_https_exchanges.sql` as DuckDB gives it (`getRowObjects`, or its JSON form:
 * big integers as text, the events a plain array).
 */
export function httpsExchange(o: Record<string, unknown>): HttpsExchange {
  const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
  const big = (v: unknown) => (v === null || v === undefined ? null : BigInt(v as bigint));
  const list = o.events as { items: unknown[] } | unknown[] | null;
  const events = list === null ? null : Array.isArray(list) ? list : list.items;
  return {
    recording: String(o.recording),
    exchange_id: BigInt(o.exchange_id as bigint),
    pid: Number(o.pid),
    conn_id: BigInt(o.conn_id as bigint),
    host: str(o.host),
    method: str(o.method),
    path: str(o.path),
    status: o.status === null || o.status === undefined ? null : Number(o.status),
    request_text: str(o.request_text),
    response_text: str(o.response_text),
    gap: o.gap === true,
    truncated: o.truncated === true,
    lost_bytes: BigInt((o.lost_bytes ?? 0n) as bigint),
    request_ts: big(o.request_ts),
    response_ts: big(o.response_ts),
    request_headers: headerPairs(o.request_headers),
    response_headers: headerPairs(o.response_headers),
    events: events?.map((e) => {
      const f = (e as { entries?: Record<string, unknown> }).entries ??
        e as Record<string, unknown>;
      return {
        type: String(f.type),
        data: String(f.data),
        ts_ns: big(f.ts_ns),
        incomplete: f.incomplete === true,
      };
    }) ?? null,
  };
}

/** Header fields as `http_exchanges` keeps them (JSON `[[name, value], ...]`, as text or parsed). */
function headerPairs(v: unknown): [string, string][] | null {
  if (v === null || v === undefined) return null;
  try {
    const list = typeof v === "string" ? JSON.parse(v) : v;
    return Array.isArray(list)
      ? list.filter((p) => Array.isArray(p) && p.length >= 2).map((
        p,
      ) => [String(p[0]), String(p[1])])
      : null;
  } catch {
    return null;
  }
}

/** The MCP messages of `exchanges` (ordered by recording and exchange). */
export function httpsMcpMessages(
  exchanges: HttpsExchange[],
): { messages: HttpsMcpMessage[]; problems: { recording: string; message: string }[] } {
  const problems: { recording: string; message: string }[] = [];
  const found: {
    key: string;
    x: HttpsExchange;
    side: "client" | "server";
    m: Omit<HttpsMcpMessage, "transport" | "http_endpoint">;
    /** HTTP+SSE's session (`sessionId=`): the POST target's, or its stream's endpoint's */
    sseId: string | null;
  }[] = [];
  /** `recording pid host port` of the servers that sent an `endpoint` event */
  const sse = new Set<string>();
  const parseProblems = new Map<string, number>();
  /** keys whose Host names no host[:port], said once */
  const badHosts = new Set<string>();
  for (const x of exchanges) {
    // over TLS, a Host (or :authority) without a port is 443's (RFC 9110 4.2.2)
    const named = x.host === null ? null : hostPort(x.host, 443);
    const host = named?.host ?? x.host;
    const port = named?.port ?? 443;
    const key = `${x.recording} ${x.pid} ${host} ${port}`;
    const what = `HTTPS exchange ${x.exchange_id} (pid ${x.pid}, ${x.method ?? "?"} ` +
      `${x.host ?? "?"}${x.path ?? ""})`;
    const problem = (message: string) => {
      const n = parseProblems.get(key) ?? 0;
      parseProblems.set(key, n + 1);
      if (n < 5) problems.push({ recording: x.recording, message: `${what}: ${message}` });
    };
    if (x.host !== null && named === null && !badHosts.has(key)) {
      badHosts.add(key);
      problem(
        "its Host names no host[:port] (RFC 9110 7.2): server_host is the Host as sent, " +
          "server_port 443",
      );
    }
    const headers = sessionHeaders(
      x.path,
      x.request_headers ? buildHeaderLookup(x.request_headers) : undefined,
      x.response_headers ? buildHeaderLookup(x.response_headers) : undefined,
    );
    const add = (
      parsed: ReturnType<typeof parseJsonRpcText>,
      side: "client" | "server",
      framing: "http" | "sse",
      ts: bigint | null,
      incomplete: boolean,
      report: boolean,
      sseId: string | null = sseSessionId(x.path),
    ) => {
      if (report) { for (const p of parsed.problems) problem(p); }
      const at = ts ?? x.request_ts ?? x.response_ts;
      if (at === null) {
        if (parsed.messages.length) {
          problem("no time was recorded for it: its messages are left out");
        }
        return;
      }
      for (const m of parsed.messages) {
        found.push({
          key,
          x,
          side,
          sseId,
          m: {
            recording: x.recording,
            message: { ...m, index: 0, framing, firstByte: 0, lastByte: 0, incomplete },
            ts_ns: at,
            from_pid: side === "client" ? x.pid : null,
            to_pid: side === "client" ? null : x.pid,
            conn: x.conn_id,
            ...headers,
            server_host: host,
            server_port: port,
            http_status: x.status,
          },
        });
      }
    };
    // a request body that is JSON but not JSON-RPC (another API on the same host) is not MCP
    const request = parseJsonRpcBody(x.request_text);
    const mcpRequest = request !== null && request.messages.length > 0;
    if (mcpRequest) add(request, "client", "http", x.request_ts, false, true);
    if (request !== null && !mcpRequest) continue;
    if (x.gap || x.truncated || x.lost_bytes > 0n) {
      problems.push({
        recording: x.recording,
        message: `${what}: TLS bytes lost or cut at the capture's --max-tls-bytes: its ` +
          "JSON-RPC messages may be incomplete or missing",
      });
    }
    const ok = x.status !== null && x.status >= 200 && x.status < 300;
    if (x.events) {
      /** the session the stream's `endpoint` event names (HTTP+SSE) */
      let streamSession: string | null = null;
      for (const e of x.events) {
        if (e.type === "endpoint") {
          sse.add(key);
          streamSession = sseSessionId(e.data);
        } else if (e.type === "message" && e.data.trim() !== "") {
          add(
            parseJsonRpcText(e.data),
            "server",
            "sse",
            e.ts_ns ?? x.response_ts,
            e.incomplete,
            true,
            streamSession,
          );
        }
      }
    } else if (mcpRequest && isJson(x.response_text)) {
      add(parseJsonRpcText(x.response_text), "server", "http", x.response_ts, false, ok);
    }
  }
  // a POST whose own answer holds JSON-RPC responses is streamable HTTP's endpoint
  const answersRpc = new Set(
    found.filter(({ side, m }) =>
      side === "server" && (m.message.kind === "response" || m.message.kind === "error")
    ).map(({ x }) => x),
  );
  const messages = found.map(({ key, x, m, sseId }) => ({
    ...m,
    // over HTTP+SSE the session is the `sessionId` parameter (build.ts `sseSessionIds`)
    ...(sse.has(key) && m.mcp_session_id === null ? { mcp_session_id: sseId } : {}),
    transport: sse.has(key) ? "sse" as const : "http" as const,
    http_endpoint: x.method === "POST" && answersRpc.has(x) ? m.http_path : null,
  }));
  return { messages, problems };
}
