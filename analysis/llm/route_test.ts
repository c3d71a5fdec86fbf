import assert from "node:assert/strict";
import { isResponsesPath, routeApi, routeLlmCall } from "./route.ts";

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

Deno.test("routes: token counts and model listings are API requests, not model calls", () => {
  const cases: [string, string, string | null][] = [
    ["POST", "/v1/messages/count_tokens", "anthropic count"],
    ["POST", "/v1beta/models/gemini-x:countTokens", "gemini count gemini-x"],
    ["GET", "/v1/models", "openai-responses models"],
    ["GET", "/v1beta/models", "gemini models"],
    ["POST", "/v1beta/models/gemini%2Dx:generateContent", "gemini generate gemini-x"],
    ["POST", "/v1/messages", "anthropic generate"],
    ["GET", "/v1/messages", null],
    ["POST", "/v1/models", null],
  ];
  for (const [method, path, want] of cases) {
    const r = routeApi(method, path);
    assert.equal(
      r ? [r.provider, r.action, r.model].filter(Boolean).join(" ") : null,
      want,
      `${method} ${path}`,
    );
  }
  assert.equal(isResponsesPath("/v1/responses?x=1"), true);
  assert.equal(isResponsesPath("/backend-api/codex/responses"), true);
  assert.equal(isResponsesPath("/v1/messages"), false);
});
