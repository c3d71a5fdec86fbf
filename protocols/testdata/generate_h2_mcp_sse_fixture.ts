/**
 * Regenerates the HTTP/2 fixture `captures/h2_mcp_sse/` by running a real HTTP/2
 * implementation (`node:http2` client and server, cleartext h2c on 127.0.0.1) through a TCP
 * relay that records the raw bytes in each direction.
 *
 * Traffic: MCP's older HTTP+SSE transport over HTTP/2, where the session travels in a URL
 * parameter. The client GETs `/sse`; the server's first event, `endpoint`, names
 * `/messages?sessionId=<uuid>`, written in two pieces split inside the session (two DATA
 * frames, padded: the server uses node's maximum padding strategy); the client POSTs two
 * JSON-RPC requests to that URL (the second `:path` is the same, so the HPACK encoder may index
 * it); the server answers each with 202 and the JSON-RPC response on the SSE stream.
 *
 * Writes files only when run with `--update`:
 *   deno run -A protocols/testdata/generate_h2_mcp_sse_fixture.ts --update
 */

import * as http2 from "node:http2";
import { closeSession, endRecording, generateFixture, relayTo, sleep } from "./record_relay.ts";

const OUT = new URL("./captures/h2_mcp_sse/", import.meta.url);

export const SESSION_ID = "7f3c9a2e-41b8-4d6f-9e05-c2a81b64d0f7";
const ENDPOINT = `/messages?sessionId=${SESSION_ID}`;
const REQUESTS = [
  { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2024-11-05" } },
  { jsonrpc: "2.0", id: 1, method: "tools/list" },
];

async function record() {
  const server = http2.createServer({
    paddingStrategy: http2.constants.PADDING_STRATEGY_MAX,
  });
  let sse: http2.ServerHttp2Stream | undefined;
  server.on("stream", async (stream: http2.ServerHttp2Stream, headers) => {
    const path = String(headers[":path"]);
    stream.on("error", () => {});
    if (path === "/sse") {
      sse = stream;
      stream.respond({ ":status": 200, "content-type": "text/event-stream" });
      const event = `event: endpoint\ndata: ${ENDPOINT}\n\n`;
      const cut = event.indexOf(SESSION_ID) + 13; // inside the session id
      stream.write(event.slice(0, cut));
      await sleep(20);
      stream.write(event.slice(cut));
    } else if (path === ENDPOINT) {
      let body = "";
      for await (const c of stream) body += new TextDecoder().decode(c as Uint8Array);
      const req = JSON.parse(body);
      stream.respond({ ":status": 202 });
      stream.end("Accepted");
      const result = req.method === "initialize"
        ? { protocolVersion: "2024-11-05", capabilities: { tools: {} } }
        : { tools: [{ name: "echo", inputSchema: { type: "object" } }] };
      await sleep(10);
      sse?.write(
        `event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", id: req.id, result })}\n\n`,
      );
    } else {
      stream.respond({ ":status": 404 });
      stream.end();
    }
  });
  const relay = await relayTo(server);
  const session = http2.connect(`http://127.0.0.1:${relay.port}`);

  const events = session.request({ ":path": "/sse", "accept": "text/event-stream" });
  let text = "";
  const seen = (s: string) =>
    new Promise<void>((resolve) => {
      const check = () => text.includes(s) && (events.off("data", on), resolve());
      const on = (c: Uint8Array) => {
        text += new TextDecoder().decode(c);
        check();
      };
      events.on("data", on);
      check();
    });
  await seen(`${ENDPOINT}\n\n`);
  for (const req of REQUESTS) {
    const post = session.request({
      ":method": "POST",
      ":path": ENDPOINT,
      "content-type": "application/json",
    });
    post.end(JSON.stringify(req));
    await new Promise<void>((resolve, reject) => {
      post.on("data", () => {});
      post.on("end", resolve);
      post.on("error", reject);
    });
    await seen(`"id":${req.id},`);
  }
  events.close(http2.constants.NGHTTP2_CANCEL);
  return endRecording(relay, server, () => closeSession(session));
}

if (import.meta.main) {
  await generateFixture(OUT, record, (rec) => ({
    protocol: "http2",
    source:
      "generate_h2_mcp_sse_fixture.ts: node:http2 client and server through a recording relay",
    // Arrival order of the recorded reads: c<n> = n bytes client->server, s<n> = server->client.
    order: rec.order,
    sent: { sessionId: SESSION_ID, endpoint: ENDPOINT, requests: REQUESTS },
  }));
}
