/**
 * Two ordinary Claude Code sessions the conversation rules once split or merged wrongly (found
 * by a review, reproduced on hand-made HTTP/1.1 exchanges): a tool result whose reminder quotes
 * the tool call's path was taken for a fork, and a sub-agent whose task quotes an earlier
 * sub-agent's report was taken for that sub-agent continued after a compaction.
 */
import assert from "node:assert/strict";
import { handView, prices } from "./testing.ts";
import { buildHttpTables } from "./http_tables.ts";

const enc = new TextEncoder();
const post = (body: unknown) => {
  const b = JSON.stringify(body);
  return enc.encode(
    "POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\nContent-Type: application/json\r\n" +
      `Content-Length: ${enc.encode(b).length}\r\n\r\n${b}`,
  );
};
const msg = (content: unknown[]) => {
  const b = JSON.stringify({
    id: "m",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5",
    content,
    stop_reason: "end_turn",
    usage: { input_tokens: 10, output_tokens: 5 },
  });
  return enc.encode(
    `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${
      enc.encode(b).length
    }\r\n\r\n${b}`,
  );
};
const text = (t: string) => msg([{ type: "text", text: t }]);
const tool = (id: string, name: string, input: unknown) =>
  msg([{ type: "tool_use", id, name, input }]);
const TOOLS = [{ name: "Edit", input_schema: { type: "object" } }, {
  name: "Agent",
  input_schema: { type: "object" },
}];
const turn = (system: string, messages: unknown[]) => ({
  model: "claude-sonnet-4-5",
  max_tokens: 10,
  system,
  tools: TOOLS,
  messages,
});
/** The tables of TLS calls of one process, one connection, in order. */
const tables = (calls: ["write" | "read", Uint8Array][]) => {
  const v = handView(calls.map(([d, b]) => [d, b, 1n]), {
    pid: 7,
    connId: 0n,
    step: 1_000_000n,
    lib: "test",
  });
  return buildHttpTables("r", { ...v, pid: Array.from(v.connId, () => 7) }, prices);
};

Deno.test("a tool result whose reminder quotes the tool call's path continues its conversation, not a fork", async () => {
  const P = "You are Claude Code.";
  const first = [{ role: "user", content: "Fix the off-by-one in the parser" }];
  const input = {
    file_path: "/home/u/repo/src/parser.ts",
    old_string: "i <= n",
    new_string: "i < n",
  };
  const asked = {
    role: "assistant",
    content: [{ type: "tool_use", id: "toolu_1", name: "Edit", input }],
  };
  const second = [...first, asked, {
    role: "user",
    content: [
      { type: "tool_result", tool_use_id: "toolu_1", content: "The file has been updated." },
      {
        type: "text",
        text: "<system-reminder>Note: /home/u/repo/src/parser.ts was modified, either by the " +
          "user or by a linter.</system-reminder>",
      },
    ],
  }];
  const t = await tables([
    ["write", post(turn(P, first))],
    ["read", tool("toolu_1", "Edit", input)],
    ["write", post(turn(P, second))],
    ["read", text("Fixed.")],
  ]);
  assert.deepEqual(t.calls.map((c) => [Number(c.conversation_id), c.conversation_via]), [
    [1, null],
    [1, "tool_results"],
  ]);
  // and the Edit has its result
  assert.deepEqual(t.tools.map((x) => [x.name, x.result_llm_call_id, x.result_text]), [
    ["Edit", 2n, "The file has been updated."],
  ]);
});

Deno.test("a sub-agent whose task quotes another sub-agent's report is a conversation of its own", async () => {
  const REPORT = [
    "1. The tokenizer bug is in src/parser.ts, function peek(), an off-by-one at the end",
    "2. tests/parser_test.ts reproduces it with an input ending in a multi-byte character",
    "3. The fix: compare i < n rather than i <= n, and add a test for the empty input",
  ].join("\n");
  const P = "You are Claude Code.", S = "You are a sub-agent.";
  const RESEARCH = "Research the tokenizer bug in src/parser.ts";
  const TASK = "Implement this fix:\n" + REPORT;
  const p1 = [{ role: "user", content: "Research the tokenizer bug, then have someone fix it" }];
  const p1a = {
    role: "assistant",
    content: [{ type: "tool_use", id: "t1", name: "Agent", input: { prompt: RESEARCH } }],
  };
  const p2 = [...p1, p1a, {
    role: "user",
    content: [{ type: "tool_result", tool_use_id: "t1", content: REPORT }],
  }];
  const t = await tables([
    ["write", post(turn(P, p1))],
    ["read", tool("t1", "Agent", { prompt: RESEARCH })],
    ["write", post(turn(S, [{ role: "user", content: RESEARCH }]))],
    ["read", text(REPORT)],
    ["write", post(turn(P, p2))],
    ["read", tool("t2", "Agent", { prompt: TASK })],
    ["write", post(turn(S, [{ role: "user", content: TASK }]))],
    ["read", text("Fixed it.")],
  ]);
  assert.deepEqual(t.calls.map((c) => [Number(c.conversation_id), c.conversation_via]), [
    [1, null],
    [2, null],
    [1, "tool_results"],
    [4, null],
  ]);
});
