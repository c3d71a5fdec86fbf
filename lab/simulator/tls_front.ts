/**
 * The model server's TLS front: one HTTPS port that serves plain HTTP requests and WebSocket
 * upgrades alike, as a real API endpoint does (`wss://host/v1/responses` and
 * `https://host/v1/responses` share a port).
 *
 * Deno.serve cannot hand over an upgraded connection's raw bytes (it only speaks WebSocket
 * itself, without permessage-deflate), so the front terminates TLS (ALPN h2 and http/1.1, or
 * http/1.1 only) and looks at each connection: one that negotiated h2, or whose first request
 * is not a WebSocket upgrade, is piped to the HTTP server listening in plain text on loopback
 * (HTTP/1.1, or HTTP/2 with prior knowledge); a WebSocket upgrade is handed to `onWebSocket`
 * with the request head and whatever bytes followed it.
 */

import { createHttp1RequestParser, type Http1Head } from "../../protocols/mod.ts";
import { concatBytes } from "../../kit/bytes.ts";
import { closeAll } from "../../kit/close.ts";

export interface UpgradeRequest {
  method: string;
  /** path and query */
  url: string;
  /** header names in lower case (repeated fields joined with ", ") */
  headers: Record<string, string>;
  /** the head as parsed (wire order) */
  head: Http1Head;
}

export interface FrontOptions {
  hostname: string;
  port: number;
  cert: string;
  key: string;
  /** offer only http/1.1 in ALPN */
  http1Only?: boolean;
  /** the plain-text HTTP server the other connections go to */
  backend: { hostname: string; port: number };
  /** A WebSocket upgrade request: the connection is the handler's from here on. */
  onWebSocket(conn: Deno.Conn, request: UpgradeRequest, rest: Uint8Array): Promise<void>;
}

export interface Front {
  port: number;
  close(): void;
}

/** Largest request head the front reads before deciding (bytes). */
const MAX_HEAD = 256 * 1024;

async function pipe(client: Deno.Conn, first: Uint8Array, backend: FrontOptions["backend"]) {
  let server: Deno.Conn;
  try {
    server = await Deno.connect({ hostname: backend.hostname, port: backend.port });
  } catch {
    client.close();
    return;
  }
  const closeBoth = () => closeAll([client, server]);
  const w = server.writable.getWriter();
  try {
    if (first.length) await w.write(first);
  } catch {
    closeBoth();
    return;
  } finally {
    w.releaseLock();
  }
  await Promise.allSettled([
    client.readable.pipeTo(server.writable),
    server.readable.pipeTo(client.writable),
  ]);
  closeBoth();
}

/** Reads the first request head of an HTTP/1.1 connection; null if it never completes. */
async function readHead(
  conn: Deno.Conn,
): Promise<{ head: Http1Head | null; bytes: Uint8Array; headEnd: number }> {
  const parts: Uint8Array[] = [];
  let head: Http1Head | null = null;
  let failed = false;
  const p = createHttp1RequestParser({
    onHead: (h) => (head ??= h),
    onError: () => (failed = true),
  }, { maxBufferSize: MAX_HEAD });
  let total = 0;
  const buf = new Uint8Array(64 * 1024);
  while (!head && !failed && total <= MAX_HEAD) {
    let n: number | null;
    try {
      n = await conn.read(buf);
    } catch {
      n = null;
    }
    if (n === null) break;
    const chunk = buf.slice(0, n);
    parts.push(chunk);
    total += n;
    p.feed(chunk);
  }
  const bytes = concatBytes(parts);
  const h = head as Http1Head | null;
  return { head: h, bytes, headEnd: h ? h.bodyOffset : bytes.length };
}

export function startFront(opts: FrontOptions): Front {
  const listener = Deno.listenTls({
    hostname: opts.hostname,
    port: opts.port,
    cert: opts.cert,
    key: opts.key,
    alpnProtocols: opts.http1Only ? ["http/1.1"] : ["h2", "http/1.1"],
  });
  const conns = new Set<Deno.Conn>();
  const serve = async (conn: Deno.TlsConn) => {
    conns.add(conn);
    try {
      const { alpnProtocol } = await conn.handshake();
      if (alpnProtocol === "h2") return await pipe(conn, new Uint8Array(0), opts.backend);
      const { head, bytes, headEnd } = await readHead(conn);
      const upgrade = head?.lookup["upgrade"]?.some((v) => /\bwebsocket\b/i.test(v));
      if (head && head.method === "GET" && upgrade) {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(head.lookup)) headers[k] = v.join(", ");
        return await opts.onWebSocket(conn, {
          method: head.method,
          url: head.target ?? "/",
          headers,
          head,
        }, bytes.subarray(headEnd));
      }
      await pipe(conn, bytes, opts.backend);
    } catch {
      // a client that went away during the handshake or the head
    } finally {
      conns.delete(conn);
      closeAll([conn]);
    }
  };
  (async () => {
    for await (const conn of listener) serve(conn);
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    close() {
      closeAll([listener, ...conns]);
    },
  };
}
