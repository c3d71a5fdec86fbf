/**
 * The real agents under capture against the scripted model server: every LLM request body
 * the server received and every response body it sent is in tls.arrow, byte for byte —
 * Claude Code (Bun, BoringSSL found in the stripped binary, HTTP/1.1), Codex (rustls over
 * aws-lc AEAD, HTTP/2, and HTTP/1.1 when the server only offers that) and Gemini CLI
 * (node's OpenSSL, HTTP/1.1).
 */
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { runAgent } from "../agents/mod.ts";
import { underCapture } from "../agents/main.ts";
import type { AgentName } from "../agents/agent_profile.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { httpMessages, type Message } from "../../tests/support/http_messages.ts";
import { readRecording, type Recording, tlsStreams } from "../../recording/recording.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const SCENARIO = `${ROOT}lab/scenarios/tool_marker.json`;
const dec = new TextDecoder();

async function captureAgent(agent: AgentName, http1 = false) {
  const out = `${await Deno.makeTempDir({ prefix: `sl-${agent}-` })}/rec`;
  const result = await runAgent({
    agent,
    scenario: SCENARIO,
    http1,
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
