/**
 * MCP over loopback HTTP from the `ipc` rows of kind `tcp`: the byte streams of each TCP
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
 * server's SETTINGS frame first) is not read at all, with one `problems` row.
 */
import { createMcpHttpParser, type McpHttpMessage } from "../../protocols/mcp_http.ts";
import {
  HTTP2_PREFACE,
  startsWithHttp2Preface,
  startsWithHttp2Settings,
} from "../../protocols/http2_frame.ts";

export interface TcpChunk {
  recording: string;
  pid: number;
  /** the connection: the same for both ends' rows */
  conn: bigint;
  /** the end the bytes were written on */
  channel: bigint;
  direction: string;
  ts_ns: bigint;
  peer_pid: number | null;
  local_port: number | null;
  remote_port: number | null;
  data: Uint8Array;
  truncated: boolean;
  lost: bigint;
}

export interface HttpMcpMessage {
  recording: string;
  message: McpHttpMessage;
  ts_ns: bigint;
  from_pid: number | null;
  to_pid: number | null;
  conn: bigint;
  server_port: number | null;
  transport: "http" | "sse";
}

interface Stream {
  chunks: TcpChunk[];
  /** the process that wrote these bytes (null: not traced) */
  sender: number | null;
  receiver: number | null;
  /** the port of the server end, as this stream's rows know it */
  serverPort: number | null;
}

/** Bytes of a stream's start looked at for its first line. */
const START_BYTES = 8192;

/**
 * What a stream begins with: a status line (the server's answers), a request line (the
 * client's requests; empty lines before it are allowed, RFC 9112 2.2), or neither (its start
 * was not recorded). Read from the first line of its first calls; a line longer than
 * START_BYTES is judged by its method and the start of its target.
 */
function streamStart(chunks: TcpChunk[]): "status" | "request" | null {
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
  line = line.replace(/\r$/, "");
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

/** A stream's first bytes as a problem message shows them. */
function firstBytes(chunks: TcpChunk[]): string {
  const c = chunks.find((c) => c.data.length > 0)!;
  return JSON.stringify(String.fromCharCode(...c.data.subarray(0, 24)));
}

/** The messages of every connection in `chunks` (ordered by connection, stream, call). */
export function httpMcpMessages(
  chunks: TcpChunk[],
): { messages: HttpMcpMessage[]; problems: { recording: string; message: string }[] } {
  const problems: { recording: string; message: string }[] = [];
  const found: Omit<HttpMcpMessage, "transport">[] = [];
  /** `recording client port` of the HTTP+SSE transport */
  const sse = new Set<string>();
  const conns = new Map<string, TcpChunk[]>();
  for (const c of chunks) {
    const k = `${c.recording}\0${c.conn}`;
    const list = conns.get(k);
    if (list) list.push(c);
    else conns.set(k, [c]);
  }
  for (const list of conns.values()) {
    const recording = list[0].recording;
    const byStream = new Map<string, TcpChunk[]>();
    for (const c of list) {
      const k = `${c.channel}:${c.pid}:${c.direction}`;
      const s = byStream.get(k);
      if (s) s.push(c);
      else byStream.set(k, [c]);
    }
    const streams = [...byStream.values()].filter((s) => s.some((c) => c.data.length > 0));
    if (streams.some(isHttp2)) {
      // h2c (gRPC, or MCP over HTTP/2): recorded, its secrets masked, but not parsed here
      const bytes = streams.reduce((n, s) => n + s.reduce((m, c) => m + c.data.length, 0), 0);
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
    let client: Stream | undefined, server: Stream | undefined;
    /** streams not read: the start not recorded, or a second one of the same side */
    const unread: { stream: Stream; why: string }[] = [];
    for (const s of byStream.values()) {
      if (!s.some((c) => c.data.length > 0)) continue;
      const wrote = s[0].direction === "write";
      const stream: Stream = {
        chunks: s,
        sender: wrote ? s[0].pid : s[0].peer_pid,
        receiver: wrote ? s[0].peer_pid : s[0].pid,
        serverPort: null,
      };
      const start = streamStart(s);
      if (start === "status") {
        // the server's answers: its own port is local when it wrote them
        stream.serverPort = wrote ? s[0].local_port : s[0].remote_port;
        if (server) unread.push({ stream, why: "a second stream of answers" });
        else server = stream;
      } else if (start === "request") {
        stream.serverPort = wrote ? s[0].remote_port : s[0].local_port;
        if (client) unread.push({ stream, why: "a second stream of requests" });
        else client = stream;
      } else {
        unread.push({
          stream,
          why: `it begins with ${firstBytes(s)}, neither an HTTP request nor a status line: ` +
            "its start was not recorded",
        });
      }
    }
    const clientPid = client?.sender ?? server?.receiver ?? null;
    const serverPid = server?.sender ?? client?.receiver ?? null;
    const port = client?.serverPort ?? server?.serverPort ?? null;
    let errors = 0;
    const what = `loopback HTTP connection ${list[0].conn} (client pid ${clientPid ?? "?"}, ` +
      `port ${port ?? "?"})`;
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
    const parser = createMcpHttpParser({
      onMessage(m) {
        const s = m.side === "client" ? client! : server!;
        found.push({
          recording,
          message: m,
          ts_ns: timeOf(s, m.lastByte),
          from_pid: m.side === "client" ? clientPid : serverPid,
          to_pid: m.side === "client" ? serverPid : clientPid,
          conn: list[0].conn,
          server_port: port,
        });
      },
      onEndpoint() {
        sse.add(`${recording} ${clientPid} ${port}`);
      },
      onError(e) {
        if (errors++ < 5) problems.push({ recording, message: `${what}: ${e.message}` });
      },
    });
    for (const [s, p] of [[client, parser.request], [server, parser.response]] as const) {
      if (!s) continue;
      for (const c of s.chunks) {
        p.feed(c.data);
        if (c.truncated || c.lost > 0n) {
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
  }
  const messages = found.map((m) => ({
    ...m,
    transport: sse.has(
        `${m.recording} ${m.message.side === "client" ? m.from_pid : m.to_pid} ${m.server_port}`,
      )
      ? "sse" as const
      : "http" as const,
  }));
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
