/** Tests for transcripts: saving what the server served and replaying it in order. */

import assert from "node:assert/strict";
import { ReplayQueue, replayResponse, responseChunks } from "./replay.ts";
import { renderBedrockStream } from "./anthropic_messages.ts";
import { renderOllamaStream } from "./ollama.ts";
import { concatBytes } from "../../kit/bytes.ts";
import { parseScenario } from "./scenario.ts";
import { startModelServer } from "./server.ts";
import { testClient } from "./testing/client.ts";
import {
  bodyFields,
  emptyTranscript,
  exchangeBody,
  loadTranscript,
  parseTranscript,
  type TranscriptExchange,
} from "./transcript.ts";

const ex = (
  path: string,
  body: string,
  kind?: "main" | "side",
): TranscriptExchange => ({
  method: "POST",
  path,
  status: 200,
  headers: {},
  streaming: false,
  body,
  ...(kind ? { kind } : {}),
});

Deno.test("ReplayQueue: in order, each once, matching method, path and kind", () => {
  const t = emptyTranscript();
  t.exchanges.push(
    ex("/v1/messages?beta=true", "one", "main"),
    ex("/v1/messages?beta=true", "title", "side"),
    ex("/v1/messages?beta=true", "two", "main"),
    ex("/v1/responses", "resp"),
  );
  const q = new ReplayQueue(t);
  assert.equal(q.take("POST", "/v1/messages", "main")?.body, "one");
  assert.equal(q.take("POST", "/v1/messages", "main")?.body, "two");
  assert.equal(q.take("POST", "/v1/messages", "main"), undefined);
  assert.equal(q.take("GET", "/v1/messages"), undefined);
  assert.equal(
    q.take("POST", "/v1/responses", "main")?.body,
    "resp",
    "no kind recorded: any kind",
  );
  assert.equal(q.remaining(), 1);
  assert.equal(q.take("POST", "/v1/messages")?.body, "title");
  assert.equal(q.remaining(), 0);
});

Deno.test("parseTranscript checks fields with one-line errors; bodies as text or base64", () => {
  assert.throws(
    () => parseTranscript({ format: "x" }, "t.json"),
    /^TranscriptError: t\.json: format: expected "sightline-transcript"$/,
  );
  const base = { format: "sightline-transcript", version: 1 };
  assert.throws(
    () =>
      parseTranscript(
        { ...base, exchanges: [{ method: "POST", path: "x", status: 200 }] },
        "t.json",
      ),
    /t\.json: exchanges\[0\]\.path: expected a path starting with \//,
  );
  assert.throws(
    () =>
      parseTranscript({
        ...base,
        exchanges: [{ method: "POST", path: "/", status: 9 }],
      }, "t.json"),
    /exchanges\[0\]\.status/,
  );
  assert.throws(
    () =>
      parseTranscript({
        ...base,
        exchanges: [{
          method: "POST",
          path: "/",
          status: 200,
          body: "a",
          bodyBase64: "YQ==",
        }],
      }, "t.json"),
    /give body or bodyBase64, not both/,
  );
  const t = parseTranscript({
    ...base,
    exchanges: [{
      method: "post",
      path: "/",
      status: 200,
      headers: { "Content-Type": "x" },
      bodyBase64: "/wA=",
    }],
  });
  assert.equal(t.exchanges[0].method, "POST");
  assert.deepEqual(t.exchanges[0].headers, { "content-type": "x" });
  assert.deepEqual([...exchangeBody(t.exchanges[0])], [255, 0]);
  assert.deepEqual(bodyFields(Uint8Array.of(255, 0)), { bodyBase64: "/wA=" });
  assert.deepEqual(bodyFields(new TextEncoder().encode("é")), { body: "é" });
});

Deno.test("a saved transcript replays byte for byte, in order, then runs out", async () => {
  const scenario = parseScenario({
    name: "rp",
    turns: [{ tool: { run: "ls" } }, { text: "listed {{tool_output}}" }],
  });
  const dir = await Deno.makeTempDir();
  const tools = [{
    type: "function",
    function: { name: "shell_command", parameters: {} },
  }];
  const requests = [
    {
      model: "m",
      stream: true,
      tools,
      messages: [{ role: "user", content: "go" }],
    },
    {
      model: "m",
      stream: true,
      stream_options: { include_usage: true },
      tools,
      messages: [
        { role: "user", content: "go" },
        { role: "assistant", tool_calls: [{ id: "c" }] },
        { role: "tool", tool_call_id: "c", content: "a.txt" },
      ],
    },
  ];
  const served: string[] = [];
  const original = await startModelServer({ scenario });
  let c = await testClient(original);
  try {
    for (const r of requests) {
      served.push(await (await c.post("/v1/chat/completions", r)).text());
    }
    await original.saveTranscript(`${dir}/t.json`);
  } finally {
    c.close();
    await original.close();
  }
  assert.match(served[1], /listed a\.txt/);
  const saved = await loadTranscript(`${dir}/t.json`);
  assert.equal(saved.exchanges.length, 2);
  assert.equal(saved.exchanges[0].streaming, true);
  assert.equal(saved.exchanges[0].kind, "main");

  const replay = await startModelServer({ transcript: `${dir}/t.json` });
  c = await testClient(replay);
  try {
    // The replay ignores request contents: the second answer comes second even for the first body.
    const r1 = await c.post("/v1/chat/completions", requests[0]);
    assert.equal(
      r1.headers.get("content-type"),
      "text/event-stream; charset=utf-8",
    );
    assert.equal(await r1.text(), served[0]);
    assert.equal(
      await (await c.post("/v1/chat/completions", requests[0])).text(),
      served[1],
    );
    const r3 = await c.post("/v1/chat/completions", requests[0]);
    assert.equal(r3.status, 404);
    await r3.body?.cancel();
    assert.equal(replay.replayRemaining(), 0);
    assert.equal(replay.errors.length, 1);
    assert.equal(
      replay.transcript.exchanges.length,
      2,
      "the replay's own transcript",
    );
  } finally {
    c.close();
    await replay.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("replay: a Bedrock stream goes out one event-stream message per piece, as served", () => {
  const frames = renderBedrockStream({
    model: "m",
    text: "hello there",
    toolCalls: [],
    usage: {
      inputTokens: 1,
      outputTokens: 2,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    },
    seed: "replay-bedrock",
    created: 0,
  });
  const e: TranscriptExchange = {
    method: "POST",
    path: "/model/m/invoke-with-response-stream",
    kind: "main",
    status: 200,
    headers: frames.headers,
    streaming: true,
    ...bodyFields(concatBytes(frames.chunks)),
  };
  assert.deepEqual(responseChunks(e), frames.chunks);
  assert.deepEqual(replayResponse(e).chunks, frames.chunks);
});

Deno.test("replay: an Ollama NDJSON stream goes out line by line, as it was sent", () => {
  const lines = renderOllamaStream({
    model: "qwen3:8b",
    thinking: "plan",
    text: "hello there, this is a reply long enough for several lines",
    toolCalls: [{ name: "run_shell", kind: "function", args: { command: "ls" } }],
    usage: {
      inputTokens: 1,
      outputTokens: 2,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    },
    seed: "replay-ollama",
    created: 0,
  }, "api/chat");
  const enc = new TextEncoder();
  const chunks = lines.chunks.map((c) => enc.encode(c));
  assert.ok(chunks.length >= 4);
  const e: TranscriptExchange = {
    method: "POST",
    path: "/api/chat",
    kind: "main",
    status: 200,
    headers: lines.headers,
    streaming: true,
    ...bodyFields(concatBytes(chunks)),
  };
  assert.deepEqual(responseChunks(e), chunks);
});
