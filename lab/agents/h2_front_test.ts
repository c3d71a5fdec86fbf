import assert from "node:assert/strict";
import http2 from "node:http2";
import { throwawayCerts } from "../../kit/openssl.ts";
import { startH2Front } from "./h2_front.ts";

/**
 * A backend that answers `POST /mcp` with its request's headers and body as JSON, and
 * `GET /events` with an event stream whose second event it writes only when told to.
 */
function backend() {
  let release = () => {};
  const released = new Promise<void>((r) => (release = r));
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const url = new URL(req.url);
      if (url.pathname === "/empty") return new Response(null, { status: 200 });
      if (url.pathname === "/events") {
        const enc = new TextEncoder();
        const body = new ReadableStream<Uint8Array>({
          async start(c) {
            c.enqueue(enc.encode("event: message\ndata: one\n\n"));
            await released;
            c.enqueue(enc.encode("event: message\ndata: two\n\n"));
            c.close();
          },
        });
        return new Response(body, {
          headers: { "content-type": "text/event-stream" },
        });
      }
      return Response.json({
        method: req.method,
        path: url.pathname + url.search,
        headers: Object.fromEntries(req.headers),
        body: await req.text(),
      }, { headers: { "mcp-session-id": "s-1" } });
    },
  );
  return { server, port: server.addr.port, release };
}

async function setup() {
  const certs = await throwawayCerts({
    prefix: "sl-h2front-",
    key: "ec",
    caName: "sl test CA",
    serverName: "localhost",
    days: 1,
    base: "server",
  });
  const b = backend();
  const front = await startH2Front({
    hostname: "127.0.0.1",
    port: 0,
    cert: certs.cert,
    key: certs.key,
    backend: { hostname: "127.0.0.1", port: b.port },
  });
  const ca = await Deno.readTextFile(certs.caPath);
  return {
    b,
    front,
    ca,
    async [Symbol.asyncDispose]() {
      await front.close();
      await b.server.shutdown();
      await Deno.remove(certs.dir, { recursive: true });
    },
  };
}

Deno.test("h2 front: an h2 client's request is forwarded with its headers and body", async () => {
  await using s = await setup();
  const client = http2.connect(`https://localhost:${s.front.port}`, {
    ca: s.ca,
  });
  try {
    const req = client.request({
      ":method": "POST",
      ":path": "/mcp?x=1",
      "authorization": "Bearer t",
      "content-type": "application/json",
    });
    req.end('{"jsonrpc":"2.0","id":1,"method":"ping"}');
    const head = await new Promise<http2.IncomingHttpHeaders>((r) => req.once("response", r));
    let text = "";
    req.setEncoding("utf8");
    for await (const chunk of req) text += chunk;
    assert.equal(head[":status"], 200);
    assert.equal(head["mcp-session-id"], "s-1");
    const got = JSON.parse(text);
    assert.equal(got.method, "POST");
    assert.equal(got.path, "/mcp?x=1");
    assert.equal(got.headers.authorization, "Bearer t");
    assert.equal(got.headers.host, `localhost:${s.front.port}`);
    assert.equal(got.body, '{"jsonrpc":"2.0","id":1,"method":"ping"}');
    assert.ok(!Object.keys(got.headers).some((k) => k.startsWith(":")));
    assert.deepEqual(s.front.protocols, ["h2"]);
  } finally {
    client.close();
  }
});

Deno.test("h2 front: an event stream reaches an h2 client event by event", async () => {
  await using s = await setup();
  const client = http2.connect(`https://localhost:${s.front.port}`, {
    ca: s.ca,
  });
  try {
    const req = client.request({ ":method": "GET", ":path": "/events" });
    req.end();
    req.setEncoding("utf8");
    const chunks: string[] = [];
    const first = new Promise<void>((r) =>
      req.on("data", (c: string) => {
        chunks.push(c);
        r();
      })
    );
    await first;
    // the first event arrived while the backend still holds the second
    assert.match(chunks.join(""), /data: one/);
    assert.doesNotMatch(chunks.join(""), /data: two/);
    s.b.release();
    await new Promise((r) => req.on("end", r));
    assert.match(chunks.join(""), /data: one\n\n.*data: two\n\n/s);
  } finally {
    client.close();
  }
});

Deno.test("h2 front: a client that offers only http/1.1 still gets HTTP/1.1", async () => {
  await using s = await setup();
  const client = Deno.createHttpClient({ caCerts: [s.ca], http2: false });
  try {
    const r = await fetch(`https://localhost:${s.front.port}/mcp`, {
      method: "POST",
      body: "{}",
      headers: { authorization: "Bearer u" },
      client,
    });
    const got = await r.json();
    assert.equal(got.headers.authorization, "Bearer u");
    assert.equal(got.body, "{}");
    assert.deepEqual(s.front.protocols, ["http/1.1"]);
  } finally {
    client.close();
  }
});

Deno.test("h2 front: an empty answer's HEADERS frame ends the stream", async () => {
  await using s = await setup();
  const client = http2.connect(`https://localhost:${s.front.port}`, {
    ca: s.ca,
  });
  try {
    const req = client.request({ ":method": "DELETE", ":path": "/empty" });
    const head = new Promise<[http2.IncomingHttpHeaders, number]>((r) =>
      req.once("response", (h, f) => r([h, f]))
    );
    const ended = new Promise((r) => req.once("end", r));
    req.end();
    req.resume();
    const [h, flags] = await head;
    await ended;
    assert.equal(h[":status"], 200);
    assert.equal(
      flags & http2.constants.NGHTTP2_FLAG_END_STREAM,
      1,
      `flags ${flags}`,
    );
  } finally {
    client.close();
  }
});
