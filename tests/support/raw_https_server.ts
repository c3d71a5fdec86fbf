/**
 * A minimal HTTPS/1.1 server for capture tests that keeps the exact bytes of every request
 * it received and every response it sent, so a test can compare them with what a recording
 * recovered. Keep-alive and Content-Length bodies; the response is whatever `respond` gives.
 * `withHttpsServer` runs a test with one (the test certificates of certs.ts, made once per
 * test process) and closes it after; `masked` is a text as the capture records it.
 */
import { closeAll } from "../../kit/close.ts";
import { sharedTestCerts, type TestCerts } from "./certs.ts";
import { concatBytes } from "../../kit/bytes.ts";

export interface RawExchange {
  request: Uint8Array;
  response: Uint8Array;
  /** request head, parsed */
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface RawHttpsServer {
  port: number;
  url: string;
  exchanges: RawExchange[];
  close(): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function indexOfCrlfCrlf(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  }
  return -1;
}

/** The cookie every `simpleResponse` sets: a secret the capture masks. */
export const SESSION_COOKIE = "session=s3cr3t-cookie-value";

/** `text` as the capture records it: every one of `secrets` in it replaced by as many `*`. */
export function masked(text: string, ...secrets: string[]): string {
  for (const s of secrets) text = text.replaceAll(s, "*".repeat(s.length));
  return text;
}

/**
 * Runs `fn` with a raw HTTPS server answering with `respond` (its certificate from the shared
 * test certificates, whose CA `fn` is given to trust), and closes the server after.
 */
export async function withHttpsServer<T>(
  respond: Parameters<typeof startRawHttpsServer>[1],
  fn: (srv: RawHttpsServer, certs: TestCerts) => Promise<T>,
): Promise<T> {
  const certs = await sharedTestCerts();
  const srv = startRawHttpsServer(certs, respond);
  try {
    return await fn(srv, certs);
  } finally {
    await srv.close();
  }
}

/** A response with the given body and a Content-Length. */
export function simpleResponse(body: string | Uint8Array, contentType = "text/plain"): Uint8Array {
  const b = typeof body === "string" ? enc.encode(body) : body;
  const head =
    `HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\nContent-Length: ${b.length}\r\n` +
    `Set-Cookie: ${SESSION_COOKIE}\r\n\r\n`;
  return concatBytes([enc.encode(head), b]);
}

export function startRawHttpsServer(
  certs: TestCerts,
  respond: (req: Omit<RawExchange, "response" | "request">) => Uint8Array,
): RawHttpsServer {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: certs.cert,
    key: certs.key,
    alpnProtocols: ["http/1.1"],
  });
  const exchanges: RawExchange[] = [];
  const conns = new Set<Deno.TlsConn>();
  const serveConn = async (conn: Deno.TlsConn) => {
    conns.add(conn);
    let buf: Uint8Array = new Uint8Array(0);
    const chunk = new Uint8Array(1 << 16);
    try {
      for (;;) {
        let end = indexOfCrlfCrlf(buf);
        while (end < 0) {
          const n = await conn.read(chunk);
          if (n === null) return;
          buf = concatBytes([buf, chunk.subarray(0, n)]);
          end = indexOfCrlfCrlf(buf);
        }
        const head = dec.decode(buf.subarray(0, end));
        const [start, ...lines] = head.split("\r\n");
        const [method, path] = start.split(" ");
        const headers: Record<string, string> = {};
        for (const l of lines) {
          const i = l.indexOf(":");
          if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
        }
        const len = Number(headers["content-length"] ?? 0);
        while (buf.length < end + 4 + len) {
          const n = await conn.read(chunk);
          if (n === null) return;
          buf = concatBytes([buf, chunk.subarray(0, n)]);
        }
        const request = buf.slice(0, end + 4 + len);
        const body = request.slice(end + 4);
        buf = buf.slice(end + 4 + len);
        const response = respond({ method, path, headers, body });
        let off = 0;
        while (off < response.length) off += await conn.write(response.subarray(off));
        exchanges.push({ request, response, method, path, headers, body });
      }
    } catch {
      // the client went away
    } finally {
      conns.delete(conn);
      closeAll([conn]);
    }
  };
  const accepting = (async () => {
    try {
      for await (const c of listener) serveConn(c);
    } catch { /* closed */ }
  })();
  const port = (listener.addr as Deno.NetAddr).port;
  return {
    port,
    url: `https://127.0.0.1:${port}`,
    exchanges,
    async close() {
      listener.close();
      closeAll(conns);
      await accepting;
    },
  };
}
