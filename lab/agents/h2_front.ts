/**
 * An HTTPS front that offers `h2` and `http/1.1` by ALPN, as Cloudflare and any modern reverse
 * proxy do, in front of a plain-HTTP/1.1 server on loopback (a remote MCP server:
 * `remote_mcp.ts`). A client whose HTTP stack negotiates h2 speaks HTTP/2 to it; one that offers
 * only http/1.1 still gets HTTP/1.1.
 *
 * TLS is ended here (`Deno.listenTls`, which tells each connection's ALPN protocol), and each
 * connection's plaintext is piped to an inner `Deno.serve` on loopback, which speaks HTTP/1.1
 * or HTTP/2 (h2c with prior knowledge) as the client does: hyper's HTTP/2, not `node:http2`,
 * whose nghttp2 binding in Deno 2.9.6 aborts or crashes now and then on a client's GOAWAY
 * (`find_stream_on_goaway_func`, denoland/deno#36788; Codex sends one as it exits).
 *
 * Each request is forwarded as it comes, as a proxy does: method, path, headers (`Host` the
 * authority the client asked for, connection-specific fields dropped) and body, streamed; the
 * answer's status, headers and body go back the same way, each chunk as the server wrote it, so
 * an event stream stays a stream (its head sent at once). Any other answer's head waits for its
 * first chunk, so that an empty answer is one HEADERS frame with END_STREAM, as a proxy that has
 * the whole answer sends it. A client that resets a stream or leaves ends the backend request.
 */
import http from "node:http";
import { closeAll } from "../../kit/close.ts";

export interface H2FrontOptions {
  hostname: string;
  port: number;
  cert: string;
  key: string;
  /** the plain-text HTTP/1.1 server requests go to */
  backend: { hostname: string; port: number };
  /** told the ALPN protocol of each connection as it is accepted */
  onConnection?: (alpn: string) => void;
}

export interface H2Front {
  port: number;
  /** the ALPN protocol of each connection accepted so far, in order (`h2`, `http/1.1`) */
  protocols: string[];
  close(): Promise<void>;
}

/** Fields that belong to one connection, never forwarded (RFC 9110 7.6.1, RFC 9113 8.2.2). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "http2-settings",
]);

/** Statuses whose answers have no body (RFC 9110 6.4.1). */
const NO_BODY = new Set([204, 205, 304]);

/** Forwards one request to `backend` and its answer back, streaming both bodies. */
function forward(
  req: Request,
  backend: H2FrontOptions["backend"],
): Promise<Response> {
  const url = new URL(req.url);
  const headers: http.OutgoingHttpHeaders = {};
  req.headers.forEach((v, k) => {
    if (!HOP_BY_HOP.has(k) && !k.startsWith(":")) headers[k] = v;
  });
  headers.host = url.host;
  const { promise, resolve } = Promise.withResolvers<Response>();
  let answered = false;
  const respond = (r: Response) => {
    if (!answered) (answered = true, resolve(r));
  };
  const up = http.request({
    hostname: backend.hostname,
    port: backend.port,
    method: req.method,
    path: url.pathname + url.search,
    headers,
  }, (answer) => {
    const status = answer.statusCode ?? 502;
    const fields = new Headers();
    for (const [k, v] of Object.entries(answer.headers)) {
      if (v === undefined || HOP_BY_HOP.has(k)) continue;
      for (const x of Array.isArray(v) ? v : [String(v)]) fields.append(k, x);
    }
    let sink: ReadableStreamDefaultController<Uint8Array> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (c) => void (sink = c),
      // the client went (it reset the stream, or closed the connection): so does the request
      cancel: () => void answer.destroy(),
    });
    const withBody = () => {
      if (!answered) respond(new Response(body, { status, headers: fields }));
    };
    if (NO_BODY.has(status) || req.method === "HEAD") {
      answer.resume();
      return respond(new Response(null, { status, headers: fields }));
    }
    // an event stream's head at once; any other's with its first chunk
    if (
      /^text\/event-stream/i.test(String(answer.headers["content-type"] ?? ""))
    ) withBody();
    answer.on("data", (chunk: Uint8Array) => {
      withBody();
      try {
        sink!.enqueue(new Uint8Array(chunk));
      } catch { /* the client went */ }
    });
    answer.on("end", () => {
      if (!answered) {
        return respond(new Response(null, { status, headers: fields }));
      }
      try {
        sink!.close();
      } catch { /* the client went */ }
    });
    answer.on("error", (e) => {
      try {
        sink!.error(e);
      } catch { /* the client went */ }
    });
  });
  up.on("error", () => {
    respond(new Response("backend unreachable\n", { status: 502 }));
  });
  (async () => {
    try {
      if (req.body) { for await (const chunk of req.body) up.write(chunk); }
      up.end();
    } catch {
      up.destroy();
    }
  })();
  return promise;
}

/** Pipes two connections into each other until both directions end; then closes both. */
async function splice(a: Deno.Conn, b: Deno.Conn): Promise<void> {
  await Promise.allSettled([
    a.readable.pipeTo(b.writable),
    b.readable.pipeTo(a.writable),
  ]);
  closeAll([a, b]);
}

/** Starts the front; resolves once it listens. */
export function startH2Front(opts: H2FrontOptions): Promise<H2Front> {
  const protocols: string[] = [];
  const conns = new Set<Deno.Conn>();
  const inner = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => forward(req, opts.backend),
  );
  const listener = Deno.listenTls({
    hostname: opts.hostname,
    port: opts.port,
    cert: opts.cert,
    key: opts.key,
    alpnProtocols: ["h2", "http/1.1"],
  });
  const accept = async (conn: Deno.TlsConn) => {
    conns.add(conn);
    try {
      const alpn = (await conn.handshake()).alpnProtocol ?? "none";
      protocols.push(alpn);
      opts.onConnection?.(alpn);
      const up = await Deno.connect({
        hostname: "127.0.0.1",
        port: inner.addr.port,
      });
      conns.add(up);
      await splice(conn, up);
      conns.delete(up);
    } catch {
      closeAll([conn]);
    }
    conns.delete(conn);
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) accept(conn);
    } catch { /* closed */ }
  })();
  return Promise.resolve({
    port: (listener.addr as Deno.NetAddr).port,
    protocols,
    close: async () => {
      closeAll([listener, ...conns]);
      await accepting;
      await inner.shutdown();
    },
  });
}
