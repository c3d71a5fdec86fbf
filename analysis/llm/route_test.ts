import assert from "node:assert/strict";
import { routeLlmCall } from "./route.ts";

Deno.test("routes: the LLM APIs by method and path, nothing else", () => {
  const cases: [string, string, string | null][] = [
    ["POST", "/v1/messages?beta=true", "anthropic messages"],
    ["POST", "/v1/responses", "openai-responses responses"],
    ["POST", "/responses", "openai-responses responses"],
    // Codex signed in with ChatGPT: https://chatgpt.com/backend-api/codex/responses
    ["POST", "/backend-api/codex/responses", "openai-responses responses"],
    ["POST", "/openai/v1/chat/completions", "openai-chat chat.completions"],
    [
      "POST",
      "/v1beta/models/gemini-x:streamGenerateContent?alt=sse",
      "gemini streamGenerateContent",
    ],
    ["GET", "/v1/responses", null],
    ["POST", "/v1/messages/count_tokens", null],
    ["POST", "/api/survey/responses", null],
    ["GET", "/backend-api/codex/models", null],
  ];
  for (const [method, path, want] of cases) {
    const r = routeLlmCall(method, path);
    assert.equal(r ? `${r.provider} ${r.endpoint}` : null, want, `${method} ${path}`);
  }
});
