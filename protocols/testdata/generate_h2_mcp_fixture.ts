/**
 * Regenerates `mcp_http/streamable_h2.json`: MCP over HTTPS on HTTP/2, real bytes both ways.
 * The real MCP SDK client (`StreamableHTTPClientTransport`, run by Deno, whose fetch is
 * reqwest/hyper and negotiates h2 by ALPN as Codex's rmcp client does; with an Authorization
 * header) calls `initialize`, `tools/list` and the `echo` tool of the real
 * `@modelcontextprotocol/server-everything` (lab/mcp_servers, `streamableHttp` mode), behind a
 * TLS front: the front terminates TLS (ALPN `h2`) and records the plaintext of each direction,
 * which it relays to an h2c gateway (node:http2) that passes each stream on to the server over
 * HTTP/1.1 and its answer back, streamed (event streams as they come). So the client's h2
 * bytes are hyper's, the server's node:http2's, the bodies the SDK's and the server's.
 *
 * Writes a list of connections, each `{ client, server }` as base64 (the HTTP/1 fixtures'
 * format), in the order they were opened.
 *
 *   deno run -A protocols/testdata/generate_h2_mcp_fixture.ts --update
 */
import { filePath } from "../../kit/file_path.ts";
import * as http2 from "node:http2";
import { concatBytes } from "../../kit/bytes.ts";
import { throwawayCerts } from "../../kit/openssl.ts";
import { type Connection, requireUpdate, sleep } from "./record_relay.ts";
import { writeMcpHttpFixture } from "./mcp_http_fixture.ts";
import { CLIENT_SESSION, LAB, SERVERS, startServerEverything } from "./server_everything.ts";

const OUT = new URL("./mcp_http/streamable_h2.json", import.meta.url);

const CLIENT_MJS = `
const sdk = Deno.args[0];
const { Client } = await import(sdk + "/sdk/dist/esm/client/index.js");
const { StreamableHTTPClientTransport } = await import(sdk + "/sdk/dist/esm/client/streamableHttp.js");
const headers = { Authorization: "Bearer FIXTURE-SECRET-TOKEN" };
const t = new StreamableHTTPClientTransport(new URL(Deno.args[1]), { requestInit: { headers } });
` + CLIENT_SESSION;

/** node:http2 (h2c) to HTTP/1.1: each stream passed on to `target`, its answer streamed back. */
function gateway(target: number): http2.Http2Server {
  const hop = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "host"]);
  return http2.createServer((req, res) => {
    const abort = new AbortController();
    res.on("close", () => abort.abort());
    const chunks: Uint8Array[] = [];
    req.on("data", (b: Uint8Array) => chunks.push(new Uint8Array(b)));
    req.on("end", async () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) {
        if (!k.startsWith(":") && typeof v === "string") headers.set(k, v);
      }
      try {
        const r = await fetch(`http://127.0.0.1:${target}${req.url}`, {
          method: req.method,
          headers,
          body: chunks.length ? concatBytes(chunks) as Uint8Array<ArrayBuffer> : undefined,
          signal: abort.signal,
        });
        r.headers.forEach((v, k) => hop.has(k) || res.setHeader(k, v));
        res.writeHead(r.status);
        if (r.body) { for await (const b of r.body) res.write(b); }
        res.end();
      } catch {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      }
    });
  });
}

/** TLS (ALPN h2) in front of `target`: each connection's plaintext, both ways, recorded. */
function tlsFront(target: number, cert: string, key: string) {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert,
    key,
    alpnProtocols: ["h2"],
  });
  const conns: Connection[] = [];
  const pumps: Promise<unknown>[] = [];
  const pump = async (from: Deno.Conn, to: Deno.Conn, into: Uint8Array[]) => {
    try {
      for await (const b of from.readable) {
        into.push(new Uint8Array(b));
        const w = to.writable.getWriter();
        await w.write(b);
        w.releaseLock();
      }
    } catch { /* the other side went away */ }
    await to.closeWrite().catch(() => {/* closed already */});
  };
  (async () => {
    for await (const down of listener) {
      const c: Connection = { client: [], server: [] };
      conns.push(c);
      const up = await Deno.connect({ hostname: "127.0.0.1", port: target });
      pumps.push(pump(down, up, c.client), pump(up, down, c.server));
    }
  })().catch(() => {});
  const port = (listener.addr as Deno.NetAddr).port;
  return {
    port,
    conns,
    async close() {
      listener.close();
      await Promise.race([Promise.allSettled(pumps), sleep(1000)]);
    },
  };
}

async function record(): Promise<Connection[]> {
  const certs = await throwawayCerts({
    prefix: "sl-h2mcp-",
    key: "ec",
    caName: "Sightline Fixture CA",
    serverName: "localhost",
    days: 1,
    base: "server",
  });
  const server = await startServerEverything("streamableHttp");
  const gw = gateway(server.port);
  await new Promise<void>((r) => gw.listen(0, "127.0.0.1", r));
  const front = tlsFront((gw.address() as { port: number }).port, certs.cert, certs.key);
  const script = await Deno.makeTempFile({ suffix: ".mjs" });
  await Deno.writeTextFile(script, CLIENT_MJS);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--node-modules-dir=manual",
      "--cert",
      certs.caPath,
      script,
      SERVERS,
      `https://localhost:${front.port}/mcp`,
    ],
    cwd: LAB,
  }).output();
  const dec = new TextDecoder();
  console.log(dec.decode(out.stdout).trim(), out.success ? "" : dec.decode(out.stderr));
  await sleep(300);
  await front.close();
  gw.close();
  await server.stop();
  await Deno.remove(script);
  if (!out.success) throw new Error("the client failed");
  return front.conns;
}

requireUpdate();
const conns = await record();
writeMcpHttpFixture(OUT, conns);
console.log(
  `wrote ${filePath(OUT)}: ${conns.length} connection(s), ` +
    conns.map((c) => `${concatBytes(c.client).length}/${concatBytes(c.server).length} bytes`)
      .join(", "),
);
Deno.exit(0);
