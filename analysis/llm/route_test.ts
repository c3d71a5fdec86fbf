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
    // Ollama's native API (and behind a proxy's prefix, as Open WebUI's /ollama/)
    ["POST", "/api/chat", "ollama api/chat"],
    ["POST", "/api/generate", "ollama api/generate"],
    ["POST", "/ollama/api/chat", "ollama api/chat"],
    ["GET", "/api/chat", null],
    ["POST", "/api/embed", null],
    ["POST", "/api/chatroom", null],
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
    ["GET", "/api/tags", "ollama models"],
    ["POST", "/api/tags", null],
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

Deno.test("routes: Anthropic on Vertex AI and Bedrock, OpenAI on Azure, by the SDKs' paths", () => {
  // the paths @anthropic-ai/vertex-sdk and @anthropic-ai/bedrock-sdk (client.js, adaptRequest)
  // rewrite `/v1/messages` into: model URL-encoded by their `path` tag, stream in the method
  const cases: [string, string, string | null][] = [
    [
      "POST",
      "/v1/projects/my-proj/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5%4020250929:streamRawPredict",
      "vertex anthropic messages claude-sonnet-4-5@20250929 stream",
    ],
    [
      "POST",
      "/v1/projects/p/locations/global/publishers/anthropic/models/claude-haiku-4-5@20251001:rawPredict",
      "vertex anthropic messages claude-haiku-4-5@20251001 nostream",
    ],
    [
      "POST",
      "/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke-with-response-stream",
      "bedrock anthropic messages us.anthropic.claude-sonnet-4-5-20250929-v1:0 stream",
    ],
    [
      "POST",
      "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123%3Aapplication-inference-profile%2Fabc/invoke",
      "bedrock anthropic messages arn:aws:bedrock:us-east-1:123:application-inference-profile/abc nostream",
    ],
    [
      "POST",
      "/openai/deployments/my-gpt/chat/completions?api-version=2024-10-21",
      "azure openai-chat chat.completions my-gpt -",
    ],
    [
      "POST",
      "/openai/responses?api-version=2025-04-01-preview",
      "azure openai-responses responses - -",
    ],
    ["POST", "/openai/v1/responses", "azure openai-responses responses - -"],
    // Gemini on Vertex keeps its own method names
    [
      "POST",
      "/v1/projects/p/locations/l/publishers/google/models/gemini-3.8-flash:streamGenerateContent",
      "- gemini streamGenerateContent gemini-3.8-flash -",
    ],
    ["GET", "/model/x/invoke", null],
    ["POST", "/model/x/converse", null],
    ["POST", "/v1/projects/p/locations/l/publishers/anthropic/models/m:predict", null],
  ];
  for (const [method, path, want] of cases) {
    const r = routeLlmCall(method, path);
    const stream = r?.stream === undefined ? "-" : r.stream ? "stream" : "nostream";
    assert.equal(
      r ? [r.platform ?? "-", r.provider, r.endpoint, r.model ?? "-", stream].join(" ") : null,
      want,
      `${method} ${path}`,
    );
  }
  const count = (p: string) => {
    const r = routeApi("POST", p);
    return r ? `${r.platform} ${r.provider} ${r.action}` : null;
  };
  assert.equal(
    count("/v1/projects/p/locations/l/publishers/anthropic/models/count-tokens:rawPredict"),
    "vertex anthropic count",
  );
  assert.equal(count("/model/anthropic.claude-x/count-tokens"), "bedrock anthropic count");
  // Bedrock's ListInferenceProfiles, which Claude Code on Bedrock asks first
  const list = routeApi("GET", "/inference-profiles?type=SYSTEM_DEFINED");
  assert.deepEqual(list, { provider: "anthropic", action: "models", platform: "bedrock" });
  assert.equal(isResponsesPath("/openai/responses?api-version=preview"), true);
});
