/**
 * Which conversation each LLM call belongs to (`llm_calls.conversation_id`), on hand-made
 * HTTP/1.1 exchanges of one process: the rules a real capture cannot easily stage (two
 * identical sub-agents at once, a failed call retried). Real captures: lab/integration's
 * subagent and api_errors tests.
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
const answer = (status: number, body: unknown) => {
  const b = JSON.stringify(body);
  return enc.encode(
    `HTTP/1.1 ${status} X\r\nContent-Type: application/json\r\nContent-Length: ${b.length}\r\n\r\n${b}`,
  );
};
const text = (t: string) =>
  answer(200, {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5",
    content: [{ type: "text", text: t }],
    stop_reason: "end_turn",
    usage: { input_tokens: 10, output_tokens: 5 },
  });
const overloaded = answer(529, {
  type: "error",
  error: { type: "overloaded_error", message: "Overloaded" },
});
const ask = (content: string) => ({
  model: "claude-sonnet-4-5",
  max_tokens: 10,
  system: "You are a sub-agent.",
  messages: [{ role: "user", content }],
});
/** TLS calls of pid 7: [connection, direction, bytes], in time order. */
const view = (calls: [number, "write" | "read", Uint8Array][]) =>
  handView(calls.map(([c, d, b]) => [d, b, BigInt(c)]), {
    pid: 7,
    connId: 0n,
    step: 1_000_000n,
    lib: "test",
  });
const convs = async (calls: [number, "write" | "read", Uint8Array][]) =>
  (await buildHttpTables("r", view(calls), prices)).calls.map((c) => Number(c.conversation_id));

Deno.test("two identical requests in flight at once are two conversations (parallel sub-agents)", async () => {
  const task = post(ask("Search the repo for TODO comments and list them"));
  assert.deepEqual(
    await convs([[1, "write", task], [2, "write", task], [1, "read", text("a")], [
      2,
      "read",
      text("b"),
    ]]),
    [1, 2],
  );
});

Deno.test("a failed call sent again with the same history is one conversation (a retry)", async () => {
  const task = post(ask("Search the repo for TODO comments and list them"));
  assert.deepEqual(
    await convs([[1, "write", task], [1, "read", overloaded], [1, "write", task], [
      1,
      "read",
      text("a"),
    ]]),
    [1, 1],
  );
});

Deno.test("an answered call sent again with the same history starts another conversation", async () => {
  const task = post(ask("Search the repo for TODO comments and list them"));
  assert.deepEqual(
    await convs([[1, "write", task], [1, "read", text("a")], [1, "write", task], [
      1,
      "read",
      text("b"),
    ]]),
    [1, 2],
  );
});

Deno.test("a call whose history holds an earlier call's before the model's answer continues it", async () => {
  const first = ask("Say hello");
  const next = {
    ...first,
    messages: [...first.messages, { role: "assistant", content: "hello" }, {
      role: "user",
      content: "again",
    }],
  };
  assert.deepEqual(
    await convs([[1, "write", post(first)], [1, "read", text("hello")], [1, "write", post(next)], [
      1,
      "read",
      text("hello"),
    ]]),
    [1, 1],
  );
});
