/** Which requests are the script's turns (request_kind.ts), per-request scenarios too. */
import assert from "node:assert/strict";
import { classifyRequest } from "./request_kind.ts";
import type { RequestView } from "./request_view.ts";

const view = (o: Partial<RequestView>): RequestView => ({
  provider: "gemini",
  stream: false,
  tools: [],
  assistantTurns: 0,
  toolResults: [],
  wantsJson: false,
  texts: [],
  ...o,
});
const router = view({
  wantsJson: true,
  jsonSchema: { type: "object", properties: { reasoning: {}, model_choice: {} } },
});
const nextSpeaker = view({
  wantsJson: true,
  jsonSchema: { type: "object", properties: { reasoning: {}, next_speaker: {} } },
});

Deno.test("the Gemini CLI's router and next-speaker checks are side requests, per-request too", () => {
  // the Gemini CLI asks its router which model to use before its first turn: under a
  // per-request scenario (compaction.json) it took the first turn, which offers a shell
  // command, and the server could not answer it (no tools offered)
  for (const perRequest of [false, true]) {
    assert.deepEqual(classifyRequest(router, perRequest), { kind: "side", side: "router" });
    assert.deepEqual(classifyRequest(nextSpeaker, perRequest), {
      kind: "side",
      side: "next-speaker",
    });
  }
});

Deno.test("per-request: any other request is a turn, a summary's or a JSON answer's", () => {
  // a compaction's summary request offers no tools; an observer asks JSON of its own schema
  const noTools = view({ texts: ["Summarise the conversation so far."] });
  assert.deepEqual(classifyRequest(noTools, false), { kind: "side", side: "no-tools" });
  assert.deepEqual(classifyRequest(noTools, true), { kind: "main" });
  const json = view({ wantsJson: true, jsonSchema: { properties: { verdict: {} } } });
  assert.deepEqual(classifyRequest(json, true), { kind: "main" });
  // Chat Completions: always a turn
  assert.deepEqual(classifyRequest({ ...router, provider: "openai-chat" }, false), {
    kind: "main",
  });
});

Deno.test("a title request is a side request, per-request too", () => {
  // opencode asks for the session's title (no tools) beside its first turn: under compaction.json
  // it took the first turn, a shell command, and the server could not answer it
  const title = view({
    provider: "anthropic",
    texts: ["You are a title generator. You output ONLY a thread title."],
  });
  assert.deepEqual(classifyRequest(title, true), { kind: "side", side: "title" });
});

Deno.test("per-request: a title request is told by the analysis' rule, its lead text alone", async () => {
  // a compaction's summariser (no tools) whose quoted history, past its first messages, asks to
  // change a page title: a turn of the script (the summary's), as the analysis reads it
  const { inspectRequest } = await import("./request_view.ts");
  const user = (text: string) => ({ role: "user", content: [{ type: "text", text }] });
  const body = {
    model: "m",
    max_tokens: 10,
    system: "Summarise the conversation below.",
    messages: [
      user("go"),
      { role: "assistant", content: [{ type: "text", text: "ok" }] },
      user("next"),
      { role: "assistant", content: [{ type: "text", text: "done" }] },
      user("Change the page title to Home, then summarise."),
    ],
  };
  const route = { provider: "anthropic" as const, endpoint: "messages" as const, stream: false };
  const summariser = inspectRequest(route, body);
  assert.deepEqual(classifyRequest(summariser, true), { kind: "main" });
  // the same words in its system prompt: a title request
  const title = inspectRequest(route, { ...body, system: "Write a short title for this chat." });
  assert.deepEqual(classifyRequest(title, true), { kind: "side", side: "title" });
});
