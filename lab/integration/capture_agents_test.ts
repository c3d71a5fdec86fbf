/**
 * The real agents under capture against the scripted model server: every LLM request body
 * the server received and every response body it sent is in tls.arrow, byte for byte —
 * Claude Code (Bun, BoringSSL found in the stripped binary, HTTP/1.1), Codex (rustls over
 * aws-lc AEAD, HTTP/2, and HTTP/1.1 when the server only offers that, and its default
 * transport, Responses over a compressed WebSocket), Gemini CLI (node's OpenSSL, HTTP/1.1),
 * opencode (Bun 1.3) and Qwen Code (node, Chat Completions); and on the clouds: Claude Code on
 * Bedrock (AWS event-stream frames) and on Vertex AI, Codex on Azure OpenAI.
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import {
  captureAgent,
  checkAgent,
  recordedWebSocket,
  SCENARIO,
} from "../../tests/support/agent_capture.ts";

const dec = new TextDecoder();

Deno.test({
  name: "Claude Code under capture: LLM requests and SSE responses byte for byte",
  ignore: skipWithoutRoot(),
  async fn() {
    const { rec } = await checkAgent("claude", "http/1.1");
    const hooked = (rec.manifest.attach as { hooked: { library?: string; path: string }[] })
      .hooked;
    assert.ok(hooked.some((h) => h.library === "boringssl" && h.path.includes("claude")));
    assert.ok(rec.tls.every((r) => r.fn === "SSL_write" || r.fn === "SSL_read"));
  },
});

for (
  const [agent, provider, protocol, path] of [
    ["claude", "bedrock", "http/1.1", /^\/model\/[^/]+\/invoke-with-response-stream$/],
    ["claude", "vertex", "http/1.1", /publishers\/anthropic\/models\/[^/]+:streamRawPredict$/],
    ["codex", "azure", "h2", /^\/openai\/responses\?api-version=/],
  ] as const
) {
  Deno.test({
    name: `${agent} on ${provider} under capture: the cloud's requests and answers byte for byte`,
    ignore: skipWithoutRoot(),
    async fn() {
      const { result } = await checkAgent(agent, protocol, { provider });
      const calls = result.requests.filter((r) => r.method === "POST");
      assert.ok(calls.every((r) => path.test(r.path)), calls.map((r) => r.path).join(", "));
      if (provider === "bedrock") {
        // the frames are binary: the transcript keeps them in base64, checked byte for byte
        assert.ok(result.transcript.exchanges.some((e) => e.bodyBase64 !== undefined));
      }
    },
  });
}

Deno.test({
  name: "Codex under capture over HTTP/2: both directions byte for byte",
  ignore: skipWithoutRoot(),
  async fn() {
    const { rec } = await checkAgent("codex", "h2");
    assert.ok(rec.tls.some((r) => r.fn === "EVP_AEAD_CTX_seal"));
    assert.ok(rec.tls.some((r) => r.fn === "EVP_AEAD_CTX_open" && r.ctx_id !== r.conn_id));
  },
});

Deno.test({
  name: "Codex under capture over HTTP/1.1 (server offers no h2): byte for byte",
  ignore: skipWithoutRoot(),
  async fn() {
    await checkAgent("codex", "http/1.1", { http1: true });
  },
});

Deno.test({
  name: "Gemini CLI under capture: TLS rows hold the exact request bodies the server logged",
  ignore: skipWithoutRoot(),
  async fn() {
    await checkAgent("gemini", "http/1.1");
  },
});

Deno.test({
  name: "Codex under capture over a compressed WebSocket: every message, decoded, as sent",
  ignore: skipWithoutRoot(),
  async fn() {
    const { result, rec } = await captureAgent("codex", { websocket: true });
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

Deno.test({
  name: "opencode under capture (Bun 1.3, BoringSSL found in the stripped binary): byte for byte",
  ignore: skipWithoutRoot(),
  async fn() {
    const { rec } = await checkAgent("opencode", "http/1.1");
    const hooked = (rec.manifest.attach as { hooked: { library?: string; path: string }[] })
      .hooked;
    assert.ok(hooked.some((h) => h.library === "boringssl" && h.path.includes("opencode")));
  },
});

Deno.test({
  name: "Qwen Code under capture (node's OpenSSL, Chat Completions): byte for byte",
  ignore: skipWithoutRoot(),
  async fn() {
    await checkAgent("qwen", "http/1.1");
  },
});
