/** Tests that the Chat Completions output is well-formed, streaming and not. */

import assert from "node:assert/strict";
import { renderChatJson, renderChatStream } from "./openai_chat.ts";
import { parseSse } from "./testing/sse_parser.ts";
import { sampleReply } from "./testing/replies.ts";
import { inspectRequest } from "./request_view.ts";

Deno.test("chat stream: role first, content and tool-call deltas reassemble, usage, [DONE]", () => {
  const reply = sampleReply({
    toolCalls: [
      { name: "run", kind: "function", args: { command: "ls" } },
      { name: "write", kind: "function", args: { path: "a", content: "b" } },
    ],
  });
  const r = renderChatStream(reply, true);
  const events = parseSse(r.chunks.join(""));
  assert.equal(events.at(-1)!.data, "[DONE]");
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
  assert.ok(chunks.every((c) => c.object === "chat.completion.chunk"));
  assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
  assert.match(chunks[0].id, /^chatcmpl-/);
  assert.equal(chunks[0].choices[0].delta.role, "assistant");
  const usageChunk = chunks.at(-1);
  assert.deepEqual(usageChunk.choices, []);
  assert.equal(usageChunk.usage.prompt_tokens, 1234);
  assert.equal(usageChunk.usage.completion_tokens, 56);
  assert.equal(usageChunk.usage.total_tokens, 1290);
  assert.equal(usageChunk.usage.prompt_tokens_details.cached_tokens, 789);
  const body = chunks.slice(0, -1);
  assert.ok(body.every((c) => c.usage === null), "usage: null on other chunks");
  assert.equal(body.at(-1).choices[0].finish_reason, "tool_calls");
  const text = body.map((c) => c.choices[0].delta.content ?? "").join("");
  assert.equal(text, reply.text);
  const calls: { id?: string; name?: string; args: string }[] = [];
  for (const c of body) {
    for (const tc of c.choices[0].delta.tool_calls ?? []) {
      calls[tc.index] ??= { args: "" };
      if (tc.id) calls[tc.index].id = tc.id;
      if (tc.function?.name) calls[tc.index].name = tc.function.name;
      calls[tc.index].args += tc.function?.arguments ?? "";
    }
  }
  assert.deepEqual(calls.map((c) => [c.name, JSON.parse(c.args)]), [
    ["run", { command: "ls" }],
    ["write", { path: "a", content: "b" }],
  ]);
  assert.ok(calls.every((c) => /^call_[A-Za-z0-9]{24}$/.test(c.id!)));
});

Deno.test("chat stream without include_usage has no usage chunk", () => {
  const events = parseSse(
    renderChatStream(sampleReply({ toolCalls: [] }), false).chunks.join(""),
  );
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
  assert.ok(chunks.every((c) => !("usage" in c)));
  assert.equal(chunks.at(-1).choices[0].finish_reason, "stop");
});

Deno.test("chat json: message, finish reason and usage", () => {
  const reply = sampleReply({ toolCalls: [] });
  const body = JSON.parse(renderChatJson(reply).chunks.join(""));
  assert.equal(body.object, "chat.completion");
  assert.equal(body.choices[0].message.content, reply.text);
  assert.equal(body.choices[0].finish_reason, "stop");
  assert.equal(body.usage.prompt_tokens, 1234);
});

Deno.test("chat request view: tool messages after the last assistant turn", () => {
  const view = inspectRequest({ provider: "openai-chat" }, {
    model: "m",
    stream: true,
    stream_options: { include_usage: true },
    response_format: {
      type: "json_schema",
      json_schema: { name: "v", schema: { type: "object" } },
    },
    messages: [
      { role: "system", content: "s" },
      { role: "user", content: "q" },
      { role: "assistant", content: null, tool_calls: [{ id: "call_1" }] },
      { role: "tool", tool_call_id: "call_1", content: "result" },
    ],
  });
  assert.equal(view.includeUsage, true);
  assert.equal(view.assistantTurns, 1);
  assert.deepEqual(view.toolResults, [{ text: "result", callId: "call_1" }]);
  assert.equal(view.wantsJson, true);
  assert.deepEqual(view.jsonSchema, { type: "object" });
});
