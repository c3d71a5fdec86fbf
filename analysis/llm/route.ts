/**
 * Which LLM API an HTTP request calls, from its method and path alone: Anthropic Messages,
 * OpenAI Responses (with or without a `/v1` prefix, as proxies vary, and Codex's ChatGPT
 * backend `/backend-api/codex/responses`) or Chat Completions, or Gemini generateContent /
 * streamGenerateContent (model in the path). Token counting, model listings and anything else
 * are not LLM calls.
 */
import type { Provider } from "./shapes.ts";

export interface ApiRoute {
  provider: Provider;
  endpoint:
    | "messages"
    | "responses"
    | "chat.completions"
    | "generateContent"
    | "streamGenerateContent";
  /** Gemini: the model named in the path */
  model?: string;
}

export function routeLlmCall(
  method: string | undefined,
  target: string | undefined,
): ApiRoute | null {
  if (method !== "POST" || !target) return null;
  const q = target.indexOf("?");
  const path = q < 0 ? target : target.slice(0, q);
  if (/(^|\/)v1\/messages$|^\/messages$/.test(path)) {
    return { provider: "anthropic", endpoint: "messages" };
  }
  if (/(^|\/)(v1|codex)\/responses$|^\/responses$/.test(path)) {
    return { provider: "openai-responses", endpoint: "responses" };
  }
  if (/(^|\/)chat\/completions$/.test(path)) {
    return { provider: "openai-chat", endpoint: "chat.completions" };
  }
  const g = /\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(path);
  if (g) {
    return {
      provider: "gemini",
      endpoint: g[2] as "generateContent" | "streamGenerateContent",
      model: decodeURIComponent(g[1]),
    };
  }
  return null;
}
