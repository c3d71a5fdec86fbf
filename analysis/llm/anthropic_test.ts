/**
 * The Messages API reader on the event shapes its reference documents: a tool call's input
 * streamed as `input_json_delta` pieces, given whole in its start block (as the MCP connector's
 * and server tools' blocks may be), and every `*_tool_use` block type read as a tool call.
 */
import assert from "node:assert/strict";
import { anthropicJson, anthropicStream } from "./anthropic.ts";

/** Feeds `events` (the SSE `data` objects, in order) and returns the reader's result. */
function stream(events: Record<string, unknown>[]) {
  const reader = anthropicStream();
  for (const e of events) reader.push(String(e.type), e);
  return reader.result();
}

const start = (i: number, block: Record<string, unknown>) => ({
  type: "content_block_start",
  index: i,
  content_block: block,
});
const delta = (i: number, d: Record<string, unknown>) => ({
  type: "content_block_delta",
  index: i,
  delta: d,
});
const head = {
  type: "message_start",
  message: { id: "msg_1", model: "claude-x", usage: { input_tokens: 10, output_tokens: 1 } },
};
const tail = [
  { type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 7 } },
  { type: "message_stop" },
];

Deno.test("anthropic stream: a tool call's input from its deltas, pieces joined", () => {
  const r = stream([
    head,
    start(0, { type: "text", text: "" }),
    delta(0, { type: "text_delta", text: "Reading it." }),
    start(1, { type: "tool_use", id: "toolu_1", name: "Read", input: {} }),
    delta(1, { type: "input_json_delta", partial_json: '{"file_path": "/tmp/' }),
    delta(1, { type: "input_json_delta", partial_json: 'a.txt"}' }),
    ...tail,
  ]);
  assert.equal(r.text, "Reading it.");
  assert.deepEqual(r.toolCalls.map((c) => [c.id, c.name, JSON.parse(c.input)]), [
    ["toolu_1", "Read", { file_path: "/tmp/a.txt" }],
  ]);
  assert.equal(r.complete, true);
  assert.equal(r.stopReason, "tool_use");
  assert.deepEqual([r.usage?.input, r.usage?.output], [10, 7]);
});

Deno.test("anthropic stream: MCP connector and server tool calls apart from the client's, input whole in the start block", () => {
  const r = stream([
    head,
    start(0, {
      type: "mcp_tool_use",
      id: "mcptoolu_1",
      name: "echo",
      server_name: "example",
      input: { message: "hi" },
    }),
    { type: "content_block_stop", index: 0 },
    start(1, { type: "mcp_tool_result", tool_use_id: "mcptoolu_1", content: [] }),
    start(2, { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: {} }),
    delta(2, { type: "input_json_delta", partial_json: '{"query": "weather"}' }),
    // an input given whole and streamed again: the deltas are the input, not appended to it
    start(3, { type: "tool_use", id: "toolu_2", name: "Bash", input: { command: "ls" } }),
    delta(3, { type: "input_json_delta", partial_json: "" }),
    delta(3, { type: "input_json_delta", partial_json: '{"command": "ls"}' }),
    // an input given whole, then only an empty piece: the input stays
    start(4, { type: "tool_use", id: "toolu_3", name: "Bash", input: { command: "pwd" } }),
    delta(4, { type: "input_json_delta", partial_json: "" }),
    ...tail,
  ]);
  assert.deepEqual(r.toolCalls.map((c) => [c.id, c.name, JSON.parse(c.input)]), [
    ["toolu_2", "Bash", { command: "ls" }],
    ["toolu_3", "Bash", { command: "pwd" }],
  ]);
  // Anthropic ran these: server tools, the MCP call with its (empty) result
  assert.deepEqual(r.serverTools.map((c) => [c.id, c.name, JSON.parse(c.input), c.resultType]), [
    ["mcptoolu_1", "echo", { message: "hi" }, "mcp_tool_result"],
    ["srvtoolu_1", "web_search", { query: "weather" }, undefined],
  ]);
  assert.deepEqual(r.unknown, []);
});

Deno.test("anthropic whole message: tool_use is the client's tool call, *_tool_use blocks the server's", () => {
  const r = anthropicJson({
    id: "msg_2",
    model: "claude-x",
    stop_reason: "end_turn",
    content: [
      { type: "text", text: "Done." },
      { type: "mcp_tool_use", id: "m1", name: "echo", server_name: "s", input: { a: 1 } },
      { type: "mcp_tool_result", tool_use_id: "m1", content: [{ type: "text", text: "1" }] },
      { type: "tool_use", id: "t1", name: "Write", input: { path: "x" } },
    ],
    usage: { input_tokens: 3, output_tokens: 2 },
  });
  assert.equal(r.text, "Done.");
  assert.deepEqual(r.toolCalls.map((c) => [c.id, c.name, JSON.parse(c.input)]), [
    ["t1", "Write", { path: "x" }],
  ]);
  assert.deepEqual(r.serverTools.map((c) => [c.id, c.name, JSON.parse(c.input), c.result]), [
    ["m1", "echo", { a: 1 }, "1"],
  ]);
});
