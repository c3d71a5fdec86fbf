/**
 * Builds the MCP tables after correlation: reads the `ipc` byte streams (`sql/ipc_streams.sql`:
 * one per writer and pipe or socket, in call order; a stream seen only from its reader's side
 * is read from there; a call cut or with bytes lost is a `problems` row and the parser
 * restarts after it),
 * parses them as JSON-RPC (`protocols/jsonrpc.ts`) into `mcp_messages` — and the loopback
 * HTTP connections (`tcp` rows) as MCP over HTTP (`http_messages.ts`) — then runs
 * `sql/<table>.sql` for `mcp_calls`, `mcp_tools`, `mcp_tool_links` and `mcp_servers`,
 * `sql/mcp_links.sql`, which gives the MCP servers' actions to the LLM tool call whose MCP call
 * they served (signal `mcp`), and `sql/mcp_server_links.sql`, which gives the rest of a
 * configured server's actions to the server (attribution `mcp_server`). A stream that does not
 * parse costs a `problems` row, never the analysis.
 */
import { NO_SESSION_HEADERS } from "./session_headers.ts";
import type { DuckDBConnection } from "@duckdb/node-api";
import { bindFor, readSql } from "../../kit/sql_runner.ts";
import { createJsonRpcParser, type JsonRpcMessage } from "../../protocols/jsonrpc.ts";
import { maskSecrets } from "../../protocols/json_secrets.ts";
import { httpMcpMessages, type TcpChunk } from "./http_messages.ts";
import { tcpChunk } from "../cleartext_http.ts";
import { httpsExchange, httpsMcpMessages } from "./https_messages.ts";
import { type Build, buildPart } from "../build_steps.ts";
import type { ProblemRow } from "../schema.ts";
import { findingsTable } from "../detect/schema.ts";
import { readPatternScreens } from "../detect/pattern_screens.ts";
import { MCP_TABLES, type McpMessageRow, mcpMessagesTable } from "./schema.ts";
import {
  MCP_SQL_VALUES,
  notMcpSession,
  type SessionMessageWithId,
  statelessSession,
} from "./methods.ts";

export const SQL_DIR = new URL("./sql/", import.meta.url);

/** The query of the `ipc` byte streams (`sql/ipc_streams.sql`), read before any table is made. */
export const MCP_STREAMS = "ipc_streams";
/** The query of the HTTPS exchanges that may carry MCP (`https_messages.ts`). */
export const MCP_HTTPS = "mcp_https_exchanges";

/** Whether any MCP call is tied to a tool call: the `mcp` link step runs only then. */
export const MCP_TIED = "mcp_tool_links_tied";

/** Whether any MCP tools/call has a server process: the overreach detector runs only then. */
export const MCP_CALLED = "mcp_tools_called";

/** The link steps, run in this order after the MCP tables (`sql/<name>.sql`). */
export const MCP_LINKS = ["mcp_links", "mcp_server_links"] as const;

interface Chunk {
  recording: string;
  pid: number;
  /** the pipe, or the unix socket end the bytes were written on */
  channel: bigint;
  direction: string;
  ts_ns: bigint;
  peer_pid: number | null;
  data: Uint8Array;
  truncated: boolean;
  lost: bigint;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** A stream or exchange that did not read cleanly: from `ipc.arrow` unless `source` says. */
interface McpProblem {
  recording: string;
  message: string;
  source?: string;
  /** `problems.kind`; default `protocol` */
  kind?: string;
  /** the `mcp_calls` row it is about, when one: `recording` and `mcp_call_id` (callKey) */
  call?: string;
}

/** Where a message was seen and how it travelled: the row's columns not read from the message. */
type MessagePlace = Pick<
  McpMessageRow,
  | "recording"
  | "message_id"
  | "ts_ns"
  | "from_pid"
  | "to_pid"
  | "inode"
  | "transport"
  | "server_port"
  | "server_host"
  | "http_status"
  | "http_path"
  | "http_endpoint"
  | "mcp_session_id"
  | "mcp_protocol_version"
  | "a2a_version"
>;

/** An mcp_messages row for message `m` seen at `at`, its params and result kept aside. */
function pendingRow(m: JsonRpcMessage, at: MessagePlace) {
  return {
    row: {
      ...at,
      framing: m.framing,
      kind: m.kind,
      jsonrpc_id: m.id ?? null,
      method: m.method ?? null,
      params: null,
      result: null,
      error_code: typeof m.error?.code === "number" ? BigInt(m.error.code) : null,
      error_message: m.error?.message ?? null,
      bytes: BigInt(new TextEncoder().encode(m.text).length),
      incomplete: m.incomplete,
      batch_index: m.batchIndex ?? null,
    } satisfies McpMessageRow,
    params: m.params,
    result: m.result,
  };
}

/**
 * Sessions whose `initialize` was not seen — the capture attached mid-session (`capture --pid`
 * of an agent already talking to its servers), or the session's start was not recorded — told
 * by the pair of processes, the transport and the server's port and host: their messages are
 * read as they are (over HTTP, MCP's requests and session headers tell the connection), and a
 * `gap` problem says the server's name and capabilities are unknown. A session of stateless MCP
 * (2026-07-28: no `initialize` at all; methods.ts's `statelessSession`) missed no start: no
 * problem. A session methods.ts's
 * rule reads as another protocol's JSON-RPC (the Agent2Agent protocol's `message/send`, methods
 * none of them MCP's) is not an MCP session: a `protocol` problem says so, its messages kept in
 * `mcp_messages` only (mcp_calls.sql leaves them out by the same rule).
 */
/**
 * Over streamable HTTP, what tells sessions apart besides the processes and the server's port
 * and host: the endpoint's path (a server is one endpoint: `http_endpoint`, the path of a POST
 * answered with its responses) and the session id (session_headers.ts; the same rule as
 * mcp_calls.sql's `session_key`). Not the path of an HTTP+SSE session's exchanges, whose GET
 * stream and POST endpoint are different paths of one session (read as `http` when its
 * `endpoint` event was not recorded).
 */
function sessionKey(r: McpMessageRow): string[] {
  return r.transport === "http"
    ? [r.http_endpoint ?? "", r.mcp_session_id ?? ""]
    : r.transport === "sse"
    ? ["", r.mcp_session_id ?? ""]
    : [];
}

/**
 * HTTP+SSE sessions are told apart by their `sessionId` (https_messages.ts, http_messages.ts:
 * a POST target's, the server's stream's `endpoint` event's) only where every message of the
 * client and server pair has one: where some have none (an endpoint masked, in HTTP/2 DATA or
 * cut by a gap; a recording made before the digest) the pair's ids are dropped, so that a
 * session is never split in two (its POSTs keyed, its stream not). Not counted: a message
 * without one refused at the HTTP level (status 400 or more) — the streamable-HTTP probe a
 * client sends before falling back to HTTP+SSE (MCP 2025-03-26, backwards compatibility: a
 * POST of `initialize` to the server's URL, answered 404 or 405), no session's.
 */
function sseSessionIds(rows: McpMessageRow[]): void {
  const pair = (r: McpMessageRow) =>
    [
      r.recording,
      ...[r.from_pid ?? -1, r.to_pid ?? -1].sort((a, b) => a - b),
      r.server_port,
      r.server_host,
    ].join(" ");
  const sse = rows.filter((r) => r.transport === "sse");
  const refused = (r: McpMessageRow) => r.http_status !== null && r.http_status >= 400;
  const unkeyed = new Set(
    sse.filter((r) => r.mcp_session_id === null && !refused(r)).map(pair),
  );
  for (const r of sse) if (unkeyed.has(pair(r))) r.mcp_session_id = null;
}

/**
 * A path some POST to a server was answered on with JSON-RPC responses (the exchange's
 * `http_endpoint`, from http_messages.ts and https_messages.ts) is a streamable-HTTP endpoint:
 * every message an exchange on that path carried (a notification POSTed and accepted with
 * `202`, the GET stream of the server's messages) is its session's, `http_endpoint` its path.
 * Other paths (HTTP+SSE's POST endpoint and GET stream) key no session.
 */
function endpointPaths(rows: McpMessageRow[]): void {
  const where = (r: McpMessageRow, path: string | null) =>
    `${r.recording} ${r.server_port} ${r.server_host} ${path}`;
  const endpoints = new Set(
    rows.filter((r) => r.http_endpoint !== null).map((r) => where(r, r.http_endpoint)),
  );
  for (const r of rows) {
    if (r.http_path !== null && endpoints.has(where(r, r.http_path))) {
      r.http_endpoint = r.http_path;
    }
  }
}

function uninitialisedSessions(
  pending: readonly { row: McpMessageRow; params: unknown; result: unknown }[],
  overTls: ReadonlySet<McpMessageRow>,
): McpProblem[] {
  const sessions = new Map<
    string,
    {
      rows: McpMessageRow[];
      messages: SessionMessageWithId[];
      initialize: boolean;
      /** the endpoint's key (no session id), when this one has no session id */
      sessionless?: string;
    }
  >();
  /** endpoints (keys without the session id) some of whose messages carry a session id */
  const withIds = new Set<string>();
  for (const { row: r, params, result } of pending) {
    const pids = [r.from_pid, r.to_pid].map((p) => p ?? -1).sort((a, b) => a - b);
    const base = [r.recording, r.transport, ...pids, r.server_port, r.server_host];
    const [endpoint, id] = sessionKey(r);
    const key = [...base, ...sessionKey(r)].join(" ");
    const at = [...base, endpoint].join(" ");
    if (id) withIds.add(at);
    const s = sessions.get(key) ??
      sessions.set(key, {
        rows: [],
        messages: [],
        initialize: false,
        ...(r.transport === "http" && !id ? { sessionless: at } : {}),
      }).get(key)!;
    s.rows.push(r);
    s.messages.push({
      method: r.method,
      params,
      result,
      kind: r.kind,
      id: r.jsonrpc_id,
      mcpProtocolVersion: r.mcp_protocol_version,
      a2aVersion: r.a2a_version,
    });
    if (r.method === "initialize") s.initialize = true;
  }
  const out: McpProblem[] = [];
  for (const { rows: [first, ...rest], messages, initialize, sessionless } of sessions.values()) {
    if (initialize) continue;
    // requests without an Mcp-Session-Id to an endpoint whose sessions have one, every one
    // refused: no session's messages, but what MCP's streamable HTTP says of them ("Servers
    // that require a session ID SHOULD respond to requests without an Mcp-Session-Id header
    // (other than initialization) with HTTP 400 Bad Request", Session Management) — a probe
    // before `initialize` (Claude Code's `server/discover`). Kept in mcp_messages and mcp_calls.
    if (
      sessionless !== undefined && withIds.has(sessionless) &&
      [first, ...rest].every((r) => r.http_status !== null && r.http_status >= 400)
    ) continue;
    const pids = [...new Set([first.from_pid, first.to_pid])]
      .map((p) => p === null ? "a process not traced" : `pid ${p}`).join(" and ");
    const where = first.server_host !== null
      ? ` (server ${first.server_host}${first.server_port !== null ? `:${first.server_port}` : ""})`
      : first.server_port !== null
      ? ` (server port ${first.server_port})`
      : "";
    const source = overTls.has(first) ? "tls.arrow" : "ipc.arrow";
    const notMcp = notMcpSession(messages);
    if (notMcp !== null) {
      const methods = [...new Set(messages.flatMap((m) => m.method === null ? [] : [m.method]))];
      const shown = methods.slice(0, 3).join(", ") + (methods.length > 3 ? ", ..." : "");
      out.push({
        recording: first.recording,
        source,
        kind: "protocol",
        message: `JSON-RPC over ${first.transport} between ${pids}${where} is not MCP ` +
          `(${notMcp}: ${shown}; no initialize, server/discover or ` +
          `io.modelcontextprotocol/ _meta): ${messages.length} message` +
          `${messages.length === 1 ? "" : "s"} kept in mcp_messages only, no mcp_calls`,
      });
      continue;
    }
    if (statelessSession(messages)) continue;
    const n = rest.length + 1;
    out.push({
      recording: first.recording,
      source,
      kind: "gap",
      message: `MCP session over ${first.transport} between ${pids}${where}: initialize was ` +
        `not seen (the capture attached mid-session, or the session's start was not recorded): ` +
        `${n} message${n === 1 ? "" : "s"} read as they came; the server's name and ` +
        "capabilities are unknown",
    });
  }
  return out;
}

/** The JSON-RPC messages of every stream, with the pids at both ends and a time each. */
export async function readMcpMessages(
  c: DuckDBConnection,
): Promise<{ rows: McpMessageRow[]; problems: McpProblem[] }> {
  const objects = (await c.runAndReadAll(readSql(SQL_DIR, MCP_STREAMS), { kind: null }))
    .getRowObjects();
  const tcp: TcpChunk[] = objects.filter((o) => o.kind === "tcp").map(tcpChunk);
  const chunks: Chunk[] = objects.filter((o) => o.kind !== "tcp").map((o) => ({
    recording: String(o.recording),
    pid: Number(o.pid),
    channel: BigInt(o.channel as bigint),
    direction: String(o.direction),
    ts_ns: BigInt(o.ts_ns as bigint),
    peer_pid: num(o.peer_pid),
    data: (o.data as { bytes: Uint8Array }).bytes,
    truncated: o.truncated === true,
    lost: BigInt((o.lost ?? 0n) as bigint),
  }));
  const rows: McpMessageRow[] = [];
  const problems: McpProblem[] = [];
  const ids = new Map<string, number>();
  /** The next message id of a recording (numbered from 0 in the order messages are found). */
  const nextId = (recording: string): bigint => {
    const n = ids.get(recording) ?? 0;
    ids.set(recording, n + 1);
    return BigInt(n);
  };
  const pendingRows: { row: McpMessageRow; params: unknown; result: unknown }[] = [];
  /** rows read from the TLS streams (MCP over HTTPS) */
  const overTls = new Set<McpMessageRow>();
  let i = 0;
  while (i < chunks.length) {
    const first = chunks[i];
    let j = i;
    while (
      j < chunks.length && chunks[j].recording === first.recording &&
      chunks[j].channel === first.channel && chunks[j].pid === first.pid &&
      chunks[j].direction === first.direction
    ) j++;
    const stream = chunks.slice(i, j);
    i = j;
    // a stream read from its reader's side was sent by the peer
    const sender = first.direction === "write" ? first.pid : first.peer_pid;
    const receiver = first.direction === "write" ? first.peer_pid : first.pid;
    if (sender === null) continue;
    const what = `ipc stream of pid ${first.pid} (${first.direction}) on inode ${first.channel}`;
    // Damage (a call cut at the capture's limit, bytes lost) ends a segment: the parser
    // restarts at the next call, so one cut message costs that message only.
    const messages: (JsonRpcMessage & { ts_ns: bigint })[] = [];
    const errors: string[] = [];
    let cut = 0, lost = 0n;
    let k = 0;
    while (k < stream.length) {
      const seg: Chunk[] = [];
      while (k < stream.length) {
        const ch = stream[k++];
        seg.push(ch);
        if (ch.truncated) cut++;
        lost += ch.lost;
        if (ch.truncated || ch.lost > 0n) break;
      }
      const ends: number[] = [];
      let off = 0;
      for (const ch of seg) ends.push((off += ch.data.length) - 1);
      const timeOf = (lastByte: number) => {
        const e = ends.findIndex((x) => x >= lastByte);
        return seg[e < 0 ? seg.length - 1 : e].ts_ns;
      };
      const p = createJsonRpcParser({
        onMessage: (m) => messages.push({ ...m, ts_ns: timeOf(m.lastByte) }),
        onError: (e) => errors.push(e.message),
      });
      for (const ch of seg) p.feed(ch.data);
      p.end();
    }
    // A stream that is not JSON-RPC at all is none of MCP's business.
    if (messages.length === 0) continue;
    if (cut || lost) {
      problems.push({
        recording: first.recording,
        message: `${what}: ${cut} calls cut at the capture's --max-tls-bytes, ${lost} bytes ` +
          "lost: JSON-RPC messages there are incomplete or missing",
      });
    }
    for (const e of errors.slice(0, 5)) {
      problems.push({ recording: first.recording, message: `${what}: ${e}` });
    }
    for (const m of messages) {
      pendingRows.push(pendingRow(m, {
        recording: first.recording,
        message_id: nextId(first.recording),
        ts_ns: m.ts_ns,
        from_pid: sender,
        to_pid: receiver,
        inode: first.channel,
        transport: "stdio",
        server_port: null,
        server_host: null,
        http_status: null,
        http_endpoint: null,
        ...NO_SESSION_HEADERS,
      }));
    }
  }
  // MCP over loopback HTTP (one connection's two streams at a time), and over HTTPS to a remote
  // server (from the exchanges the TLS streams were parsed into)
  const http = httpMcpMessages(tcp);
  problems.push(...http.problems);
  const exchanges = await c.runAndReadAll(readSql(SQL_DIR, MCP_HTTPS));
  const https = httpsMcpMessages(exchanges.getRowObjects().map(httpsExchange));
  problems.push(...https.problems.map((p) => ({ ...p, source: "tls.arrow" })));
  for (const h of [...http.messages, ...https.messages]) {
    const row = pendingRow(h.message, {
      recording: h.recording,
      message_id: nextId(h.recording),
      ts_ns: h.ts_ns,
      from_pid: h.from_pid,
      to_pid: h.to_pid,
      inode: h.conn,
      transport: h.transport,
      server_port: h.server_port,
      server_host: h.server_host,
      http_status: h.http_status,
      http_path: h.http_path,
      http_endpoint: h.http_endpoint,
      mcp_session_id: h.mcp_session_id,
      mcp_protocol_version: h.mcp_protocol_version,
      a2a_version: h.a2a_version,
    });
    if (https.messages.includes(h as typeof https.messages[number])) overTls.add(row.row);
    pendingRows.push(row);
  }
  endpointPaths(pendingRows.map((p) => p.row));
  sseSessionIds(pendingRows.map((p) => p.row));
  problems.push(...uninitialisedSessions(pendingRows, overTls));
  // Secrets travel in `initialize` (client env, tokens in params) and its answer, in a later
  // `tools/call`'s arguments (an `api_key`), in a server's answer (a `token`): every message's
  // secret-named values are masked, as the capture masks them in the bytes (recordings made
  // before it did, or with --keep-secrets, hold them)
  for (const p of pendingRows) {
    const json = (v: unknown) => v === undefined ? null : JSON.stringify(maskSecrets(v));
    rows.push({ ...p.row, params: json(p.params), result: json(p.result) });
  }
  return { rows, problems };
}

/** Where an `mcp_calls` row's messages were read: ipc.arrow over stdio or loopback, else tls.arrow. */
function mcpRowSource(r: Record<string, unknown>): string {
  return r.transport === "stdio" || r.server_host === null ? "ipc.arrow" : "tls.arrow";
}

/** An `mcp_calls` row's key (`recording`, `mcp_call_id`) as one string. */
function callKey(r: Record<string, unknown>): string {
  return `${r.recording}\u0000${r.mcp_call_id}`;
}

/** The query of the requests never answered though their receiver answered later ones. */
export const MCP_UNANSWERED = "mcp_unanswered";

/**
 * A problem per request its receiver never answered though it answered a later request of the
 * same session and the request was not cancelled: a server (or client) that dropped it — one
 * that refused a JSON-RPC batch (MCP 2025-03-26 only) says nothing on stdio —, or an answer the
 * capture did not see. Without a later answer the capture may just have ended first: no problem.
 * Over streamable HTTP none: there a client cancels by closing the request's event stream.
 */
export async function unansweredRequests(c: DuckDBConnection): Promise<McpProblem[]> {
  const rows = (await c.runAndReadAll(readSql(SQL_DIR, MCP_UNANSWERED))).getRowObjects();
  return rows.map((r) => {
    const id = r.jsonrpc_id === null ? "" : ` (id ${r.jsonrpc_id})`;
    const server = `${r.server_name ?? "an MCP server"}` +
      (r.server_pid === null ? "" : ` (pid ${r.server_pid})`);
    const who = r.from_server ? `${server}'s request to its client` : `request to ${server}`;
    const batch = r.batch_index === null
      ? ""
      : ` It came in a JSON-RPC batch (element ${r.batch_index}), which MCP allows in protocol ` +
        "revision 2025-03-26 only: the receiver may have dropped the whole batch.";
    return {
      recording: String(r.recording),
      source: mcpRowSource(r),
      call: callKey(r),
      message: `MCP ${r.transport} ${who}, ${r.method}${id}, got no answer although ` +
        `${r.later} later request${r.later === 1n ? " was" : "s were"} answered on the same ` +
        `session: dropped by the receiver, or its answer was not recorded.${batch}`,
    };
  });
}

/** The query of the requests never answered whose receiver's process ended meanwhile. */
export const MCP_RECEIVER_ENDED = "mcp_receiver_ended";

/**
 * A problem (`incomplete`: the exchange ended before its answer, as a response a stream ends
 * inside) per request never answered nor cancelled whose receiver's process ended after it came
 * (a stdio server killed or crashed while it served a call: its client says only that the
 * connection closed), with the end the kernel recorded and who sent the signal; none when the
 * call's tool result came first without an error, when the sender ended first, or for a
 * server's request to a client that exited 0 (mcp_receiver_ended.sql). When the capture lost or
 * cut bytes the receiver sent back after the request, the answer may have been among them and
 * the message says so. `skip` holds the calls said already (unansweredRequests; callKey).
 */
export async function receiverEndedRequests(
  c: DuckDBConnection,
  skip: ReadonlySet<string> = new Set(),
): Promise<McpProblem[]> {
  const rows = (await c.runAndReadAll(readSql(SQL_DIR, MCP_RECEIVER_ENDED))).getRowObjects();
  return rows.filter((r) => !skip.has(callKey(r))).map((r) => {
    const id = r.jsonrpc_id === null ? "" : ` (id ${r.jsonrpc_id})`;
    const server = `${r.server_name ?? "an MCP server"}` +
      (r.server_pid === null ? "" : ` (pid ${r.server_pid})`);
    const who = r.from_server ? `${server}'s request to its client` : `request to ${server}`;
    const what = r.tool === null ? `${r.method}` : `${r.method} ${r.tool}`;
    const end = r.exit_signal !== null
      ? `killed by ${r.exit_signal}` +
        (r.killed_by_pid === null
          ? ""
          : ` from pid ${r.killed_by_pid}${r.killer === null ? "" : ` (${r.killer})`}`)
      : r.exit_code === null
      ? "exited"
      : `exited ${r.exit_code}`;
    const receiver = r.from_server ? "the client" : "the server";
    const lost = Number(r.lost_writes);
    const answered = lost === 0 ? "before answering." : `before answering, or its answer was not ` +
      `recorded (the capture lost or cut bytes of ${lost} of its writes back after the request).`;
    return {
      recording: String(r.recording),
      source: mcpRowSource(r),
      kind: "incomplete",
      call: callKey(r),
      message: `MCP ${r.transport} ${who}, ${what}${id}, got no answer: ${receiver}'s process ` +
        `(pid ${r.receiver}, ${r.program}) ended ${r.after_ms} ms after it came, ${end}, ${answered}`,
    };
  });
}

/** Fills `mcp_calls` from `mcp_messages` (`sql/mcp_calls.sql` with its values), as buildMcp does. */
export async function fillMcpCalls(c: DuckDBConnection): Promise<void> {
  const sql = readSql(SQL_DIR, "mcp_calls");
  await c.run(sql, bindFor(sql, MCP_SQL_VALUES, "mcp_calls.sql") as never);
}

/** The MCP detectors, run in this order (`sql/<name>.sql`, each adding to `findings`). */
export const MCP_FINDINGS = [
  "findings_mcp_poisoning",
  "findings_mcp_overreach",
  "findings_mcp_unconfigured",
] as const;

/** Adds the MCP findings; after the detectors (it reads their pattern and sensitive-read tables). */
export function buildMcpFindings(c: DuckDBConnection, build?: Build): Promise<ProblemRow[]> {
  return buildPart(c, build, async (b) => {
    // without a tools/call to a known server process the overreach detector finds nothing,
    // yet DuckDB hashed every file action for it (about 1.1 s CPU of a 1M-event recording
    // without MCP, the largest findings step there): skipped then
    const called = await c.runAndReadAll(readSql(SQL_DIR, MCP_CALLED)).then(
      (r) => r.getRows()[0][0] !== false,
      () => true, // unreadable: the step says what is wrong
    );
    // the detectors' path patterns as constant screens (compiled once, not per row); unread,
    // the steps that need them fail, each a `problems` row
    const screens = await readPatternScreens(c).catch((e) => {
      b.problem("pattern_regexes.sql", "sql", `the path patterns could not be read (${e})`);
      return {};
    });
    for (const name of MCP_FINDINGS) {
      if (name === "findings_mcp_overreach" && !called) continue;
      await b.insert(findingsTable, `${name}.sql`, readSql(SQL_DIR, name), { ...screens });
    }
  });
}

/**
 * Creates and fills the MCP tables and adds the `mcp` links. Needs correlation's tables. Part
 * of `build` when given, else on its own (problems saved in `problems`).
 */
export function buildMcp(c: DuckDBConnection, build?: Build): Promise<ProblemRow[]> {
  return buildPart(c, build, async (b) => {
    await b.create(MCP_TABLES);
    const { rows, problems } = await readMcpMessages(c);
    await b.appendRows(mcpMessagesTable, rows as unknown as Record<string, unknown>[]);
    for (const p of problems) {
      b.problem(p.source ?? "ipc.arrow", p.kind ?? "protocol", p.message);
    }
    for (const def of MCP_TABLES) {
      if (def === mcpMessagesTable) continue;
      await b.insert(def, `${def.name}.sql`, readSql(SQL_DIR, def.name), MCP_SQL_VALUES);
    }
    const unanswered = await unansweredRequests(c);
    for (const p of unanswered) b.problem(p.source!, "protocol", p.message);
    const said = new Set(unanswered.map((p) => p.call!));
    for (const p of await receiverEndedRequests(c, said)) {
      b.problem(p.source!, p.kind!, p.message);
    }
    const [links, serverLinks] = MCP_LINKS;
    // without an MCP call tied to a tool call the step gives nothing, yet DuckDB hashed every
    // link for it (0.17 s of a 1M-event recording without MCP): skipped then
    const tied = await c.runAndReadAll(readSql(SQL_DIR, MCP_TIED)).then(
      (r) => r.getRows()[0][0] !== false,
      () => true, // unreadable: the step says what is wrong
    );
    if (tied) {
      await b.run(`${links}.sql`, readSql(SQL_DIR, links), {}, "no action got the mcp signal");
    }
    await b.run(
      `${serverLinks}.sql`,
      readSql(SQL_DIR, serverLinks),
      {},
      "no action was attributed to a configured MCP server",
    );
    await b.finish();
  });
}
