/**
 * The real agents under capture against the scripted model server: every LLM request body
 * the server received and every response body it sent is in tls.arrow, byte for byte —
 * Claude Code (Bun, BoringSSL found in the stripped binary, HTTP/1.1), Codex (rustls over
 * aws-lc AEAD, HTTP/2, and HTTP/1.1 when the server only offers that, and its default
 * transport, Responses over a compressed WebSocket) and Gemini CLI (node's OpenSSL, HTTP/1.1).
 */
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { runAgent } from "../agents/mod.ts";
import { underCapture } from "../agents/main.ts";
import type { AgentName } from "../agents/agent_profile.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { httpMessages, type Message } from "../../tests/support/http_messages.ts";
import { readRecording, type Recording, tlsStreams } from "../../recording/recording.ts";
import {
  createHttp1RequestParser,
  createHttp1ResponseParser,
  createWebSocketParser,
  type Http1Head,
  websocketAgreement,
  type WebSocketMessage,
} from "../../protocols/mod.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const SCENARIO = `${ROOT}lab/scenarios/tool_marker.json`;
const dec = new TextDecoder();

async function captureAgent(agent: AgentName, http1 = false, websocket = false) {
  const out = `${await Deno.makeTempDir({ prefix: `sl-${agent}-` })}/rec`;
  const result = await runAgent({
    agent,
    scenario: SCENARIO,
    http1,
    // Codex: HTTP unless the WebSocket is what is tested
    transport: agent === "codex" ? (websocket ? "websocket" : "http") : undefined,
    wrap: underCapture(out),
  });
  return { result, rec: readRecording(out) };
}

/** All LLM exchanges the recording holds, in request order. */
function recordedExchanges(rec: Recording) {
  const reqs: Message[] = [];
  const resps: Message[] = [];
  const protocols = new Set<string>();
  const streams = tlsStreams(rec.tls).sort((a, b) => {
    const first = (s: typeof a) =>
      rec.tls.find((r) => r.conn_id === s.connId && r.pid === s.pid)?.ts_ns ?? 0n;
    return Number(first(a) - first(b));
  });
  for (const s of streams) {
    const m = httpMessages(s);
    assert.deepEqual(m.errors, [], "the recorded streams parse cleanly");
    protocols.add(m.protocol);
    reqs.push(...m.requests.filter((r) => r.method === "POST"));
    resps.push(...m.responses.filter((_, i) => m.requests[i]?.method === "POST"));
  }
  return { reqs, resps, protocols };
}

async function checkAgent(agent: AgentName, http1: boolean, wantProtocol: string) {
  const { result, rec } = await captureAgent(agent, http1);
  assert.equal(result.exitCode, 0, result.stderr.slice(-2000));
  const served = result.requests.filter((r) => r.method === "POST");
  assert.ok(served.length >= 2, "the tool scenario takes at least two LLM calls");
  const { reqs, resps, protocols } = recordedExchanges(rec);
  assert.deepEqual([...protocols], [wantProtocol]);
  assert.equal(reqs.length, served.length, "every request the server got was recorded");
  const prompt = JSON.parse(await Deno.readTextFile(SCENARIO)).prompt as string;
  // Requests on several connections interleave in time: match each one the server got to
  // the recorded request with the same body, and its response to the recorded response.
  const sent = result.transcript.exchanges.filter((e) => e.method === "POST");
  assert.equal(sent.length, served.length);
  assert.equal(resps.length, sent.length);
  const unmatched = new Set(reqs.keys());
  for (let i = 0; i < served.length; i++) {
    const j = [...unmatched].find((k) => {
      try {
        return isDeepStrictEqual(JSON.parse(dec.decode(reqs[k].body)), served[i].body);
      } catch {
        return false;
      }
    });
    assert.ok(j !== undefined, `request ${i} (${served[i].path}) is in the recording`);
    unmatched.delete(j);
    const body = dec.decode(reqs[j].body);
    assert.equal(reqs[j].body.length, served[i].bodySize, `request ${i}: whole body`);
    assert.equal(reqs[j].path?.split("?")[0], served[i].path.split("?")[0]);
    if (served[i].kind === "main") {
      assert.ok(body.includes(JSON.stringify(prompt).slice(1, -1)), "the prompt, byte for byte");
    }
    // its response: the transcript holds what the server sent for each request, in order
    assert.equal(resps[j].status, sent[i].status);
    assert.equal(dec.decode(resps[j].body), sent[i].body, `response ${i}: the whole stream`);
  }
  // the scripted tool call ran and its output went back to the model
  const last = served.filter((r) => r.kind === "main").at(-1)!;
  assert.ok(JSON.stringify(last.body).includes("token-"), "the tool result went back");
  assert.ok(
    reqs.some((r) => dec.decode(r.body).includes("token-")),
    "and the recording has it",
  );
  // nothing secret in the recording
  const all = rec.tls.map((r) => dec.decode(r.data)).join("");
  for (const k of ["sk-sightline", "Bearer sk", "test-gemini-key"]) assert.ok(!all.includes(k));
  return rec;
}

Deno.test({
  name: "Claude Code under capture: LLM requests and SSE responses byte for byte",
  ignore: skipWithoutRoot(),
  async fn() {
    const rec = await checkAgent("claude", false, "http/1.1");
    const hooked = (rec.manifest.attach as { hooked: { library?: string; path: string }[] })
      .hooked;
    assert.ok(hooked.some((h) => h.library === "boringssl" && h.path.includes("claude")));
    assert.ok(rec.tls.every((r) => r.fn === "SSL_write" || r.fn === "SSL_read"));
  },
});

Deno.test({
  name: "Codex under capture over HTTP/2: both directions byte for byte",
  ignore: skipWithoutRoot(),
  async fn() {
    const rec = await checkAgent("codex", false, "h2");
    assert.ok(rec.tls.some((r) => r.fn === "EVP_AEAD_CTX_seal"));
    assert.ok(rec.tls.some((r) => r.fn === "EVP_AEAD_CTX_open" && r.ctx_id !== r.conn_id));
  },
});

Deno.test({
  name: "Codex under capture over HTTP/1.1 (server offers no h2): byte for byte",
  ignore: skipWithoutRoot(),
  async fn() {
    await checkAgent("codex", true, "http/1.1");
  },
});

Deno.test({
  name: "Gemini CLI under capture: TLS rows hold the exact request bodies the server logged",
  ignore: skipWithoutRoot(),
  async fn() {
    await checkAgent("gemini", false, "http/1.1");
  },
});

/** The two directions of one recorded WebSocket connection: its handshake and messages. */
function recordedWebSocket(rec: Recording) {
  const streams = tlsStreams(rec.tls);
  assert.equal(streams.length, 1, "one connection: the WebSocket");
  const s = streams[0];
  assert.equal(s.gaps, 0);
  const write = s.write;
  const read = s.read;
  let req: Http1Head | null = null;
  let resp: Http1Head | null = null;
  const tunnel = { client: [] as Uint8Array[], server: [] as Uint8Array[] };
  const q = createHttp1RequestParser({
    onHead: (h) => (req = h),
    onTunnelData: (d) => tunnel.client.push(d.slice()),
  });
  const r = createHttp1ResponseParser({
    onHead: (h) => (resp = h),
    onTunnelData: (d) => tunnel.server.push(d.slice()),
  });
  q.feed(write);
  r.expectResponseTo("GET");
  r.feed(read);
  const qh = req as Http1Head | null;
  const rh = resp as Http1Head | null;
  assert.ok(qh && rh);
  const agreement = websocketAgreement(qh.lookup, rh.status, rh.lookup);
  assert.deepEqual(agreement.problems, []);
  const d = agreement.deflate!;
  const messages = (dir: "client" | "server") => {
    const out: WebSocketMessage[] = [];
    const p = createWebSocketParser({
      onMessage: (m) => out.push(m),
      onError: (e) => assert.fail(`${dir}: ${e.message}`),
    }, {
      sender: dir,
      deflate: dir === "client"
        ? { windowBits: d.clientMaxWindowBits, noContextTakeover: d.clientNoContextTakeover }
        : { windowBits: d.serverMaxWindowBits, noContextTakeover: d.serverNoContextTakeover },
    });
    for (const b of tunnel[dir]) p.feed(b);
    p.end();
    return out.filter((m) => m.kind === "text").map((m) => dec.decode(m.data));
  };
  return { request: qh, response: rh, client: messages("client"), server: messages("server") };
}

Deno.test({
  name: "Codex under capture over a compressed WebSocket: every message, decoded, as sent",
  ignore: skipWithoutRoot(),
  async fn() {
    const { result, rec } = await captureAgent("codex", false, true);
    assert.equal(result.exitCode, 0, result.stderr.slice(-2000));
    const ws = recordedWebSocket(rec);
    assert.equal(ws.request.target, "/v1/responses");
    assert.equal(ws.response.status, 101);
    assert.equal(ws.response.lookup["sec-websocket-extensions"]?.[0], "permessage-deflate");
    // what the server sent: each turn's events, in order, one message each
    const events = result.transcript.exchanges.flatMap((e) =>
      e.body!.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6))
    );
    assert.equal(ws.server.length, events.length);
    assert.deepEqual(ws.server, events, "every event, byte for byte after inflating");
    // what Codex sent: one response.create per request the server logged
    const creates = ws.client.map((t) => JSON.parse(t));
    assert.equal(creates.length, result.requests.length);
    assert.ok(creates.every((c) => c.type === "response.create"));
    assert.equal(creates[0].generate, false, "a warm-up first");
    const prompt = JSON.parse(await Deno.readTextFile(SCENARIO)).prompt as string;
    assert.ok(ws.client[1].includes(JSON.stringify(prompt).slice(1, -1)), "the prompt");
    assert.ok(ws.client.at(-1)!.includes("token-"), "the tool result went back");
    // the upgrade's Authorization is masked in the recording
    const all = rec.tls.map((r) => dec.decode(r.data)).join("");
    for (const k of ["sk-sightline", "Bearer sk"]) assert.ok(!all.includes(k));
    assert.match(ws.request.lookup["authorization"]![0], /^\*+$/);
  },
});
