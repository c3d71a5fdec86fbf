/**
 * Tests of answers that break off after a 200, over the model server's real HTTPS (HTTP/2 and
 * HTTP/1.1) and WebSocket: each provider's in-stream error as its API sends it, a body that
 * ends early, a connection dropped mid-body, a stall; the retry then gets the whole turn.
 */

import assert from "node:assert/strict";
import { createEventStreamParser, type EventStreamMessage } from "../../protocols/mod.ts";
import { parseScenario, type TurnFailure } from "./scenario.ts";
import { startModelServer } from "./server.ts";
import { parseSse } from "./testing/sse_parser.ts";
import { testClient } from "./testing/client.ts";
import { wsTestClient } from "./testing/ws_client.ts";
import { parseTranscript, type Transcript } from "./transcript.ts";

const TEXT = "A long enough answer to come in several pieces, so that it can break off inside.";

function scenario(fail: Record<string, unknown>) {
  return parseScenario({
    name: "midstream",
    sequencing: "per-request",
    turns: [{ fail: { times: 1, ...fail } as unknown as TurnFailure, text: TEXT }],
  }, "midstream.json");
}

const user = { role: "user", content: "x" };
const ANTHROPIC = { model: "claude-test", stream: true, max_tokens: 9, messages: [user] };
const CHAT = { model: "gpt-test", stream: true, messages: [user] };
const RESPONSES = { model: "gpt-test", stream: true, input: "x" };
const GEMINI = { contents: [{ role: "user", parts: [{ text: "x" }] }] };

/** Runs `body` against a server playing `fail` once, then checks the retry got the whole turn. */
async function withServer(
  fail: Record<string, unknown>,
  body: (c: Awaited<ReturnType<typeof testClient>>) => Promise<void>,
  opts: { http1?: boolean } = {},
): Promise<string[]> {
  const server = await startModelServer({ scenario: scenario(fail), http1: opts.http1 });
  const c = await testClient(server);
  try {
    await body(c);
    return server.errors;
  } finally {
    c.close();
    await server.close();
  }
}

Deno.test("Anthropic: event: error with the status's error type after the first events, no message_stop", async () => {
  const errors = await withServer({ after: 3, status: 529 }, async (c) => {
    const r = await c.post("/v1/messages", ANTHROPIC);
    assert.equal(r.status, 200);
    const events = parseSse(await r.text());
    assert.deepEqual(events.map((e) => e.event), [
      "message_start",
      "content_block_start",
      "ping",
      "error",
    ]);
    assert.deepEqual(JSON.parse(events[3].data), {
      type: "error",
      error: { type: "overloaded_error", message: "Overloaded" },
    });
    // the retry: the whole turn
    const again = parseSse(await (await c.post("/v1/messages", ANTHROPIC)).text());
    assert.equal(again.at(-1)!.event, "message_stop");
    const text = again.map((e) => JSON.parse(e.data)).filter((d) => d.delta?.text)
      .map((d) => d.delta.text).join("");
    assert.equal(text, TEXT);
  });
  assert.deepEqual(errors, []);
});

Deno.test("Chat Completions: a chunk holding only the error, and no [DONE]", async () => {
  await withServer({ after: 2, status: 500, message: "The server had an error" }, async (c) => {
    const r = await c.post("/v1/chat/completions", CHAT);
    assert.equal(r.status, 200);
    const events = parseSse(await r.text());
    assert.equal(events.length, 3);
    assert.deepEqual(JSON.parse(events[2].data), {
      error: { message: "The server had an error", type: "server_error", param: null, code: null },
    });
    assert.ok(!events.some((e) => e.data === "[DONE]"));
  });
});

Deno.test("Responses over HTTP: response.failed carries the response as created, failed, with its error code", async () => {
  await withServer({ after: 4, status: 429 }, async (c) => {
    const r = await c.post("/v1/responses", RESPONSES);
    const events = parseSse(await r.text());
    assert.equal(events.length, 5);
    const created = JSON.parse(events[0].data);
    const failed = JSON.parse(events[4].data);
    assert.equal(events[4].event, "response.failed");
    assert.equal(failed.type, "response.failed");
    assert.equal(failed.sequence_number, 4);
    assert.equal(failed.response.id, created.response.id);
    assert.equal(failed.response.status, "failed");
    assert.deepEqual(failed.response.error, {
      code: "rate_limit_exceeded",
      message: "Rate limit exceeded: please slow down",
    });
  });
});

Deno.test("Responses over WebSocket: response.failed as a message; a drop ends the connection with no close frame", async () => {
  for (
    const [fail, last] of [[{ after: 2, status: 503 }, "response.failed"], [{
      after: 2,
      cut: "close",
    }, null]] as const
  ) {
    const server = await startModelServer({ scenario: scenario(fail) });
    const ws = await wsTestClient(server);
    try {
      await ws.send({ type: "response.create", ...RESPONSES });
      const got: Record<string, unknown>[] = [];
      try {
        for (let i = 0; i < 3; i++) got.push(await ws.next());
      } catch { /* the connection dropped */ }
      if (last) {
        assert.equal(got.length, 3);
        assert.equal(got[2].type, last);
        assert.equal((got[2].response as { error: { code: string } }).error.code, "server_error");
      } else {
        assert.equal(got.length, 2);
        assert.ok(!ws.received.some((m) => m.kind === "close"), "no close frame");
      }
    } finally {
      await ws.close().catch(() => {});
      await server.close();
    }
  }
});

Deno.test("Gemini: an error object as the stream's last event (SSE), the array's last item (JSON), or the array cut", async () => {
  await withServer({ after: 0, status: 503, times: 1 }, async (c) => {
    const path = "/v1beta/models/gemini-test:streamGenerateContent?alt=sse";
    const events = parseSse(await (await c.post(path, GEMINI)).text());
    assert.deepEqual(JSON.parse(events.at(-1)!.data).error, {
      code: 503,
      message: "Service unavailable: the model is overloaded",
      status: "UNAVAILABLE",
    });
    assert.equal(events.length, 1);
  });
  await withServer({ after: 0, status: 500 }, async (c) => {
    const r = await c.post("/v1beta/models/gemini-test:streamGenerateContent", GEMINI);
    const items = await r.json();
    assert.equal(items.length, 1);
    assert.equal(items[0].error.status, "INTERNAL");
  });
  await withServer({ after: 0, cut: "end" }, async (c) => {
    const r = await c.post("/v1beta/models/gemini-test:streamGenerateContent", GEMINI);
    assert.deepEqual(await r.json(), []);
  });
});

Deno.test("Bedrock: an exception message in the event stream", async () => {
  await withServer({ after: 2, status: 429 }, async (c) => {
    const r = await c.post("/model/anthropic.claude-test/invoke-with-response-stream", {
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: 9,
      messages: [user],
    });
    const messages: EventStreamMessage[] = [];
    const p = createEventStreamParser({ onMessage: (m) => messages.push(m), onError: () => {} });
    p.feed(new Uint8Array(await r.arrayBuffer()));
    p.end();
    assert.equal(messages.length, 3);
    assert.equal(messages[2].headers[":message-type"], "exception");
    assert.equal(messages[2].headers[":exception-type"], "throttlingException");
    assert.deepEqual(JSON.parse(new TextDecoder().decode(messages[2].payload)), {
      message: "Rate limit exceeded: please slow down",
    });
  });
});

Deno.test("cut end: the body ends cleanly without the answer's last events", async () => {
  await withServer({ after: 5, cut: "end" }, async (c) => {
    const events = parseSse(await (await c.post("/v1/messages", ANTHROPIC)).text());
    assert.equal(events.length, 5);
    assert.ok(!events.some((e) => e.event === "message_stop" || e.event === "error"));
  });
});

for (const http1 of [false, true]) {
  Deno.test(`cut close over ${http1 ? "HTTP/1.1" : "HTTP/2"}: the client reads the first events, then the body fails`, async () => {
    await withServer({ after: 3, cut: "close" }, async (c) => {
      const r = await c.post("/v1/messages", ANTHROPIC);
      assert.equal(r.status, 200);
      const reader = r.body!.getReader();
      let text = "";
      const dec = new TextDecoder();
      await assert.rejects(async () => {
        while (true) {
          const { done, value } = await reader.read();
          if (done) break;
          text += dec.decode(value, { stream: true });
        }
      });
      assert.equal(parseSse(text).length, 3);
    }, { http1 });
  });
}

Deno.test("cut stall: silent for its seconds, then dropped", async () => {
  await withServer({ after: 1, cut: "stall", seconds: 1 }, async (c) => {
    const t0 = performance.now();
    const r = await c.post("/v1/chat/completions", CHAT);
    await assert.rejects(() => r.text());
    assert.ok(performance.now() - t0 >= 900, `dropped after ${performance.now() - t0} ms`);
  });
});

Deno.test("an after past the answer's end is lowered to keep the break inside, and said", async () => {
  const errors = await withServer({ after: 1000, status: 500 }, async (c) => {
    const events = parseSse(await (await c.post("/v1/chat/completions", CHAT)).text());
    assert.ok(events.at(-2)!.data.includes('"finish_reason":"stop"'));
    assert.ok(JSON.parse(events.at(-1)!.data).error);
  });
  assert.equal(errors.length, 1);
  assert.match(errors[0], /fail\.after 1000 reaches past the answer's last event/);
});

Deno.test("a client that sends back what it got of a broken answer and asks to go on gets the rest of the turn (Qwen Code's resume)", async () => {
  const server = await startModelServer({
    scenario: parseScenario({
      name: "resume",
      turns: [
        { fail: { after: 4, status: 529 }, text: TEXT, tool: { run: "echo hi" } },
        { text: "done" },
      ],
    }, "resume.json"),
  });
  const c = await testClient(server);
  const bash = {
    type: "function",
    function: {
      name: "run_shell_command",
      parameters: { type: "object", properties: { command: { type: "string" } } },
    },
  };
  try {
    const first = parseSse(
      await (await c.post("/v1/chat/completions", { ...CHAT, tools: [bash] })).text(),
    );
    const got = first.slice(0, -1).map((e) => JSON.parse(e.data).choices[0].delta.content ?? "")
      .join("");
    assert.ok(got.length > 0 && TEXT.startsWith(got), got);
    const resume = await c.post("/v1/chat/completions", {
      ...CHAT,
      tools: [bash],
      messages: [user, { role: "assistant", content: got }, {
        role: "user",
        content: "The connection dropped mid-response. Resume directly.",
      }],
    });
    const events = parseSse(await resume.text()).filter((e) => e.data !== "[DONE]")
      .map((e) => JSON.parse(e.data));
    const rest = events.map((e) => e.choices[0]?.delta.content ?? "").join("");
    assert.equal(got + rest, TEXT);
    assert.ok(events.some((e) => e.choices[0]?.delta.tool_calls), "the turn's tool call too");
    // the client joins what it had and the rest into one model turn, runs the tool and sends
    // its result at the same count of model turns: the next turn
    const call = events.find((e) => e.choices[0]?.delta.tool_calls).choices[0].delta
      .tool_calls[0];
    const next = await c.post("/v1/chat/completions", {
      ...CHAT,
      tools: [bash],
      messages: [
        user,
        {
          role: "assistant",
          content: TEXT,
          tool_calls: [{
            id: call.id,
            type: "function",
            function: { name: call.function.name, arguments: "{}" },
          }],
        },
        { role: "tool", tool_call_id: call.id, content: "hi" },
      ],
    });
    const after = parseSse(await next.text()).filter((e) => e.data !== "[DONE]")
      .map((e) => JSON.parse(e.data).choices[0]?.delta.content ?? "").join("");
    assert.equal(after, "done");
    assert.deepEqual(server.errors, []);
    assert.deepEqual(server.requests.map((r) => r.turn), [0, 0, 1]);
  } finally {
    c.close();
    await server.close();
  }
});

Deno.test("a dropped answer is kept in the transcript as dropped, and replayed so", async () => {
  let transcript: Transcript;
  const server = await startModelServer({ scenario: scenario({ after: 3, cut: "close" }) });
  const c = await testClient(server);
  try {
    await assert.rejects(async () => await (await c.post("/v1/messages", ANTHROPIC)).text());
    transcript = structuredClone(server.transcript);
  } finally {
    c.close();
    await server.close();
  }
  assert.deepEqual(transcript.exchanges[0].cut, {});
  assert.equal(parseSse(transcript.exchanges[0].body!).length, 3);
  // parsed back (a saved file) and replayed: the client sees the same drop
  const replayed = await startModelServer({
    transcript: parseTranscript(JSON.parse(JSON.stringify(transcript)), "t.json"),
    // its sequencing (per-request) tells the request main, as the scripted run did
    scenario: scenario({ after: 3, cut: "close" }),
  });
  const r = await testClient(replayed);
  try {
    const res = await r.post("/v1/messages", ANTHROPIC);
    assert.equal(res.status, 200);
    await assert.rejects(() => res.text());
    assert.deepEqual(replayed.errors, []);
  } finally {
    r.close();
    await replayed.close();
  }
  assert.throws(
    () =>
      parseTranscript({
        ...transcript,
        exchanges: [{ ...transcript.exchanges[0], cut: { stallMs: -1 } }],
      }, "t.json"),
    /exchanges\[0\]\.cut\.stallMs: expected a number >= 0 \(ms\)/,
  );
});
