/**
 * The Chat Completions reader on the shapes OpenAI documents and OpenAI-compatible servers send:
 * tool calls pieced from `tool_calls` deltas (by index, or without one), a name repeated in
 * every piece, the deprecated `function_call`, and `reasoning` beside `reasoning_content`.
 */
import assert from "node:assert/strict";
import { chatJson, chatRequest, chatStream } from "./openai_chat.ts";

/** Feeds the chunks' `choices[0].delta`s in order, then `[DONE]`; the reader's result. */
function stream(deltas: Record<string, unknown>[], finish = "tool_calls") {
  const reader = chatStream();
  deltas.forEach((delta, i) =>
    reader.push("", {
      id: "chatcmpl-1",
      model: "m",
      choices: [{ index: 0, delta, finish_reason: i === deltas.length - 1 ? finish : null }],
    })
  );
  reader.push("", "[DONE]");
  return reader.result();
}

const calls = (r: ReturnType<typeof stream>) =>
  r.toolCalls.map((c) => [c.id ?? null, c.name, JSON.parse(c.input)]);

Deno.test("chat stream: two tool calls pieced by index, as OpenAI sends them", () => {
  const r = stream([
    { role: "assistant", content: null },
    {
      tool_calls: [{
        index: 0,
        id: "call_a",
        type: "function",
        function: { name: "read", arguments: "" },
      }],
    },
    { tool_calls: [{ index: 0, function: { arguments: '{"path":' } }] },
    { tool_calls: [{ index: 0, function: { arguments: '"a.txt"}' } }] },
    {
      tool_calls: [{
        index: 1,
        id: "call_b",
        type: "function",
        function: { name: "ls", arguments: "{}" },
      }],
    },
  ]);
  assert.deepEqual(calls(r), [["call_a", "read", { path: "a.txt" }], ["call_b", "ls", {}]]);
  assert.equal(r.complete, true);
  assert.equal(r.stopReason, "tool_calls");
});

Deno.test("chat stream: pieces without an index, and a name repeated in every piece", () => {
  const r = stream([
    { tool_calls: [{ id: "call_a", function: { name: "read", arguments: '{"path":' } }] },
    { tool_calls: [{ function: { name: "read", arguments: '"a.txt"}' } }] },
    { tool_calls: [{ id: "call_b", function: { name: "read", arguments: '{"path":"b"}' } }] },
  ]);
  assert.deepEqual(calls(r), [["call_a", "read", { path: "a.txt" }], ["call_b", "read", {
    path: "b",
  }]]);
});

Deno.test("chat stream: without index or id, a second call of the same function starts once the first is whole", () => {
  const r = stream([
    { tool_calls: [{ function: { name: "add", arguments: '{"a":' } }] },
    { tool_calls: [{ id: "", function: { arguments: "1}" } }] },
    { tool_calls: [{ function: { name: "add", arguments: '{"a":2}' } }] },
  ]);
  assert.deepEqual(calls(r), [[null, "add", { a: 1 }], [null, "add", { a: 2 }]]);
});

Deno.test("chat: the deprecated function_call, streamed and whole, and its function reply", () => {
  const s = stream([
    { role: "assistant", function_call: { name: "get_weather", arguments: "" } },
    { function_call: { arguments: '{"city":"Oslo"}' } },
  ], "function_call");
  assert.deepEqual(calls(s), [[null, "get_weather", { city: "Oslo" }]]);
  const j = chatJson({
    id: "chatcmpl-2",
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: null,
        function_call: { name: "f", arguments: '{"x":1}' },
      },
      finish_reason: "function_call",
    }],
  });
  assert.deepEqual(calls(j), [[null, "f", { x: 1 }]]);
  const req = chatRequest({
    model: "m",
    functions: [{ name: "f", parameters: { type: "object" } }],
    messages: [
      { role: "user", content: "go" },
      { role: "assistant", content: null, function_call: { name: "f", arguments: "{}" } },
      { role: "function", name: "f", content: "42" },
    ],
  }, { conversation: true });
  assert.deepEqual(req.toolResults.map((t) => t.text), ["42"]);
  assert.deepEqual(req.conversation?.tools.map((t) => t.name), ["f"]);
});

Deno.test("chat whole answer: reasoning under `reasoning` as well as `reasoning_content`", () => {
  const answer = (message: Record<string, unknown>) =>
    chatJson({
      choices: [{ index: 0, message: { role: "assistant", content: "ok", ...message } }],
    });
  assert.equal(answer({ reasoning: "thought" }).thinking, "thought");
  assert.equal(answer({ reasoning_content: "thought 2" }).thinking, "thought 2");
});

const FIXTURE = new URL("../../tests/fixtures/copilot_chat/", import.meta.url);

/** The events of an SSE body's `data:` lines, JSON parsed but for `[DONE]`. */
function sseEvents(text: string): unknown[] {
  return text.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6))
    .map((d) => d === "[DONE]" ? d : JSON.parse(d));
}

async function gunzipJson(url: URL): Promise<unknown> {
  const s = (await Deno.open(url)).readable.pipeThrough(new DecompressionStream("gzip"));
  return JSON.parse(await new Response(s).text());
}

Deno.test("chat: a custom tool (GitHub Copilot CLI's apply_patch) offered, called in a stream, answered", async () => {
  // the stream Copilot ran (it wrote the file), and the request it sent next (real bytes)
  const reader = chatStream();
  for (const e of sseEvents(await Deno.readTextFile(new URL("response1.sse", FIXTURE)))) {
    reader.push("", e);
  }
  const r = reader.result();
  assert.equal(r.complete, true);
  assert.equal(r.stopReason, "tool_calls");
  assert.equal(r.toolCalls.length, 1);
  const call = r.toolCalls[0];
  assert.equal(call.name, "apply_patch");
  assert.equal(call.kind, "custom");
  const patch = "*** Begin Patch\n*** Add File: out.txt\n+written by the scripted model\n" +
    "+second line\n*** End Patch\n";
  assert.equal(JSON.parse(call.input), patch);

  const body = await gunzipJson(new URL("request2.json.gz", FIXTURE)) as {
    messages: { tool_calls?: { id: string; type: string; custom?: { input: string } }[] }[];
  };
  // what Copilot sent back is the call as it was streamed
  const echoed = body.messages.flatMap((m) => m.tool_calls ?? []);
  assert.deepEqual(echoed.map((c) => [c.id, c.type, c.custom?.input]), [
    [call.id, "custom", patch],
  ]);
  const req = chatRequest(body, { conversation: true });
  assert.equal(req.toolsOffered, 16);
  const offered = req.conversation!.tools;
  assert.equal(offered.length, 16, "functions and the custom tool");
  assert.deepEqual(offered.filter((t) => t.kind === "custom").map((t) => t.name), [
    "apply_patch",
  ]);
  assert.deepEqual(req.toolResults.map((t) => t.callId), [call.id]);
});

Deno.test("chat whole answer: a custom tool call's input, beside a function's arguments", () => {
  const r = chatJson({
    id: "chatcmpl-1",
    model: "m",
    choices: [{
      index: 0,
      finish_reason: "tool_calls",
      message: {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_p", type: "custom", custom: { name: "apply_patch", input: "*** Begin" } },
          { id: "call_f", type: "function", function: { name: "view", arguments: '{"path":"a"}' } },
        ],
      },
    }],
  });
  assert.deepEqual(r.toolCalls.map((c) => [c.id, c.name, c.kind, JSON.parse(c.input)]), [
    ["call_p", "apply_patch", "custom", "*** Begin"],
    ["call_f", "view", "function", { path: "a" }],
  ]);
});
