/**
 * A local HTTPS endpoint for checking located hooks against a real agent: a throw-away CA and
 * a 127.0.0.1 server certificate made with the `openssl` CLI, and an HTTP/1.1 server (node's
 * https, so no ALPN h2 and the plaintext is readable request text) that records each request
 * and answers with a minimal API error, which makes the agent give up after one request.
 */

import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";

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

async function openssl(dir: string, args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

export async function startTlsFixture(): Promise<TlsFixture> {
  const dir = await Deno.makeTempDir({ prefix: "sl-locate-tls-" });
  await openssl(dir, [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "1",
    "-subj",
    "/CN=sightline locate test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign",
  ]); // deno-fmt-ignore
  await openssl(dir, [
    "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out", "srv.csr",
    "-subj", "/CN=127.0.0.1",
  ]); // deno-fmt-ignore
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n" +
      "extendedKeyUsage=serverAuth\n",
  );
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    "srv.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "srv.pem",
    "-days",
    "1",
    "-extfile",
    "ext.cnf",
  ]); // deno-fmt-ignore
  const requests: SeenRequest[] = [];
  const server: Server = createServer({
    key: await Deno.readTextFile(`${dir}/srv.key`),
    cert: await Deno.readTextFile(`${dir}/srv.pem`),
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
    caPath: `${dir}/ca.pem`,
    requests,
    close: async () => {
      server.closeAllConnections?.();
      await new Promise<void>((ok) => server.close(() => ok()));
      await Deno.remove(dir, { recursive: true });
    },
  };
}
