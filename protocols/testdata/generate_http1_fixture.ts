/**
 * Regenerates the HTTP/1.1 fixture `captures/h1_node_keepalive/` by running `node:http` client
 * and server over one keep-alive connection through a recording relay: a gzip JSON response,
 * a POST answered with a chunked SSE stream (Anthropic Messages style, written in pieces that
 * ignore event boundaries), and a HEAD request.
 *
 * Writes files only with `--update`:
 *   deno run -A protocols/testdata/generate_http1_fixture.ts --update
 * then refresh the golden output with `deno test -A protocols/ -- --update`.
 */

import * as http from "node:http";
import { gzipSync } from "node:zlib";
import { endRecording, generateFixture, relayTo, sleep } from "./record_relay.ts";

const OUT = new URL("./captures/h1_node_keepalive/", import.meta.url);
const MODELS_JSON = JSON.stringify({ data: [{ id: "claude-sonnet-4" }] });
const SSE = [
  'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_h1"}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"Hel"}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"lo"}}\n\n',
  'event: message_stop\ndata: {"type":"message_stop"}\n\n',
].join("");

async function record() {
  const server = http.createServer(async (req, res) => {
    for await (const _ of req) { /* drain */ }
    if (req.url === "/v1/models") {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.end(gzipSync(MODELS_JSON));
    } else if (req.url === "/v1/messages") {
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (let i = 0; i < SSE.length; i += 70) {
        res.write(SSE.slice(i, i + 70));
        await sleep(10);
      }
      res.end();
    } else {
      res.writeHead(200, { "content-type": "text/plain", "content-length": "2" });
      res.end(req.method === "HEAD" ? undefined : "ok");
    }
  });
  const relay = await relayTo(server);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const request = (method: string, path: string, body?: string) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request({
        host: "127.0.0.1",
        port: relay.port,
        method,
        path,
        agent,
        headers: body
          ? { "content-type": "application/json", "x-api-key": "sk-ant-api03-H1FIXTURE" }
          : {},
      }, (res) => {
        res.on("data", () => {});
        res.on("end", resolve);
      });
      req.on("error", reject);
      req.end(body);
    });
  await request("GET", "/v1/models");
  await request("POST", "/v1/messages", JSON.stringify({ model: "claude", stream: true }));
  await request("HEAD", "/health");
  return endRecording(relay, server, () => agent.destroy());
}

if (import.meta.main) {
  await generateFixture(OUT, record, (rec) => ({
    protocol: "http1",
    source: "generate_http1_fixture.ts: node:http client and server through a recording relay",
    order: rec.order,
    sent: { modelsJson: MODELS_JSON, sse: SSE },
  }));
}
