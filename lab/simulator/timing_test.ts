/** Tests for model timing on replayed transcripts: the schedule, not the clock. */

import assert from "node:assert/strict";
import { renderAnthropicJson, renderAnthropicStream } from "./anthropic_messages.ts";
import { renderChatStream } from "./openai_chat.ts";
import { renderGeminiJson, renderGeminiStream } from "./gemini.ts";
import { renderResponsesStream } from "./openai_responses.ts";
import { checkTiming, replayResponse } from "./replay.ts";
import type { RenderedResponse } from "./reply.ts";
import { startModelServer } from "./server.ts";
import { sampleReply } from "./testing/replies.ts";
import {
  exchangeDelays,
  type ModelTiming,
  outputChars,
  REALISTIC_TIMING,
  timeTranscript,
  timingSummary,
} from "./timing.ts";
import {
  emptyTranscript,
  parseTranscript,
  type Transcript,
  TranscriptError,
  type TranscriptExchange,
} from "./transcript.ts";
import { testClient } from "./testing/client.ts";

const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))];

const reply = sampleReply();
/** what the sample reply generates: thinking, text and the tool call's JSON arguments */
const OUTPUT = reply.thinking!.length + reply.text!.length +
  JSON.stringify(reply.toolCalls[0].args).length;

const exchange = (path: string, r: RenderedResponse, kind = "main"): TranscriptExchange => ({
  method: "POST",
  path,
  kind: kind as "main",
  status: r.status,
  headers: r.headers,
  streaming: r.streaming,
  body: r.chunks.join(""),
});

const STREAMS: [string, string, RenderedResponse, number][] = [
  ["anthropic", "/v1/messages", renderAnthropicStream(reply), OUTPUT],
  ["openai-responses", "/v1/responses", renderResponsesStream(reply), OUTPUT],
  // Chat Completions has no thinking
  ["openai-chat", "/v1/chat/completions", renderChatStream(reply, true), OUTPUT - 60],
  [
    "gemini",
    "/v1beta/models/m:streamGenerateContent?alt=sse",
    renderGeminiStream(reply),
    OUTPUT,
  ],
];

Deno.test("output is counted once per provider: deltas, not the summaries that repeat them", () => {
  assert.equal(reply.thinking!.length, 60);
  for (const [name, path, r, want] of STREAMS) {
    const pieces = replayResponse(exchange(path, r)).chunks.map((c) => new TextDecoder().decode(c));
    const total = pieces.reduce((n, p) => n + outputChars(p, true), 0);
    assert.equal(total, want, name);
    // the first piece (message or response start) carries no output
    if (name !== "gemini") assert.equal(outputChars(pieces[0], true), 0, name);
  }
  for (const r of [renderAnthropicJson(reply), renderGeminiJson(reply)]) {
    assert.equal(outputChars(r.chunks.join(""), false), OUTPUT);
  }
  assert.equal(outputChars("data: [DONE]\n\n", true), 0);
  assert.equal(outputChars("not json", false), 0);
});

const FIXED: ModelTiming = {
  ttftMs: 1000,
  ttftSigma: 0,
  tokensPerS: 50,
  speedSigma: 0,
  gapSigma: 0,
};

Deno.test("without jitter: silence, the time to first token, then each piece's tokens at the speed", () => {
  for (const [name, path, r, want] of STREAMS) {
    const e = exchange(path, r);
    const pieces = replayResponse(e).chunks.map((c) => new TextDecoder().decode(c));
    const chars = pieces.map((p) => outputChars(p, true));
    const d = exchangeDelays(e, FIXED, 4, 1);
    assert.equal(d.length, pieces.length, name);
    const first = chars.findIndex((n) => n > 0);
    assert.deepEqual(d.slice(0, first), new Array(first).fill(0), `${name}: nothing before`);
    assert.equal(d[first], 1000, `${name}: time to first token`);
    for (let i = first + 1; i < d.length; i++) {
      // 4 characters a token, 50 tokens/s: 20 ms per 4 characters
      assert.ok(Math.abs(d[i] - chars[i] * 5) <= 0.05, `${name} piece ${i}: ${d[i]}`);
    }
    const generation = (want - chars[first]) * 5;
    const sum = d.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1000 - generation) < 0.5, `${name}: ${sum}`);
  }
  // non-streaming: the whole generation before the one piece
  const whole = exchange("/v1/messages", renderAnthropicJson(reply));
  assert.deepEqual(exchangeDelays(whole, FIXED, 4, 1), [1000 + OUTPUT * 5]);
});

Deno.test("jitter is seeded: the same exchange and seed give the same pauses, centred on the profile", () => {
  const e = exchange("/v1/messages", renderAnthropicStream(reply));
  const t = REALISTIC_TIMING.providers.anthropic;
  const a = exchangeDelays(e, t, 4, 42);
  assert.deepEqual(exchangeDelays(e, t, 4, 42), a);
  assert.notDeepEqual(exchangeDelays(e, t, 4, 43), a);
  assert.ok(a.every((x) => x >= 0 && Number.isFinite(x)));
  // over many calls the median time to first token is the profile's
  const first = a.findIndex((x) => x > 0);
  const ttfts = Array.from({ length: 2000 }, (_, s) => exchangeDelays(e, t, 4, s)[first]);
  const med = quantile(ttfts, 0.5);
  assert.ok(Math.abs(med / t.ttftMs - 1) < 0.05, `median TTFT ${med}`);
  assert.ok(quantile(ttfts, 0.9) > 1.3 * med, "and they spread");
});

function sessionTranscript(): Transcript {
  const t = emptyTranscript("test session");
  t.exchanges.push(
    { method: "HEAD", path: "/", status: 200, headers: {}, streaming: false, body: "" },
    exchange("/v1/messages?beta=true", renderAnthropicStream(reply)),
    exchange("/v1/messages/count_tokens", {
      status: 200,
      headers: {},
      chunks: ['{"input_tokens":12}'],
      streaming: false,
    }),
    // a Responses warm-up: no output, so no model time
    exchange("/v1/responses", {
      status: 200,
      headers: {},
      chunks: [
        'data: {"type":"response.created","response":{"id":"r1","output":[]}}\n\n',
        'data: {"type":"response.completed","response":{"id":"r1","output":[]}}\n\n',
      ],
      streaming: true,
    }, "side"),
    exchange("/v1/responses", renderResponsesStream(reply)),
  );
  return t;
}

Deno.test("timeTranscript times model calls only and says which profile and seed", () => {
  const t = sessionTranscript();
  const timed = timeTranscript(t, REALISTIC_TIMING, 7);
  assert.match(timed.timing!, /^realistic-v1, seed 7: parametrised model timing \(assumed/);
  const [probe, call, count, warmup, responses] = timed.exchanges;
  assert.equal(probe.delaysMs, undefined);
  assert.equal(count.delaysMs, undefined);
  assert.ok(warmup.delaysMs!.every((d) => d === 0));
  assert.ok(call.delaysMs!.some((d) => d > 500), "a time to first token");
  assert.ok(responses.delaysMs!.some((d) => d > 500));
  checkTiming(timed); // one pause per piece
  assert.deepEqual(timeTranscript(t, REALISTIC_TIMING, 7), timed, "repeatable");
  const s = timingSummary(timed);
  assert.equal(s.calls, 2);
  assert.equal(s.ttftMs.length, 2);
  assert.ok(s.totalMs > s.ttftMs[0] + s.ttftMs[1]);
  // the JSON round trip keeps the timing
  assert.deepEqual(parseTranscript(JSON.parse(JSON.stringify(timed))), timed);
  assert.equal(t.exchanges[1].delaysMs, undefined, "the input is left alone");
});

Deno.test("bad timing: one-line errors for negative pauses and a count that does not fit", () => {
  const t = timeTranscript(sessionTranscript(), REALISTIC_TIMING, 1);
  const json = JSON.parse(JSON.stringify(t));
  json.exchanges[1].delaysMs[2] = -1;
  assert.throws(
    () => parseTranscript(json, "t.json"),
    /^TranscriptError: t\.json: exchanges\[1\]\.delaysMs: expected an array of numbers >= 0 \(ms\)$/,
  );
  t.exchanges[1].delaysMs!.pop();
  assert.throws(() => checkTiming(t, "t.json"), (e) => {
    assert.ok(e instanceof TranscriptError);
    assert.match(
      e.message,
      /^t\.json: exchanges\[1\]\.delaysMs: \d+ pauses for a response sent in \d+ pieces$/,
    );
    return true;
  });
});

Deno.test("the server keeps the transcript's timing when replaying it, and drops it at zero timing", async () => {
  // pauses of 1 ms, so the test does not wait; what is checked is what the server says it served
  const t = timeTranscript(sessionTranscript(), REALISTIC_TIMING, 3);
  for (const e of t.exchanges) {
    if (e.delaysMs) e.delaysMs = e.delaysMs.map((d) => (d ? 1 : 0));
    delete e.kind; // served whatever kind the request is taken for
  }
  for (const timing of ["transcript", "zero"] as const) {
    const server = await startModelServer({ transcript: t, timing });
    const c = await testClient(server);
    try {
      const res = await c.post("/v1/messages?beta=true", {
        model: "m",
        max_tokens: 10,
        stream: true,
        messages: [{ role: "user", content: "hi" }],
      });
      const text = await res.text();
      assert.equal(text, t.exchanges[1].body, "the same bytes either way");
      const served = server.transcript.exchanges[0];
      if (timing === "transcript") {
        assert.deepEqual(served.delaysMs, t.exchanges[1].delaysMs);
        assert.equal(server.transcript.timing, t.timing);
      } else {
        assert.equal(served.delaysMs, undefined);
        assert.equal(server.transcript.timing, undefined);
      }
    } finally {
      c.close();
      await server.close();
    }
  }
});
