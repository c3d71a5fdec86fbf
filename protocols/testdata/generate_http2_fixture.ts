/**
 * Regenerates the HTTP/2 fixture `captures/h2_node_interleaved/` by running a real HTTP/2
 * implementation (`node:http2` client and server, cleartext h2c on 127.0.0.1) through a TCP
 * relay that records the raw bytes in each direction.
 *
 * Traffic: four concurrent streams whose responses are interleaved — an SSE response
 * (Anthropic Messages style) to a POST carrying secret headers, a GET with a ~40 KB cookie
 * (forcing CONTINUATION frames) answered with a gzip body, a 40 KB upload answered with
 * trailers, and a request the client cancels (RST_STREAM).
 *
 * Writes files only when run with `--update`:
 *   deno run -A protocols/testdata/generate_http2_fixture.ts --update
 * After regenerating, refresh the golden output with
 *   deno test -A protocols/ -- --update
 */

import * as http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { closeSession, endRecording, generateFixture, relayTo, sleep } from "./record_relay.ts";

const OUT = new URL("./captures/h2_node_interleaved/", import.meta.url);

export const SECRET_TOKEN = "Bearer sk-ant-oat01-FIXTURESECRET0123456789";
export const SECRET_KEY = "sk-ant-api03-FIXTUREKEY-abcdefghijklmnop";
const BIG_COOKIE = "session=" + "c".repeat(40 * 1024);
const UPLOAD = new Uint8Array(40 * 1024).map((_, i) => (i * 31) % 251);
const MODELS_JSON = JSON.stringify({ data: [{ id: "claude-sonnet-4" }, { id: "claude-haiku" }] });
const SSE_EVENTS = [
  'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_h2"}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"Hi"}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":" there"}}\n\n',
  'event: message_stop\ndata: {"type":"message_stop"}\n\n',
];

async function record() {
  const server = http2.createServer({ settings: { maxHeaderListSize: 256 * 1024 } });
  server.on("stream", async (stream: http2.ServerHttp2Stream, headers) => {
    const path = headers[":path"];
    stream.on("error", () => {});
    if (path === "/v1/messages") {
      for await (const _ of stream) { /* drain the request body */ }
      stream.respond({ ":status": 200, "content-type": "text/event-stream" });
      for (const ev of SSE_EVENTS) {
        await sleep(15);
        stream.write(ev);
      }
      stream.end();
    } else if (path === "/v1/models") {
      await sleep(25);
      stream.respond({
        ":status": 200,
        "content-encoding": "gzip",
        "content-type": "application/json",
      });
      stream.end(gzipSync(MODELS_JSON));
    } else if (path === "/upload") {
      let n = 0;
      for await (const c of stream) n += (c as Uint8Array).length;
      stream.respond({ ":status": 200 }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "x-received": String(n) }));
      stream.end("ok");
    } else {
      stream.respond({ ":status": 200 });
      stream.write("partial");
      // Never ends: the client cancels.
    }
  });
  const relay = await relayTo(server);
  const session = http2.connect(`http://127.0.0.1:${relay.port}`);
  const collect = (req: http2.ClientHttp2Stream) =>
    new Promise<void>((resolve, reject) => {
      req.on("data", () => {});
      req.on("end", resolve);
      req.on("error", reject);
    });

  const a = session.request({
    ":method": "POST",
    ":path": "/v1/messages",
    "authorization": SECRET_TOKEN,
    "x-api-key": SECRET_KEY,
    "content-type": "application/json",
    "anthropic-version": "2023-06-01",
  });
  a.end(JSON.stringify({ model: "claude-sonnet-4", stream: true, max_tokens: 64 }));
  const b = session.request({ ":path": "/v1/models", "cookie": BIG_COOKIE });
  b.end();
  const c = session.request({ ":method": "POST", ":path": "/upload" });
  c.end(UPLOAD);
  const d = session.request({ ":path": "/slow" });
  d.end();
  const dDone = new Promise<void>((resolve) => {
    d.on("data", () => {
      d.close(http2.constants.NGHTTP2_CANCEL);
    });
    d.on("close", resolve);
    d.on("error", () => {});
  });
  await Promise.all([collect(a), collect(b), collect(c), dDone]);
  return endRecording(relay, server, () => closeSession(session));
}

if (import.meta.main) {
  await generateFixture(OUT, record, (rec) => ({
    protocol: "http2",
    source: "generate_http2_fixture.ts: node:http2 client and server through a recording relay",
    // Arrival order of the recorded reads: c<n> = n bytes client->server, s<n> = server->client.
    order: rec.order,
    sent: {
      secrets: [SECRET_TOKEN, SECRET_KEY],
      cookieLength: BIG_COOKIE.length,
      uploadLength: UPLOAD.length,
      modelsJson: MODELS_JSON,
      sse: SSE_EVENTS.join(""),
    },
  }));
}
