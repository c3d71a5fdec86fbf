/**
 * The one place that knows each LLM API's routes, from the method and path alone: Anthropic
 * Messages (and its token count), OpenAI Responses (with or without a `/v1` prefix, as proxies
 * vary, and Codex's ChatGPT backend `/backend-api/codex/responses`) and Chat Completions,
 * Gemini generateContent / streamGenerateContent / countTokens (model in the path), and the
 * OpenAI and Gemini model listings. The analysis asks routeLlmCall (model calls only: token
 * counts, listings and anything else are not LLM calls); the scripted model server
 * (lab/simulator/routes.ts) routes what it serves with routeApi.
 */
import type { Provider } from "./shapes.ts";

export type { Provider } from "./shapes.ts";

/** A model call. */
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

/** Any request of an LLM API: a model call, a token count or a model listing. */
export type ApiRequestRoute =
  | (ApiRoute & { action: "generate" })
  | { provider: Provider; action: "count" | "models"; model?: string };

/** Model calls by the end of their path (clients and proxies put prefixes before it). */
const MODEL_CALLS: { provider: Provider; endpoint: ApiRoute["endpoint"]; path: RegExp }[] = [
  { provider: "anthropic", endpoint: "messages", path: /(^|\/)v1\/messages$|^\/messages$/ },
  {
    provider: "openai-responses",
    endpoint: "responses",
    path: /(^|\/)(v1|codex)\/responses$|^\/responses$/,
  },
  { provider: "openai-chat", endpoint: "chat.completions", path: /(^|\/)chat\/completions$/ },
];
const ANTHROPIC_COUNT = /(^|\/)v1\/messages\/count_tokens$|^\/messages\/count_tokens$/;
const GEMINI_METHOD = /\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/;
/** `GET /v1/models` (OpenAI), `GET /v1beta/models` (Gemini) */
const MODEL_LIST = /^\/v1[a-z0-9]*\/models$/;

/** The path of a request target, without its query. */
export function pathOf(target: string): string {
  const q = target.indexOf("?");
  return q < 0 ? target : target.slice(0, q);
}

/** Which API request this is, or null when it is none of theirs. */
export function routeApi(
  method: string | undefined,
  target: string | undefined,
): ApiRequestRoute | null {
  if (!target) return null;
  const path = pathOf(target);
  if (method === "GET" && MODEL_LIST.test(path)) {
    return { provider: path.startsWith("/v1/") ? "openai-responses" : "gemini", action: "models" };
  }
  if (method !== "POST") return null;
  for (const c of MODEL_CALLS) {
    if (c.path.test(path)) {
      return { provider: c.provider, endpoint: c.endpoint, action: "generate" };
    }
  }
  if (ANTHROPIC_COUNT.test(path)) return { provider: "anthropic", action: "count" };
  const g = GEMINI_METHOD.exec(path);
  if (!g) return null;
  const model = decodeURIComponent(g[1]);
  if (g[2] === "countTokens") return { provider: "gemini", action: "count", model };
  return {
    provider: "gemini",
    endpoint: g[2] as "generateContent" | "streamGenerateContent",
    model,
    action: "generate",
  };
}

/** The model call this request is, or null (token counts, listings and others are not). */
export function routeLlmCall(
  method: string | undefined,
  target: string | undefined,
): ApiRoute | null {
  const r = routeApi(method, target);
  if (r?.action !== "generate") return null;
  const { provider, endpoint, model } = r;
  return model === undefined ? { provider, endpoint } : { provider, endpoint, model };
}

/** Whether a WebSocket opened at this path speaks the Responses API (Codex's default transport). */
export function isResponsesPath(target: string): boolean {
  return routeApi("POST", target)?.provider === "openai-responses";
}
