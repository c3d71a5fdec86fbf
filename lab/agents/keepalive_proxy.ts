/**
 * A forward HTTP proxy that keeps its clients' connections alive, for runs that need one
 * connection to carry requests for several hosts (`curl -x PROXY http://a.test/ http://b.test/`
 * asks for both on one connection when the proxy allows it). Debian's tinyproxy
 * (`http_proxy.ts`) answers in HTTP/1.0 and closes after each request, so it cannot show that.
 * Built on `node:http`: a request in absolute form (`GET http://a.test:8080/x`) is sent on to
 * its host (resolved from `hosts`, else by name) and answered on the client's connection, which
 * stays open; a CONNECT is a tunnel to its authority. It counts the client connections it
 * accepted and logs each request's method and target, so a test can tell how a client used it.
 * Given `tls` (a certificate and key) it is an HTTPS proxy (`curl -x https://…`,
 * `HTTPS_PROXY=https://…`): its clients speak TLS to it, and ask it the same inside.
 */
import { createServer, request as httpRequest } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { connect as tcpConnect, type Socket } from "node:net";

export interface KeepAliveProxy {
  /** `http://127.0.0.1:PORT`, or `https://` with `tls` */
  url: string;
  port: number;
  /** client connections accepted so far */
  connections(): number;
  /** `METHOD TARGET` of each request, in order */
  log: string[];
  close(): Promise<void>;
}

/**
 * Starts the proxy on 127.0.0.1 (a free port); `hosts` maps names to the addresses it uses;
 * `tls`, the PEM certificate and key it answers TLS with (an HTTPS proxy).
 */
export async function startKeepAliveProxy(
  hosts: Record<string, string> = {},
  tls?: { cert: string; key: string },
): Promise<KeepAliveProxy> {
  const log: string[] = [];
  let accepted = 0;
  const sockets = new Set<Socket>();
  const handle: Parameters<typeof createServer>[1] = (req, res) => {
    log.push(`${req.method} ${req.url}`);
    let url: URL;
    try {
      url = new URL(req.url ?? "");
    } catch {
      res.writeHead(400).end("absolute-form request-target expected\n");
      return;
    }
    const headers: Record<string, string | string[] | undefined> = {
      ...req.headers,
      host: url.host,
    };
    delete headers["proxy-connection"];
    delete headers.connection;
    const out = httpRequest({
      host: hosts[url.hostname] ?? url.hostname,
      port: Number(url.port || 80),
      method: req.method,
      path: `${url.pathname}${url.search}`,
      headers,
      agent: false,
    }, (up) => {
      // the upstream connection's own fields are not the client's (RFC 9110 7.6.1)
      const fields = { ...up.headers };
      delete fields.connection;
      delete fields["keep-alive"];
      res.writeHead(up.statusCode ?? 502, fields);
      up.pipe(res);
    });
    out.on("error", (e) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(`proxy: ${e.message}\n`);
    });
    req.pipe(out);
  };
  const server = tls
    ? createTlsServer({ keepAlive: true, ...tls }, handle)
    : createServer({ keepAlive: true }, handle);
  // a TLS server's clients are counted once their handshake is done (a TCP connection that
  // never got there asked nothing)
  server.on(tls ? "secureConnection" : "connection", (s: Socket) => {
    accepted++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("connect", (req, client: Socket, head: Buffer) => {
    log.push(`CONNECT ${req.url}`);
    const m = /^(.+):(\d+)$/.exec(req.url ?? "");
    if (!m) {
      client.end("HTTP/1.1 400 Bad Request\r\n\r\n");
      return;
    }
    const up = tcpConnect(Number(m[2]), hosts[m[1]] ?? m[1], () => {
      client.write("HTTP/1.1 200 Connection established\r\n\r\n");
      if (head.length) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    up.on("error", () => client.destroy());
    client.on("error", () => up.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    port,
    connections: () => accepted,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
