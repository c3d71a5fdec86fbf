/**
 * An HTTPS front that offers `h2` and `http/1.1` by ALPN, as Cloudflare and any modern reverse
 * proxy do, in front of a plain-HTTP/1.1 server on loopback (a remote MCP server:
 * `remote_mcp.ts`). A client whose HTTP stack negotiates h2 speaks HTTP/2 to it; one that offers
 * only http/1.1 still gets HTTP/1.1 (`node:http2` `createSecureServer` with `allowHTTP1`).
 *
 * Each request is forwarded as it comes, as a proxy does: method, path, headers (the HTTP/2
 * pseudo-headers become the request line and `Host`, connection-specific fields are dropped) and
 * body, streamed; the answer's status, headers and body go back the same way, each chunk as the
 * server wrote it, so an event stream stays a stream. The backend's connection-specific fields
 * (`Connection`, `Keep-Alive`, `Transfer-Encoding`) are the front's own business on each side.
 */
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";

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

/** The forwardable fields of `headers` (pseudo-headers and connection fields left out). */
function forwardable(
  headers: http.IncomingHttpHeaders,
): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || k.startsWith(":") || HOP_BY_HOP.has(k)) continue;
    out[k] = v;
  }
  return out;
}

type Req = http2.Http2ServerRequest;
type Res = http2.Http2ServerResponse;

/**
 * Forwards one request to `backend` and its answer back, streaming both bodies. Once the client
 * has gone (it reset the stream: Codex cancels the event stream it no longer wants, and each
 * answer once read), nothing more is written to the stream and the backend request is ended.
 */
function forward(req: Req, res: Res, backend: H2FrontOptions["backend"]) {
  const headers = forwardable(req.headers);
  headers.host = req.authority ?? req.headers.host ??
    `${backend.hostname}:${backend.port}`;
  let left = false;
  /** the client reset the stream or the connection went: nothing may be sent on it now */
  const gone = () => left || res.stream?.destroyed === true || res.stream?.closed === true;
  const up = http.request({
    hostname: backend.hostname,
    port: backend.port,
    method: req.method,
    path: req.url,
    headers,
  }, (answer) => {
    const status = answer.statusCode ?? 502;
    const fields = forwardable(answer.headers);
    const head = () => {
      if (!res.headersSent) res.writeHead(status, fields);
    };
    if (gone()) return answer.destroy();
    if (
      /^text\/event-stream/i.test(String(answer.headers["content-type"] ?? ""))
    ) {
      // an event stream's head at once (HTTP/1.1 would hold it until the first event)
      head();
      (res as unknown as { flushHeaders?(): void }).flushHeaders?.();
    }
    // each chunk as it comes: an event stream's events reach the client when the server
    // writes them
    answer.on("data", (chunk: Uint8Array) => {
      if (gone()) return;
      head();
      res.write(chunk);
    });
    answer.on("end", () => {
      if (gone()) return;
      if (!res.headersSent) {
        // an empty answer: its head ends the stream (HEADERS with END_STREAM), as a proxy
        // that has the whole answer sends it, not a HEADERS frame and an empty DATA frame
        res.statusCode = status;
        for (const [k, v] of Object.entries(fields)) {
          res.setHeader(k, v as string | string[]);
        }
      }
      res.end();
    });
    answer.on("error", () => {
      if (!gone()) res.stream?.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    });
  });
  up.on("error", () => {
    if (gone()) return;
    if (!res.headersSent) {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end("backend unreachable\n");
    } else res.end();
  });
  // the client going away ends the backend request too (a GET event stream left open)
  const leave = () => {
    left = true;
    up.destroy();
  };
  res.on("close", leave);
  req.on("aborted", leave);
  req.on("data", (chunk: Uint8Array) => {
    if (!left) up.write(chunk);
  });
  req.on("end", () => {
    if (!left) up.end();
  });
}

/** Starts the front; resolves once it listens. */
export function startH2Front(opts: H2FrontOptions): Promise<H2Front> {
  const protocols: string[] = [];
  const sockets = new Set<{ destroy(): void }>();
  const server = http2.createSecureServer(
    { cert: opts.cert, key: opts.key, allowHTTP1: true },
    (req: Req, res: Res) => forward(req, res, opts.backend),
  );
  server.on("secureConnection", (socket) => {
    protocols.push(socket.alpnProtocol || "none");
    opts.onConnection?.(socket.alpnProtocol || "none");
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.hostname, () => {
      server.off("error", reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        protocols,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
