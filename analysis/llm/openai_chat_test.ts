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
