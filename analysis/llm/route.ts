/**
 * The one place that knows each LLM API's routes, from the method and path alone: Anthropic
 * Messages (and its token count), OpenAI Responses (with or without a `/v1` prefix, as proxies
 * vary, and Codex's ChatGPT backend `/backend-api/codex/responses`) and Chat Completions,
 * Gemini generateContent / streamGenerateContent / countTokens (model in the path), and the
 * OpenAI and Gemini model listings. The clouds that serve these APIs under their own routes:
 * Anthropic Messages on Google Vertex AI
 * (`…/publishers/anthropic/models/M:rawPredict|streamRawPredict`, as `@anthropic-ai/vertex-sdk`
 * rewrites `/v1/messages`) and on Amazon Bedrock (`/model/M/invoke|invoke-with-response-stream`,
 * as `@anthropic-ai/bedrock-sdk` does: the model URL-encoded in the path, the stream answered in
 * AWS event-stream frames), and Azure OpenAI (`/openai/deployments/D/chat/completions`,
 * `/openai/responses`, `/openai/v1/responses`, each with `?api-version=`). Ollama's native API:
 * `POST /api/chat` and `POST /api/generate` (model calls; a prefix before `/api/` allowed, as
 * proxies such as Open WebUI's `/ollama/api/chat` add one) and `GET /api/tags` (its model
 * listing). The analysis asks routeLlmCall (model calls only: token
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
    | "streamGenerateContent"
    | "api/chat"
    | "api/generate";
  /** Gemini, Vertex, Bedrock: the model named in the path (Azure: the deployment) */
  model?: string;
  /** the path says whether the answer streams (Vertex `streamRawPredict`, Bedrock `invoke-with-response-stream`) */
  stream?: boolean;
  /** the cloud whose route this is, when not the provider's own API */
  platform?: Platform;
}

/** A cloud serving a provider's API under its own routes. */
export type Platform = "vertex" | "bedrock" | "azure";

/** Any request of an LLM API: a model call, a token count or a model listing. */
export type ApiRequestRoute =
  | (ApiRoute & { action: "generate" })
  | { provider: Provider; action: "count" | "models"; model?: string; platform?: Platform };

/** Model calls by the end of their path (clients and proxies put prefixes before it). */
const MODEL_CALLS: { provider: Provider; endpoint: ApiRoute["endpoint"]; path: RegExp }[] = [
  { provider: "anthropic", endpoint: "messages", path: /(^|\/)v1\/messages$|^\/messages$/ },
  {
    provider: "openai-responses",
    endpoint: "responses",
    // Azure OpenAI: `/openai/responses?api-version=…` (and `/openai/v1/responses`)
    path: /(^|\/)(v1|codex|openai)\/responses$|^\/responses$/,
  },
  { provider: "openai-chat", endpoint: "chat.completions", path: /(^|\/)chat\/completions$/ },
];
const ANTHROPIC_COUNT = /(^|\/)v1\/messages\/count_tokens$|^\/messages\/count_tokens$/;
const GEMINI_METHOD = /\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/;
/** Vertex AI: `/v1/projects/P/locations/L/publishers/anthropic/models/M:rawPredict` */
const VERTEX_ANTHROPIC = /\/publishers\/anthropic\/models\/([^/:]+):(rawPredict|streamRawPredict)$/;
/** Bedrock runtime: `/model/M/invoke`, `/model/M/invoke-with-response-stream`, `/model/M/count-tokens` */
const BEDROCK_MODEL = /(^|\/)model\/([^/]+)\/(invoke|invoke-with-response-stream|count-tokens)$/;
/** Azure OpenAI: `/openai/deployments/D/chat/completions` */
const AZURE_DEPLOYMENT = /(^|\/)openai\/deployments\/([^/]+)\/chat\/completions$/;
/** `GET /v1/models` (OpenAI), `GET /v1beta/models` (Gemini) */
const MODEL_LIST = /^\/v1[a-z0-9]*\/models$/;
/** Ollama's native API: `/api/chat`, `/api/generate` (model calls), `GET /api/tags` (models) */
const OLLAMA_CALL = /(^|\/)api\/(chat|generate)$/;
const OLLAMA_TAGS = /(^|\/)api\/tags$/;
/** Bedrock's ListInferenceProfiles (`GET /inference-profiles`: Claude Code on Bedrock asks it) */
const BEDROCK_PROFILES = /^\/inference-profiles$/;

/** A path segment decoded (left as it is when it is not valid percent-encoding). */
function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The path of a request target, without its query. */
export function pathOf(target: string): string {
  const q = target.indexOf("?");
  return q < 0 ? target : target.slice(0, q);
}

/** An Anthropic Messages call on a cloud's route: the model and whether it streams by its path. */
function cloudAnthropic(
  platform: "vertex" | "bedrock",
  model: string,
  stream: boolean,
): ApiRequestRoute {
  return {
    provider: "anthropic",
    endpoint: "messages",
    model,
    stream,
    platform,
    action: "generate",
  };
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
  if (method === "GET" && BEDROCK_PROFILES.test(path)) {
    return { provider: "anthropic", action: "models", platform: "bedrock" };
  }
  if (method === "GET" && OLLAMA_TAGS.test(path)) return { provider: "ollama", action: "models" };
  if (method !== "POST") return null;
  const o = OLLAMA_CALL.exec(path);
  if (o) {
    return {
      provider: "ollama",
      endpoint: `api/${o[2]}` as ApiRoute["endpoint"],
      action: "generate",
    };
  }
  const v = VERTEX_ANTHROPIC.exec(path);
  if (v) {
    const model = decodeSegment(v[1]);
    // `count-tokens:rawPredict` is the token count (the vertex SDK's count_tokens route)
    if (model === "count-tokens") {
      return { provider: "anthropic", action: "count", platform: "vertex" };
    }
    return cloudAnthropic("vertex", model, v[2] === "streamRawPredict");
  }
  const b = BEDROCK_MODEL.exec(path);
  if (b) {
    const model = decodeSegment(b[2]);
    if (b[3] === "count-tokens") {
      return { provider: "anthropic", action: "count", model, platform: "bedrock" };
    }
    return cloudAnthropic("bedrock", model, b[3] === "invoke-with-response-stream");
  }
  const az = AZURE_DEPLOYMENT.exec(path);
  if (az) {
    return {
      provider: "openai-chat",
      endpoint: "chat.completions",
      model: decodeSegment(az[2]),
      platform: "azure",
      action: "generate",
    };
  }
  for (const c of MODEL_CALLS) {
    if (c.path.test(path)) {
      const azure = /(^|\/)openai\/(v1\/)?responses$/.test(path);
      return {
        provider: c.provider,
        endpoint: c.endpoint,
        ...(azure ? { platform: "azure" as const } : {}),
        action: "generate",
      };
    }
  }
  if (ANTHROPIC_COUNT.test(path)) return { provider: "anthropic", action: "count" };
  const g = GEMINI_METHOD.exec(path);
  if (!g) return null;
  const model = decodeSegment(g[1]);
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
  const { action: _, ...route } = r;
  return route;
}

/** Whether a WebSocket opened at this path speaks the Responses API (Codex's default transport). */
export function isResponsesPath(target: string): boolean {
  return routeApi("POST", target)?.provider === "openai-responses";
}

/** Keys of a model call's conversation, and keys that only model calls carry besides. */
const CONVERSATION_KEYS = ["messages", "contents", "input", "prompt"];
const CALL_KEYS = [
  "model",
  "stream",
  "max_tokens",
  "max_output_tokens",
  "max_completion_tokens",
  "anthropic_version",
  "generationConfig",
  "inferenceConfig",
];
/**
 * APIs of the same providers that take `input` and `model` and are not model calls (Ollama's
 * `/api/embed` among them).
 */
const NOT_CALLS =
  /(^|\/)(embeddings|moderations|audio\/[a-z]+|images\/[a-z]+)$|:embedContent$|(^|\/)api\/embed$/;

/**
 * Why a request that no route knows looks like an LLM API request all the same (a POST whose
 * JSON object body has a conversation — `messages`, `contents`, `input` or `prompt` — and a
 * model call's parameter such as `model`, `stream` or `max_tokens`), or null. JSON-RPC (MCP)
 * bodies and the providers' embedding and moderation endpoints are not.
 */
export function unroutedLlmRequest(
  method: string | undefined,
  target: string | undefined,
  body: unknown,
): string | null {
  if (method !== "POST" || !target || routeApi(method, target)) return null;
  if (typeof body !== "object" || body === null || Array.isArray(body)) return null;
  const b = body as Record<string, unknown>;
  if ("jsonrpc" in b || NOT_CALLS.test(pathOf(target))) return null;
  const conversation = CONVERSATION_KEYS.filter((k) =>
    Array.isArray(b[k]) || (k !== "messages" && k !== "contents" && typeof b[k] === "string")
  );
  const call = CALL_KEYS.filter((k) => b[k] !== undefined && b[k] !== null);
  if (conversation.length === 0 || call.length === 0) return null;
  return `the request body looks like an LLM API request (${
    [...conversation, ...call].join(", ")
  }) on a route no reader knows: not read as an LLM call`;
}

/** Bedrock's Converse API (`/model/M/converse`, `/model/M/converse-stream`): its own shape, not read. */
const BEDROCK_CONVERSE = /(^|\/)model\/([^/]+)\/(converse|converse-stream)$/;

/**
 * The model call a request is, with its body where the path alone cannot tell, or why a request
 * that looks like an LLM call is not read (`unread`: one line for the `problems` table):
 * Bedrock's `invoke` serves every vendor's models, so a model whose id names no Anthropic model
 * (an application inference profile ARN, or another vendor's) is read as Anthropic Messages only
 * when its body says `anthropic_version`; Bedrock's Converse API is not read; Ollama's
 * `/api/chat` and `/api/generate` only with the `model` its body must name; and any other route
 * as {@linkcode unroutedLlmRequest} says.
 */
export function routeLlmRequest(
  method: string | undefined,
  target: string | undefined,
  body: unknown,
): { route: ApiRoute | null; unread?: string } {
  const route = routeLlmCall(method, target);
  const obj = typeof body === "object" && body !== null && !Array.isArray(body)
    ? body as Record<string, unknown>
    : undefined;
  if (route?.platform === "bedrock" && !/anthropic|claude/i.test(route.model ?? "")) {
    if (obj?.anthropic_version !== undefined || obj === undefined) return { route };
    return {
      route: null,
      unread: `Bedrock model ${route.model}: the body is not Anthropic Messages (no ` +
        `anthropic_version), another vendor's format: not read as an LLM call`,
    };
  }
  if (route?.provider === "ollama" && obj !== undefined && typeof obj.model !== "string") {
    // `/api/chat` is a common path: a body without Ollama's required `model` is another API's
    return {
      route: null,
      unread: `POST ${pathOf(target!)}: the body has no "model", not Ollama's native API: ` +
        "not read as an LLM call",
    };
  }
  if (route) return { route };
  const converse = method === "POST" && target ? BEDROCK_CONVERSE.exec(pathOf(target)) : null;
  if (converse) {
    return {
      route: null,
      unread: `Bedrock's Converse API (model ${
        decodeSegment(converse[2])
      }): not read as an LLM call`,
    };
  }
  const why = unroutedLlmRequest(method, target, body);
  return why ? { route: null, unread: why } : { route: null };
}
