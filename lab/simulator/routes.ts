/**
 * Routing for the model server: which API a request is for (Anthropic Messages, OpenAI
 * Responses or Chat Completions, Gemini generateContent), and which requests are token counts,
 * model listings or connectivity probes, from the method and path alone.
 */

import type { Provider } from "./request_view.ts";

/** Which API a request is for, from its method and path. */
export interface Route {
  provider?: Provider;
  /** Gemini: model from the path; stream from the method name. */
  model?: string;
  stream?: boolean;
  /** "generate" (model call), "count" (token counting), "models" (listing), "probe" (HEAD). */
  action: "generate" | "count" | "models" | "probe" | "unknown";
  sse?: boolean;
}

/** Routes a request by method and path. */
export function routeRequest(method: string, url: string): Route {
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
  // Connectivity checks: Claude Code sends `HEAD /` or `HEAD /api/hello` before it starts.
  if (
    method === "HEAD" ||
    (method === "GET" && ["/", "", "/api/hello"].includes(path))
  ) {
    return { action: "probe" };
  }
  if (method === "POST" && /^(\/v1)?\/messages$/.test(path)) {
    return { provider: "anthropic", action: "generate" };
  }
  if (method === "POST" && /^(\/v1)?\/messages\/count_tokens$/.test(path)) {
    return { provider: "anthropic", action: "count" };
  }
  if (method === "POST" && /^(\/v1|\/backend-api\/codex)?\/responses$/.test(path)) {
    return { provider: "openai-responses", action: "generate" };
  }
  if (method === "POST" && /^(\/v1)?\/chat\/completions$/.test(path)) {
    return { provider: "openai-chat", action: "generate" };
  }
  const g = /^\/v1[a-z0-9]*\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/
    .exec(path);
  if (method === "POST" && g) {
    if (g[2] === "countTokens") {
      return { provider: "gemini", model: g[1], action: "count" };
    }
    const stream = g[2] === "streamGenerateContent";
    return {
      provider: "gemini",
      model: g[1],
      stream,
      sse: query.get("alt") === "sse",
      action: "generate",
    };
  }
  if (method === "GET" && /^\/v1[a-z0-9]*\/models$/.test(path)) {
    return {
      provider: path.startsWith("/v1/") ? "openai-responses" : "gemini",
      action: "models",
    };
  }
  return { action: "unknown" };
}
