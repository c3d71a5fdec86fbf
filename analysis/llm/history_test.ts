/** Tests of the history hashes that tell a call's conversation (shapes.ts `historyOf`). */
import assert from "node:assert/strict";
import { hashText } from "./shapes.ts";
import { anthropicRequest } from "./anthropic.ts";
import { chatRequest } from "./openai_chat.ts";
import { responsesHistory } from "./openai_responses.ts";

const SYSTEM = [{
  type: "text",
  text: "You are a coding agent.",
  cache_control: { type: "ephemeral" },
}];
const user = { role: "user", content: "print the marker" };
const call = {
  role: "assistant",
  content: [{ type: "tool_use", id: "t1", name: "Bash", input: {} }],
};
const result = {
  role: "user",
  content: [{ type: "tool_result", tool_use_id: "t1", content: "m" }],
};

Deno.test("a call's history holds the history of the call it continues before the model's turn", () => {
  const first = anthropicRequest({ system: SYSTEM, messages: [user] }).history!;
  const next = anthropicRequest({ system: SYSTEM, messages: [user, call, result] }).history!;
  assert.deepEqual(first.turns, []);
  assert.deepEqual(next.turns, [first.hash]);
  assert.notEqual(next.hash, first.hash);
});

Deno.test("the same history however the client wrote it: string or block content, cache marks moved", () => {
  const a = anthropicRequest({ system: SYSTEM, messages: [user] }).history!;
  const b = anthropicRequest({
    system: [{ type: "text", text: "You are a coding agent." }],
    messages: [{
      role: "user",
      content: [{ type: "text", text: "print the marker", cache_control: { type: "ephemeral" } }],
    }],
  }).history!;
  assert.equal(b.hash, a.hash);
  assert.equal(b.system, a.system);
});

Deno.test("another system prompt is another system hash over the same entries; another first message another history", () => {
  const a = anthropicRequest({ system: SYSTEM, messages: [user] }).history!;
  const b = anthropicRequest({ system: "You are a sub-agent.", messages: [user] }).history!;
  const c = anthropicRequest({ system: SYSTEM, messages: [{ role: "user", content: "other" }] })
    .history!;
  assert.notEqual(b.system, a.system);
  assert.equal(b.hash, a.hash);
  assert.notEqual(c.hash, a.hash);
  assert.equal(c.system, a.system);
});

Deno.test("the opening's lines: the entries up to the first model turn's end, each line once", () => {
  const h = anthropicRequest({
    system: SYSTEM,
    messages: [
      { role: "user", content: "Summary:\n  first line of it\n  first line of it\nshort" },
      { role: "assistant", content: "an answer that is long enough" },
      { role: "user", content: "a later message, not the opening" },
    ],
  }).history!;
  assert.deepEqual(
    h.lead.hashes,
    ["Summary:", "first line of it", "an answer that is long enough"].map((l) => hashText(l)),
  );
  assert.deepEqual(h.lead.lengths, [8, 16, 29]);
  assert.equal(h.lead.chars, 53);
});

Deno.test("Chat Completions: a run of assistant entries is one turn; leading system messages are the system prompt", () => {
  const sys = { role: "system", content: "be brief" };
  const first = chatRequest({ messages: [sys, { role: "user", content: "hi" }] }).history!;
  const a1 = { role: "assistant", content: "", tool_calls: [{ id: "c1" }] };
  const a2 = { role: "assistant", content: "more" };
  const next = chatRequest({ messages: [sys, { role: "user", content: "hi" }, a1, a2] }).history!;
  assert.deepEqual(next.turns, [first.hash]);
  // a summariser's own system prompt over the same entries: the same entries, another system
  const other = chatRequest({
    messages: [{ role: "system", content: "summarise" }, { role: "user", content: "hi" }],
  }).history!;
  assert.equal(other.hash, first.hash);
  assert.notEqual(other.system, first.system);
});

Deno.test("hashText: continues a seed, and tells near strings apart", () => {
  assert.equal(hashText("ab"), hashText("ab"));
  assert.notEqual(hashText("ab"), hashText("ba"));
  assert.notEqual(hashText("b", hashText("a")), hashText("ab", 0));
  assert.ok(Number.isSafeInteger(hashText("x".repeat(1000))));
});

Deno.test("a system prompt as a string or as its text block is the same history", () => {
  const a = anthropicRequest({ system: "You are a coding agent.", messages: [user] }).history!;
  const b = anthropicRequest({ system: SYSTEM, messages: [user] }).history!;
  assert.equal(a.system, b.system);
});

Deno.test("a body nested deeper than a replacer's stack has no history, and reading it does not throw", () => {
  let deep: unknown = "x";
  for (let i = 0; i < 20_000; i++) deep = [deep];
  const body = JSON.parse(
    JSON.stringify({ system: SYSTEM, messages: [{ ...user, metadata_x: deep }] }),
  );
  const r = anthropicRequest(body);
  assert.equal(r.history, undefined);
  assert.equal(r.userInput, "print the marker");
});

Deno.test("a Responses chain's history, continued from the response it names, is the history of the whole input", () => {
  const dev = {
    type: "message",
    role: "developer",
    content: [{ type: "input_text", text: "rules" }],
  };
  const ask = { type: "message", role: "user", content: "Summary:\nline one of the summary" };
  const out1 = [{ type: "reasoning", summary: [] }, {
    type: "function_call",
    call_id: "c1",
    name: "exec_command",
    arguments: "{}",
  }];
  const in2 = [{ type: "function_call_output", call_id: "c1", output: "a longer tool output" }];
  const out2 = [{
    type: "message",
    role: "assistant",
    content: [{ type: "output_text", text: "done" }],
  }];
  const in3 = [{ type: "message", role: "user", content: "and now the next one" }];
  const first = responsesHistory("be brief", [dev, ask])!;
  const second = responsesHistory("be brief", [...out1, ...in2], first)!;
  const third = responsesHistory("be brief", [...out2, ...in3], second)!;
  const whole = responsesHistory("be brief", [dev, ask, ...out1, ...in2, ...out2, ...in3])!;
  assert.deepEqual(third, whole);
  assert.deepEqual(second, responsesHistory("be brief", [dev, ask, ...out1, ...in2]));
  assert.equal(whole.turns.length, 2);
  assert.equal(whole.opening, "done");
});
