import assert from "node:assert/strict";
import { ask, makeClient, ObserverRequestError } from "./client.ts";

/** A plain-HTTP Chat Completions endpoint that fails `failures` times with `status` first. */
function flaky(failures: number, status: number) {
  let seen = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.text();
    if (seen++ < failures) return new Response(`{"error":{"message":"busy"}}`, { status });
    return Response.json({
      id: "c1",
      object: "chat.completion",
      created: 0,
      model: "judge-1",
      choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: "{}" } }],
      usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
    });
  });
  const url = `http://127.0.0.1:${server.addr.port}/v1`;
  return { url, requests: () => seen, close: () => server.shutdown() };
}

const messages = [{ role: "user" as const, content: "judge" }];

Deno.test("ask: retries 503s with doubling backoff, then answers", async () => {
  const s = flaky(2, 503);
  const waits: number[] = [];
  try {
    const a = await ask(makeClient({ baseURL: s.url, apiKey: "k" }), messages, {
      model: "judge",
      backoffMs: 100,
      sleep: (ms) => (waits.push(ms), Promise.resolve()),
    });
    assert.equal(a.attempts, 3);
    assert.equal(s.requests(), 3);
    assert.equal(a.model, "judge-1");
    assert.equal(a.inputTokens, 12);
    assert.equal(a.outputTokens, 3);
    assert.equal(waits.length, 2);
    assert.ok(waits[0] >= 100 && waits[0] < 200, `first wait ${waits[0]}`);
    assert.ok(waits[1] >= 200 && waits[1] < 400, `second wait ${waits[1]}`);
  } finally {
    await s.close();
  }
});

Deno.test("ask: a 400 is not retried; giving up says why and after how many tries", async () => {
  const s = flaky(5, 400);
  try {
    await assert.rejects(
      ask(makeClient({ baseURL: s.url, apiKey: "k" }), messages, {
        model: "m",
        sleep: () => Promise.resolve(),
      }),
      (e: Error) =>
        e instanceof ObserverRequestError && e.attempts === 1 && /HTTP 400/.test(e.message),
    );
    assert.equal(s.requests(), 1);
  } finally {
    await s.close();
  }
  const t = flaky(10, 429);
  try {
    await assert.rejects(
      ask(makeClient({ baseURL: t.url, apiKey: "k" }), messages, {
        model: "m",
        retries: 2,
        sleep: () => Promise.resolve(),
      }),
      (e: Error) =>
        e instanceof ObserverRequestError && e.attempts === 3 && /after 3 attempts/.test(e.message),
    );
    assert.equal(t.requests(), 3);
  } finally {
    await t.close();
  }
});
