/**
 * MCP over cleartext HTTP from the `ipc` rows of kind `tcp`: the byte streams of each TCP
 * connection (read from the writer's side when it was traced, else from the reader's) are
 * given to `protocols/mcp_http.ts` — the stream that starts with a status line is the server's,
 * the other the client's — and each JSON-RPC message it finds gets the time of the call that
 * completed it, the client and server processes (the server: the process that answered on the
 * connection, i.e. the listening side) and the server's port. A connection whose server sent
 * an `endpoint` event makes every connection of that client to that port the HTTP+SSE
 * transport (`sse`); the others are streamable HTTP (`http`). A call cut or with bytes lost
 * ends what is read of its stream, with a `problems` row. A stream that begins with neither a
 * request nor a status line (its start was not recorded) is not parsed from there, and a
 * second stream of the same side on one connection is not read either: each is a `problems`
 * row saying so. A connection that is cleartext HTTP/2 (h2c: its client's preface or its
 * server's SETTINGS frame first) is not read at all, with one `problems` row. A connection
 * whose client sent a request of an LLM API (`../cleartext_http.ts`: a model server over plain
 * HTTP) is not MCP's: it is read into the HTTP and LLM tables instead, and skipped here; nor is
 * an HTTP proxy's CONNECT tunnel (`HTTPS_PROXY` on loopback), whose TLS the TLS hooks read.
 *
 * On loopback as off it (a server on another machine, `server_host` its address), a connection
 * is read only when its client sent a JSON-RPC request body to that server (`{` or `[` and
 * `"jsonrpc"`, on this or another connection of the same client process to the same address
 * and port, any loopback address: HTTP+SSE's GET stream carries none), as over HTTPS
 * (`https_messages.ts`); any other (a local dev server, a download, a REST API, a web page
 * served to the LAN) is none of MCP's business and says nothing here: the HTTP tables read it
 * (`../cleartext_http.ts` `isOtherHttp`, by the same rule).
 */
import { createMcpHttpParser, type McpHttpMessage } from "../../protocols/mcp_http.ts";
import type { Http1Head } from "../../protocols/http1.ts";
import { holdsNoJsonRpcRequest } from "../open_ended_answers.ts";
import {
  NO_SESSION_HEADERS,
  type SessionHeaders,
  sessionHeaders,
  sseSessionId,
} from "./session_headers.ts";
import {
  addMcpServer,
  connectionName,
  groupTcpConnections,
  isLlmConnection,
  isMcp,
  splitTcpConnection,
  type TcpChunk,
  type TcpStream,
} from "../cleartext_http.ts";

export type { TcpChunk } from "../cleartext_http.ts";
export { sendsJsonRpc } from "../cleartext_http.ts";

export interface HttpMcpMessage extends SessionHeaders {
  recording: string;
  message: McpHttpMessage;
  ts_ns: bigint;
  from_pid: number | null;
  to_pid: number | null;
  conn: bigint;
  server_port: number | null;
  /** off loopback: the server's address */
  server_host: string | null;
  transport: "http" | "sse";
  /**
   * The HTTP status of the exchange that carried it: of the answer to the request whose body it
   * was (a client's message), or of the response it came in (a server's); null: none recorded.
   */
  http_status: number | null;
  /** `http_path` when its exchange is a POST whose own answer holds JSON-RPC responses */
  http_endpoint: string | null;
}

type Stream = TcpStream;

/** The messages of every connection in `chunks` (ordered by connection, stream, call). */
export function httpMcpMessages(
  chunks: TcpChunk[],
): {
  messages: HttpMcpMessage[];
  problems: { recording: string; message: string; kind?: string }[];
} {
  const problems: { recording: string; message: string; kind?: string }[] = [];
  /** with HTTP+SSE's session (`sessionId=`): a POST target's, or its stream's endpoint's */
  const found: (Omit<HttpMcpMessage, "transport"> & { sseId?: string | null })[] = [];
  /** `recording client port` of the HTTP+SSE transport */
  const sse = new Set<string>();
  const conns = groupTcpConnections(chunks).map(splitTcpConnection);
  /** the servers a client sent a JSON-RPC request body to (`serverKey`) */
  const mcpServers = new Set<string>();
  for (const t of conns) addMcpServer(t, mcpServers);
  for (const t of conns) {
    const list = t.rows;
    const recording = t.recording;
    if (t.http2 && !t.loopback) continue;
    if (t.http2) {
      // h2c (gRPC, or MCP over HTTP/2): recorded, its secrets masked, but not parsed here
      const bytes = list.reduce((n, c) => n + c.data.length, 0);
      const pids = [...new Set(list.map((c) => c.pid))].join(", ");
      const ports = [...new Set(list.flatMap((c) => [c.local_port, c.remote_port]))]
        .filter((p) => p !== null).sort((a, b) => a! - b!).join(", ");
      // calls written empty: withheld by the capture after a gap (capture/stream_damage.ts)
      const empty = list.filter((c) => c.data.length === 0 && c.lost > 0n);
      const missing = empty.reduce((n, c) => n + c.lost, 0n);
      problems.push({
        recording,
        message: `loopback TCP connection ${list[0].conn} (pids ${pids}, ports ${ports}) is ` +
          `cleartext HTTP/2 (h2c): its ${bytes} bytes are not read (MCP over loopback is read ` +
          "from HTTP/1.1 only)" + (empty.length
            ? `; ${empty.length} call(s) withheld by the capture after a gap (written empty so ` +
              `no secret leaks unmasked; ${missing} bytes missing with the gap)`
            : ""),
      });
      continue;
    }
    // an LLM API's connection (a model server over plain HTTP): read by the HTTP tables
    if (isLlmConnection(t)) continue;
    // a proxy's CONNECT tunnel (HTTPS_PROXY on loopback): its TLS is read from the TLS hooks;
    // any other plain HTTP (no JSON-RPC sent to that server): read by the HTTP tables
    if (!isMcp(t, mcpServers)) continue;
    const { client, server, unread } = t;
    const clientPid = client?.sender ?? server?.receiver ?? null;
    const serverPid = server?.sender ?? client?.receiver ?? null;
    const port = client?.serverPort ?? server?.serverPort ?? null;
    let errors = 0;
    const what = connectionName(t);
    const serverHost = t.loopback ? null : t.addr;
    for (const { stream, why } of unread) {
      const bytes = stream.chunks.reduce((n, c) => n + c.data.length, 0);
      const end = stream.chunks[0];
      const seen = end.direction === "write" ? "written" : `as read by pid ${end.pid}`;
      problems.push({
        recording,
        message: `${what}: the ${bytes} bytes pid ${stream.sender ?? "?"} sent (${seen}) ` +
          `are not read: ${why}`,
      });
    }
    /** the requests' heads by index, those answered, and the JSON-RPC each request carried */
    const asked = new Map<number, Http1Head>();
    const answered = new Set<number>();
    /** the final status answering each request (by its index), and the messages awaiting it */
    const statusOf = new Map<number, number>();
    const awaiting: { at: number; httpIndex: number }[] = [];
    /** each request's final answer head (by the request's index), and each answer's request */
    const answerOf = new Map<number, Http1Head>();
    const requestOf = new Map<number, number>();
    const placed: { at: number; request: number }[] = [];
    const carried = new Map<number, string[]>();
    /** the POSTs (by index), whole, whose body holds no JSON-RPC request (open_ended_answers.ts) */
    const noRequest = new Set<number>();
    /** the session each `endpoint` event names, by its stream's (answer's) index */
    const streamSessions = new Map<number, string | null>();
    const parser = createMcpHttpParser({
      onHead(side, head) {
        if (side === "client") asked.set(head.index, head);
        else {
          answered.add(head.index);
          if (!head.informational && head.status !== undefined) {
            statusOf.set(head.requestIndex ?? head.index, head.status);
            answerOf.set(head.requestIndex ?? head.index, head);
            requestOf.set(head.index, head.requestIndex ?? head.index);
          }
        }
      },
      onBodyEnd(side, head, body, incomplete) {
        if (
          side === "client" && head.method === "POST" && !incomplete && holdsNoJsonRpcRequest(body)
        ) noRequest.add(head.index);
      },
      onMessage(m) {
        if (m.side === "client" && m.method) {
          const what = m.id !== undefined && m.id !== null ? `${m.method} (id ${m.id})` : m.method;
          carried.set(m.httpIndex, [...carried.get(m.httpIndex) ?? [], what]);
        }
        const s = m.side === "client" ? client! : server!;
        if (m.side === "client") awaiting.push({ at: found.length, httpIndex: m.httpIndex });
        placed.push({
          at: found.length,
          request: m.side === "client" ? m.httpIndex : requestOf.get(m.httpIndex) ?? m.httpIndex,
        });
        found.push({
          ...NO_SESSION_HEADERS,
          recording,
          message: m,
          ts_ns: timeOf(s, m.lastByte),
          from_pid: m.side === "client" ? clientPid : serverPid,
          to_pid: m.side === "client" ? serverPid : clientPid,
          conn: list[0].conn,
          server_port: port,
          server_host: serverHost,
          http_status: m.side === "server" ? m.status ?? null : null,
          http_endpoint: null,
        });
      },
      onEndpoint(e) {
        sse.add(`${recording} ${clientPid} ${port}`);
        streamSessions.set(e.httpIndex, sseSessionId(e.url));
      },
      onError(e) {
        if (errors++ < 5) problems.push({ recording, message: `${what}: ${e.message}` });
      },
    });
    let serverCut = false;
    for (const [s, p] of [[client, parser.request], [server, parser.response]] as const) {
      if (!s) continue;
      for (const c of s.chunks) {
        p.feed(c.data);
        if (c.truncated || c.lost > 0n) {
          if (s === server) serverCut = true;
          const why = c.truncated
            ? "cut at the capture's --max-tls-bytes"
            : c.data.length === 0
            ? "withheld by the capture after a gap (written empty so no secret leaks unmasked)"
            : `with ${c.lost} bytes lost (ring buffer full, or unreadable memory)`;
          problems.push({
            recording,
            message: `${what}: a call ${why}: the rest of that stream is not read`,
          });
          break;
        }
      }
    }
    parser.request.end();
    parser.response.end();
    for (const { at, httpIndex } of awaiting) {
      found[at].http_status = statusOf.get(httpIndex) ?? null;
    }
    // the endpoint and session headers of the exchange each message came in; a POST whose own
    // answer holds JSON-RPC responses is streamable HTTP's endpoint
    const answersRpc = new Set<number>();
    for (const { at, request } of placed) {
      const m = found[at].message;
      if (m.side === "server" && (m.kind === "response" || m.kind === "error")) {
        answersRpc.add(request);
      }
    }
    for (const { at, request } of placed) {
      const asking = asked.get(request);
      Object.assign(
        found[at],
        sessionHeaders(asking?.target, asking?.lookup, answerOf.get(request)?.lookup),
      );
      // HTTP+SSE's session: a POST's `sessionId=`, or the endpoint event of the stream it came on
      const m = found[at].message;
      found[at].sseId = m.side === "server" && streamSessions.has(m.httpIndex)
        ? streamSessions.get(m.httpIndex)!
        : sseSessionId(asking?.target);
      found[at].http_endpoint = asking?.method === "POST" && answersRpc.has(request)
        ? found[at].http_path
        : null;
    }
    // a request the server's recorded stream never answered (no status line at all): the
    // recording ends before its answer (a capture stopped mid-call, a server that hung); not
    // the DELETE ending a session, whose answer the client need not wait for, nor a POST of
    // JSON-RPC notifications and responses alone, whole (the same rule as over TLS:
    // open_ended_answers.ts), whose answer is an acknowledgement without JSON-RPC. (After a cut
    // in the server's stream the unread rest is said above.)
    if (server && !serverCut) {
      for (const [index, head] of asked) {
        if (answered.has(index)) continue;
        if (head.method === "DELETE" && head.lookup["mcp-session-id"]?.[0]) continue;
        if (noRequest.has(index)) continue;
        const rpc = carried.get(index);
        problems.push({
          recording,
          kind: "incomplete",
          message: `${what}: ${head.method ?? "?"} ${head.target ?? "?"}` +
            (rpc ? ` (${rpc.join(", ")})` : "") +
            " got no answer: the recording ends before the server answered it",
        });
      }
    }
  }
  const messages = found.map(({ sseId, ...m }) => {
    const isSse = sse.has(
      `${m.recording} ${m.message.side === "client" ? m.from_pid : m.to_pid} ${m.server_port}`,
    );
    return {
      ...m,
      // over HTTP+SSE the session is the `sessionId` parameter (build.ts `sseSessionIds`)
      ...(isSse && m.mcp_session_id === null ? { mcp_session_id: sseId ?? null } : {}),
      transport: isSse ? "sse" as const : "http" as const,
    };
  });
  return { messages, problems };
}

/** The time of the call whose bytes hold stream offset `lastByte`. */
function timeOf(s: Stream, lastByte: number): bigint {
  let end = 0;
  for (const c of s.chunks) {
    end += c.data.length;
    if (lastByte < end) return c.ts_ns;
  }
  return s.chunks[s.chunks.length - 1].ts_ns;
}
