/**
 * A local HTTPS endpoint for checking located hooks against a real agent: a throw-away CA and
 * a 127.0.0.1 server certificate (RSA, kit/openssl.ts), and an HTTP/1.1 server (node's
 * https, so no ALPN h2 and the plaintext is readable request text) that records each request
 * and answers with a minimal API error, which makes the agent give up after one request.
 */

import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { throwawayCerts } from "../../kit/openssl.ts";

export interface SeenRequest {
  method: string;
  path: string;
  bodyLength: number;
}

export interface TlsFixture {
  port: number;
  url: string;
  /** PEM of the CA that signed the server certificate. */
  caPath: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export async function startTlsFixture(): Promise<TlsFixture> {
  const { dir, caPath, cert, key } = await throwawayCerts({
    prefix: "sl-locate-tls-",
    key: "rsa",
    caName: "sightline locate test CA",
    serverName: "127.0.0.1",
    days: 1,
    base: "srv",
  });
  const requests: SeenRequest[] = [];
  const server: Server = createServer({
    key,
    cert,
  }, (req: IncomingMessage, res: ServerResponse) => {
    let n = 0;
    req.on("data", (c: Uint8Array) => n += c.length);
    req.on("end", () => {
      const path = req.url ?? "";
      requests.push({ method: req.method ?? "", path, bodyLength: n });
      if (req.method === "HEAD" || req.method === "GET") {
        res.writeHead(200, { "content-type": "text/plain" }).end();
        return;
      }
      const body = path.startsWith("/v1/messages")
        ? { type: "error", error: { type: "invalid_request_error", message: "sltest" } }
        : { error: { message: "sltest", type: "invalid_request_error", code: null } };
      res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `https://127.0.0.1:${port}`,
    caPath,
    requests,
    close: async () => {
      server.closeAllConnections?.();
      await new Promise<void>((ok) => server.close(() => ok()));
      await Deno.remove(dir, { recursive: true });
    },
  };
}
