/**
 * The transport under the model server and the web page servers: listens on a loopback address
 * with HTTPS (HTTP/2 and HTTP/1.1 by ALPN, or HTTP/1.1 only) or plain HTTP, reads each request
 * body whole, and hands the handler a small writer that flushes each chunk as it is written.
 *
 * HTTPS with HTTP/2 runs on Deno.serve (hyper), not node:http2: Deno 2.9's node:http2 aborts
 * the whole process inside nghttp2 when a client's GOAWAY arrives at the wrong moment
 * (denoland/deno#36788), which Codex triggers when it exits. Deno.serve does not say which
 * HTTP version a request came in; an HTTP/1.1 request always carries `Host`, an HTTP/2 one
 * carries `:authority` instead, which is how the version is told apart.
 */

import http from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { concatBytes } from "../../kit/bytes.ts";
import { startFront, type UpgradeRequest } from "./tls_front.ts";

export type { UpgradeRequest };

/** A request with its body read. */
export interface IncomingRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** Header names in lower case; HTTP/2 pseudo-headers are left out. */
  headers: Record<string, string>;
  body: Uint8Array;
  /** "1.1" or "2.0". */
  httpVersion: string;
  /** The `Host` header, or the `:authority` pseudo-header under HTTP/2. */
  authority: string;
}

/** Writes a response; each `write` is sent to the client before it resolves. */
export interface ResponseWriter {
  writeHead(status: number, headers: Record<string, string>): void;
  write(chunk: string | Uint8Array): Promise<void>;
  end(chunk?: string | Uint8Array): Promise<void>;
  /**
   * Drops the response mid-body, as a broken connection does: HTTP/1.1 closes the connection
   * without the last chunk, HTTP/2 resets the stream (RST_STREAM), a WebSocket closes its
   * connection without a close frame.
   */
  abort(): Promise<void>;
  /** True once the client went away. */
  readonly closed: boolean;
}

export type RequestHandler = (
  req: IncomingRequest,
  res: ResponseWriter,
) => Promise<void>;

export interface ListenOptions {
  hostname: string;
  /** 0 picks a free port. */
  port: number;
  /** PEM certificate and key; without them the server speaks plain HTTP/1.1. */
  tls?: { cert: string; key: string };
  /** With TLS: offer only "http/1.1" in ALPN. */
  http1Only?: boolean;
  /**
   * With TLS: WebSocket upgrades on the same port go here (see tls_front.ts); the connection
   * is the handler's from then on.
   */
  onWebSocket?: (conn: Deno.Conn, request: UpgradeRequest, rest: Uint8Array) => Promise<void>;
}

export interface Listener {
  port: number;
  hostname: string;
  close(): Promise<void>;
}

type NodeReq = http.IncomingMessage;
type NodeRes = http.ServerResponse;

function collectHeaders(req: NodeReq): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (k.startsWith(":") || v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v);
  }
  return out;
}

function readBody(req: NodeReq): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const parts: Uint8Array[] = [];
    req.on("data", (c: Uint8Array) => parts.push(new Uint8Array(c)));
    req.on("end", () => {
      resolve(concatBytes(parts));
    });
    req.on("error", reject);
  });
}

function writer(res: NodeRes): ResponseWriter {
  let closed = false;
  res.on("close", () => closed = true);
  const w = (chunk: string | Uint8Array) =>
    new Promise<void>((resolve) => {
      if (closed) return resolve();
      // deno-lint-ignore no-explicit-any
      (res as any).write(chunk, () => resolve());
    });
  return {
    get closed() {
      return closed;
    },
    writeHead(status, headers) {
      // deno-lint-ignore no-explicit-any
      (res as any).writeHead(status, headers);
    },
    write: w,
    async abort() {
      // what was written goes out first
      await new Promise<void>((resolve) => {
        if (closed) return resolve();
        // deno-lint-ignore no-explicit-any
        (res as any).write("", () => resolve());
      });
      closed = true;
      res.destroy();
    },
    async end(chunk) {
      if (chunk !== undefined && chunk.length > 0) await w(chunk);
      await new Promise<void>((resolve) => {
        if (closed) return resolve();
        // deno-lint-ignore no-explicit-any
        (res as any).end(() => resolve());
      });
    },
  };
}

/** Starts listening; resolves once the port is bound. */
export function listen(
  opts: ListenOptions,
  handler: RequestHandler,
): Promise<Listener> {
  const onRequest = async (req: NodeReq, res: NodeRes) => {
    const out = writer(res);
    try {
      const body = await readBody(req);
      const headers = collectHeaders(req);
      const authority = String(
        req.headers[":authority"] ?? req.headers.host ?? "",
      );
      await handler({
        method: String(req.method),
        url: String(req.url),
        headers,
        body,
        httpVersion: req.httpVersion,
        authority,
      }, out);
    } catch (e) {
      if (!out.closed) {
        try {
          out.writeHead(500, { "content-type": "text/plain" });
        } catch { /* headers already sent */ }
        await out.end(
          `internal error: ${e instanceof Error ? e.message : String(e)}\n`,
        );
      }
    }
  };
  if (opts.tls && opts.onWebSocket) return listenFront(opts, opts.tls, opts.onWebSocket, handler);
  if (opts.tls && !opts.http1Only) return listenDenoServe(opts, opts.tls, handler);
  let server: http.Server | https.Server;
  if (!opts.tls) {
    server = http.createServer(onRequest);
  } else {
    server = https.createServer(
      { ...opts.tls, ALPNProtocols: ["http/1.1"] },
      onRequest,
    );
  }
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("secureConnection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.hostname, () => {
      server.off("error", reject);
      const addr = server.address() as AddressInfo;
      resolve({
        port: addr.port,
        hostname: opts.hostname,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/**
 * HTTPS through the TLS front (tls_front.ts): WebSocket upgrades to `onWebSocket`, everything
 * else to Deno.serve listening in plain text on loopback.
 */
function listenFront(
  opts: ListenOptions,
  tls: { cert: string; key: string },
  onWebSocket: NonNullable<ListenOptions["onWebSocket"]>,
  handler: RequestHandler,
): Promise<Listener> {
  const backend = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
    onError: (e) =>
      new Response(`internal error: ${e instanceof Error ? e.message : e}\n`, { status: 500 }),
  }, serveWith(handler));
  let front;
  try {
    front = startFront({
      hostname: opts.hostname,
      port: opts.port,
      cert: tls.cert,
      key: tls.key,
      http1Only: opts.http1Only,
      backend: { hostname: "127.0.0.1", port: backend.addr.port },
      onWebSocket,
    });
  } catch (e) {
    return backend.shutdown().then(() => Promise.reject(e));
  }
  return Promise.resolve({
    port: front.port,
    hostname: opts.hostname,
    async close() {
      front.close();
      await backend.shutdown();
    },
  });
}

/** HTTPS with ALPN h2 and http/1.1 on Deno.serve; the handler streams through a writer. */
function listenDenoServe(
  opts: ListenOptions,
  tls: { cert: string; key: string },
  handler: RequestHandler,
): Promise<Listener> {
  return new Promise((resolve, reject) => {
    try {
      const server = Deno.serve({
        hostname: opts.hostname,
        port: opts.port,
        cert: tls.cert,
        key: tls.key,
        onListen: ({ port }) =>
          resolve({
            port,
            hostname: opts.hostname,
            close: () => server.shutdown(),
          }),
        onError: (e) =>
          new Response(`internal error: ${e instanceof Error ? e.message : e}\n`, { status: 500 }),
      }, serveWith(handler));
    } catch (e) {
      reject(e);
    }
  });
}

/** A Deno.serve handler that runs `handler` with a streaming writer. */
function serveWith(handler: RequestHandler): (request: Request) => Promise<Response> {
  const enc = new TextEncoder();
  const serve = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    request.headers.forEach((v, k) => headers[k.toLowerCase()] = v);
    const body = new Uint8Array(await request.arrayBuffer());
    let respond!: (r: Response) => void;
    const response = new Promise<Response>((r) => respond = r);
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    let closed = false;
    let headed = false;
    // cancel: the client went away before the end
    const stream = new ReadableStream<Uint8Array>({
      start: (c) => void (controller = c),
      cancel: () => void (closed = true),
    });
    const put = (chunk: string | Uint8Array) => {
      if (closed) return;
      try {
        controller.enqueue(typeof chunk === "string" ? enc.encode(chunk) : chunk);
      } catch {
        closed = true;
      }
    };
    const writer: ResponseWriter = {
      get closed() {
        return closed;
      },
      writeHead(status, hs) {
        headed = true;
        respond(new Response(stream, { status, headers: hs }));
      },
      write(chunk) {
        put(chunk);
        return Promise.resolve();
      },
      async abort() {
        if (!headed) writer.writeHead(200, {});
        // erroring the stream drops what is queued: let the server take it all first, and
        // send it (a chunk taken is written before the next is asked for)
        while (!closed && (controller.desiredSize ?? 1) < 1) {
          await new Promise((r) => setTimeout(r, 5));
        }
        await new Promise((r) => setTimeout(r, 50));
        if (closed) return;
        closed = true;
        try {
          controller.error(new Error("the scripted answer breaks off here"));
        } catch { /* cancelled by the client */ }
      },
      end(chunk) {
        if (chunk !== undefined && chunk.length > 0) put(chunk);
        if (!headed) writer.writeHead(200, {});
        if (!closed) {
          closed = true;
          try {
            controller.close();
          } catch { /* cancelled by the client */ }
        }
        return Promise.resolve();
      },
    };
    const hasHost = request.headers.has("host");
    handler({
      method: request.method,
      url: url.pathname + url.search,
      headers,
      body,
      httpVersion: hasHost ? "1.1" : "2.0",
      authority: hasHost ? request.headers.get("host")! : url.host,
    }, writer).catch(async (e) => {
      if (!headed) {
        writer.writeHead(500, { "content-type": "text/plain" });
      }
      await writer.end(`internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    });
    return await response;
  };
  return serve;
}
