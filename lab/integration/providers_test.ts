/**
 * The provider readers on every wire format the scripted model server renders (whose output
 * follows the real APIs): Anthropic Messages (and its Bedrock stream in AWS event-stream
 * frames), OpenAI Responses and Chat Completions, Gemini; streaming and not. The reply the server was given is the oracle. Streams cut short still
 * yield what arrived, flagged incomplete, without inventing usage.
 */
import assert from "node:assert/strict";
import {
  renderAnthropicJson,
  renderAnthropicStream,
  renderBedrockStream,
} from "../simulator/anthropic_messages.ts";
import { renderGeminiJson, renderGeminiStream } from "../simulator/gemini.ts";
import { renderChatJson, renderChatStream } from "../simulator/openai_chat.ts";
import { renderResponsesJson, renderResponsesStream } from "../simulator/openai_responses.ts";
import type { RenderedResponse, Reply } from "../simulator/reply.ts";
import { awsEvents, sseEvents } from "../../analysis/message_body.ts";
import { concatBytes } from "../../kit/bytes.ts";
import { readCall } from "../../analysis/llm/read_call.ts";
import type { ApiRoute } from "../../analysis/llm/route.ts";
import { chatRequest } from "../../analysis/llm/openai_chat.ts";

const enc = new TextEncoder();

const reply: Reply = {
  model: "model-x",
  thinking: "Let me think about it.",
  text: "Here is the answer, with ünïcödé and a long enough text to be split into deltas.",
  toolCalls: [
    { name: "run", kind: "function", args: { command: "ls -la", n: 2 } },
    { name: "patch", kind: "custom", input: "*** Begin Patch\n*** End Patch\n" },
  ],
  usage: {
    inputTokens: 1234,
    outputTokens: 56,
    cacheReadTokens: 789,
    cacheWriteTokens: 10,
    reasoningTokens: 20,
  },
  seed: "providers-test",
  created: 1767225600,
};

interface Case {
  name: string;
  route: ApiRoute;
  render: (r: Reply) => RenderedResponse;
  thinking: boolean;
  custom: boolean;
  cacheWrite: boolean;
}

const cases: Case[] = [
  ["anthropic", "messages", renderAnthropicJson, renderAnthropicStream, true, false, true],
  ["openai-responses", "responses", renderResponsesJson, renderResponsesStream, true, true, false],
  [
    "openai-chat",
    "chat.completions",
    renderChatJson,
    (r: Reply) => renderChatStream(r, true),
    false,
    true,
    false,
  ],
  ["gemini", "generateContent", renderGeminiJson, renderGeminiStream, true, false, false],
].flatMap(([p, e, json, stream, thinking, custom, cacheWrite]) =>
  [["json", json], ["stream", stream]].map(([mode, render]) => ({
    name: `${p} ${mode}`,
    route: { provider: p, endpoint: e } as ApiRoute,
    render: render as (r: Reply) => RenderedResponse,
    thinking: thinking as boolean,
    custom: custom as boolean,
    cacheWrite: cacheWrite as boolean,
  }))
);

function read(c: Case, chunks: string[], streaming: boolean) {
  const bytes = enc.encode(chunks.join(""));
  if (!streaming) return readCall(c.route, undefined, { body: bytes, endOffset: 0 });
  const body = { bytes, offsetOf: (p: number) => p, encoding: null };
  return readCall(c.route, undefined, { events: sseEvents(body).events });
}

for (const c of cases) {
  Deno.test(`${c.name}: text, thinking, tool calls, usage`, () => {
    const rendered = c.render(reply);
    const { response: r, firstOutputOffset } = read(c, rendered.chunks, rendered.streaming);
    assert.equal(r.complete, true);
    assert.equal(r.model, "model-x");
    assert.equal(r.text, reply.text);
    assert.equal(r.thinking, c.thinking ? reply.thinking : "");
    // a custom (free-form) tool: Responses and Chat Completions send its text; the others
    // have no such tools and the server sends no arguments
    const customInput = (t: string) => c.custom ? t : {};
    const calls = reply.toolCalls.map((t) => ({
      name: t.name,
      input: t.kind === "custom" ? customInput(t.input!) : t.args,
    }));
    assert.deepEqual(r.toolCalls.map((t) => ({ name: t.name, input: JSON.parse(t.input) })), calls);
    if (c.route.provider !== "gemini") assert.ok(r.toolCalls.every((t) => t.id), "ids");
    assert.deepEqual(r.usage, {
      input: 1234,
      output: 56,
      cacheRead: 789,
      ...(c.cacheWrite ? { cacheWrite: 10 } : {}),
      // the scripted server says how many of the cache writes are for an hour: none
      ...(c.route.provider === "anthropic" ? { cacheWrite1h: 0 } : { reasoning: 20 }),
    });
    assert.ok(r.stopReason);
    assert.ok(
      r.responseId || c.route.provider === "anthropic" && !rendered.streaming || r.responseId,
    );
    assert.notEqual(firstOutputOffset, null);
  });

  if (c.name.endsWith("stream")) {
    Deno.test(`${c.name} cut short: what arrived, incomplete, no invented usage`, () => {
      const chunks = c.render(reply).chunks;
      // keep the events up to the middle of the text
      const cut = chunks.findIndex((s) => s.includes("enough"));
      const { response: r } = read(c, chunks.slice(0, cut), true);
      assert.equal(r.complete, false);
      assert.ok(r.text.length > 0 && reply.text!.startsWith(r.text) && r.text !== reply.text);
      assert.equal(r.usage?.output, undefined, "no output count before the final event");
      assert.deepEqual(r.toolCalls, []);
    });
  }
}

Deno.test("chat request: system prompt, new user input, tool results by id", () => {
  const q = chatRequest({
    model: "m",
    stream: true,
    messages: [
      { role: "system", content: "be brief" },
      { role: "user", content: "first" },
      { role: "assistant", content: null, tool_calls: [{ id: "c1", function: { name: "f" } }] },
      { role: "tool", tool_call_id: "c1", content: "out" },
      { role: "user", content: [{ type: "text", text: "next" }] },
    ],
    tools: [{ type: "function", function: { name: "f" } }],
  });
  assert.equal(q.systemPrompt, "be brief");
  assert.equal(q.userInput, "next");
  assert.deepEqual(q.toolResults, [{ callId: "c1", text: "out" }]);
  assert.equal(q.messages, 5);
  assert.equal(q.toolsOffered, 1);
});

Deno.test("anthropic on Bedrock: the event-stream frames read as the SSE stream does", () => {
  const route: ApiRoute = { provider: "anthropic", endpoint: "messages", platform: "bedrock" };
  const frames = renderBedrockStream(reply);
  assert.equal(frames.headers["content-type"], "application/vnd.amazon.eventstream");
  const bytes = concatBytes(frames.chunks);
  const read = (b: Uint8Array) => {
    const body = { bytes: b, offsetOf: (p: number) => p, encoding: null };
    const events = awsEvents(body);
    return { ...readCall(route, undefined, { events: events.events }), error: events.error };
  };
  const r = read(bytes);
  assert.equal(r.error, undefined);
  const sse = readCall(route, undefined, {
    events: sseEvents({
      bytes: enc.encode(renderAnthropicStream(reply).chunks.join("")),
      offsetOf: (p: number) => p,
      encoding: null,
    }).events,
  });
  assert.deepEqual(r.response, sse.response);
  assert.equal(r.response.complete, true);
  assert.equal(r.response.text, reply.text);
  assert.deepEqual(r.response.usage, {
    input: 1234,
    output: 56,
    cacheRead: 789,
    cacheWrite: 10,
    cacheWrite1h: 0,
  });
  // cut inside a frame: what arrived, incomplete, one error line
  const cut = read(bytes.subarray(0, bytes.length - 40));
  assert.equal(cut.response.complete, false);
  assert.match(cut.error!, /^event-stream message \d+ cut short: \d+ of \d+ bytes/);
});
