/** Tests that the Gemini output is well-formed, streaming (CRLF SSE) and not. */

import assert from "node:assert/strict";
import { renderGeminiJson, renderGeminiStream } from "./gemini.ts";
import { parseSse } from "./testing/sse_parser.ts";
import { sampleReply } from "./testing/replies.ts";
import { inspectRequest } from "./request_view.ts";

Deno.test("gemini stream: CRLF events, thought then text then functionCall, usage on the last", () => {
  const reply = sampleReply({
    toolCalls: [{
      name: "run_shell_command",
      kind: "function",
      args: { command: "ls" },
    }],
  });
  const r = renderGeminiStream(reply);
  const raw = r.chunks.join("");
  assert.ok(
    r.chunks.every((c) => c.startsWith("data: ") && c.endsWith("\r\n\r\n")),
  );
  const data = parseSse(raw).map((e) => JSON.parse(e.data));
  assert.equal(data.length, r.chunks.length);
  const parts = data.flatMap((d) => d.candidates[0].content.parts);
  assert.ok(data.every((d) => d.candidates[0].content.role === "model"));
  assert.ok(
    data.every((d) => d.responseId === data[0].responseId && d.modelVersion === "test-model-1"),
  );
  const thought = parts.filter((p) => p.thought).map((p) => p.text).join("");
  const text = parts.filter((p) => !p.thought && typeof p.text === "string")
    .map((p) => p.text)
    .join("");
  assert.equal(thought, reply.thinking);
  assert.equal(text, reply.text);
  const calls = parts.filter((p) => p.functionCall);
  assert.deepEqual(calls.map((p) => p.functionCall), [{
    name: "run_shell_command",
    args: { command: "ls" },
  }]);
  assert.ok(typeof calls[0].thoughtSignature === "string");
  // Order: thoughts, then text, then the call.
  const kinds = parts.map((p) => p.thought ? "thought" : p.functionCall ? "call" : "text");
  assert.deepEqual([...new Set(kinds)], ["thought", "text", "call"]);
  assert.ok(
    data.slice(0, -1).every((d) => !("finishReason" in d.candidates[0])),
  );
  const last = data.at(-1);
  assert.equal(last.candidates[0].finishReason, "STOP");
  assert.equal(last.usageMetadata.promptTokenCount, 1234);
  assert.equal(last.usageMetadata.candidatesTokenCount, 56 - 12);
  assert.equal(last.usageMetadata.thoughtsTokenCount, 12);
  assert.equal(last.usageMetadata.cachedContentTokenCount, 789);
  assert.equal(last.usageMetadata.totalTokenCount, 1234 + 56);
});

Deno.test("gemini json: one response with every part", () => {
  const reply = sampleReply({ thinking: undefined, toolCalls: [] });
  const body = JSON.parse(renderGeminiJson(reply).chunks.join(""));
  assert.deepEqual(body.candidates[0].content.parts, [{ text: reply.text }]);
  assert.equal(body.candidates[0].finishReason, "STOP");
  assert.equal(body.usageMetadata.candidatesTokenCount, 44);
});

Deno.test("gemini request view: model from the path, function responses, JSON schema", () => {
  const view = inspectRequest(
    { provider: "gemini", model: "gemini-x", endpoint: "streamGenerateContent" },
    {
      contents: [
        {
          role: "user",
          parts: [{
            text: "<session_context>Workspace Directories:**\n  - /w\n",
          }],
        },
        { role: "user", parts: [{ text: "go" }] },
        {
          role: "model",
          parts: [{ functionCall: { name: "run_shell_command", args: {} } }],
        },
        {
          role: "user",
          parts: [{
            functionResponse: {
              id: "x1",
              name: "run_shell_command",
              response: { output: "o" },
            },
          }],
        },
      ],
      tools: [{
        functionDeclarations: [{
          name: "run_shell_command",
          parametersJsonSchema: {},
        }],
      }],
      generationConfig: { responseJsonSchema: { type: "OBJECT" } },
    },
  );
  assert.equal(view.model, "gemini-x");
  assert.equal(view.assistantTurns, 1);
  assert.deepEqual(view.toolResults, [
    { text: "o", callId: "x1", name: "run_shell_command", isError: false },
  ]);
  assert.equal(view.wantsJson, true);
  assert.equal(view.lastUserText, "go");
});
