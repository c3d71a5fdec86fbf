/**
 * Per-provider dispatch for the model server: renders a {@linkcode Reply} in the request's wire
 * format (streaming or not; the request is read by request_view.ts), and makes error, token-count and model-list bodies in each provider's own shape.
 */

import {
  renderAnthropicJson,
  renderAnthropicStream,
  renderBedrockStream,
} from "./anthropic_messages.ts";
import { renderGeminiJson, renderGeminiStream } from "./gemini.ts";
import { ollamaError, ollamaTags, renderOllamaJson, renderOllamaStream } from "./ollama.ts";
import { renderChatJson, renderChatStream } from "./openai_chat.ts";
import { renderResponsesJson, renderResponsesStream } from "./openai_responses.ts";
import { jsonResponse, type RenderedResponse, type Reply } from "./reply.ts";
import type { Provider, RequestView } from "./request_view.ts";
import type { Route } from "./routes.ts";
import type { Scenario, TurnFailure } from "./scenario.ts";
import { DEFAULT_MODELS } from "./script_player.ts";

/**
 * The error types each API names for a status (Anthropic's `error.type`, Gemini's
 * `error.status`, OpenAI's `error.type` and `error.code`), from their error documentation;
 * statuses not listed take the 4xx or 5xx default.
 */
const ANTHROPIC_TYPES: Record<number, string> = {
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  504: "timeout_error",
  529: "overloaded_error",
};
const GEMINI_STATUSES: Record<number, string> = {
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED",
  499: "CANCELLED",
  501: "NOT_IMPLEMENTED",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
  // Anthropic's overload status, as Gemini names an overload
  529: "UNAVAILABLE",
};
const BEDROCK_TYPES: Record<number, string> = {
  403: "AccessDeniedException",
  404: "ResourceNotFoundException",
  408: "ModelTimeoutException",
  424: "ModelErrorException",
  429: "ThrottlingException",
  503: "ServiceUnavailableException",
  // Anthropic's overload status, as Bedrock names an overload
  529: "ServiceUnavailableException",
};
const OPENAI_CODES: Record<number, [string, string | null]> = {
  401: ["invalid_request_error", "invalid_api_key"],
  429: ["requests", "rate_limit_exceeded"],
};

/** The usual message of a status, for a scripted failure that gives none. */
const MESSAGES: Record<number, string> = {
  429: "Rate limit exceeded: please slow down",
  500: "Internal server error",
  502: "Bad gateway",
  503: "Service unavailable: the model is overloaded",
  504: "The request timed out",
  529: "Overloaded",
};

/** Anthropic's `error.type` for a status. */
export function anthropicErrorType(status: number): string {
  return ANTHROPIC_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
}

/** Gemini's `error.status` (a google.rpc code name) for a status. */
export function geminiErrorStatus(status: number): string {
  return GEMINI_STATUSES[status] ?? (status >= 500 ? "INTERNAL" : "INVALID_ARGUMENT");
}

/** Bedrock's error name (x-amzn-ErrorType; in a stream, the exception's type) for a status. */
export function bedrockErrorType(status: number): string {
  return BEDROCK_TYPES[status] ??
    (status >= 500 ? "InternalServerException" : "ValidationException");
}

/** OpenAI's `error.type` and `error.code` for a status. */
export function openaiErrorType(status: number): [string, string | null] {
  return OPENAI_CODES[status] ??
    [status >= 500 ? "server_error" : "invalid_request_error", null];
}

/** The message of a scripted failure: its own, or the status's usual one. */
export function failureMessage(f: TurnFailure): string {
  return f.message ?? MESSAGES[f.status ?? 500] ?? `HTTP ${f.status}`;
}

/** An error body in the provider's own shape. */
export function errorResponse(
  provider: Provider | undefined,
  status: number,
  message: string,
  platform?: Route["platform"],
  headers: Record<string, string> = {},
): RenderedResponse {
  if (platform === "bedrock") {
    // Bedrock runtime errors: `{"message"}` and the error's name in x-amzn-ErrorType
    const type = bedrockErrorType(status);
    return jsonResponse(status, { message }, { ...headers, "x-amzn-errortype": type });
  }
  if (provider === "ollama") return ollamaError(status, message, headers);
  if (provider === "anthropic") {
    const type = anthropicErrorType(status);
    return jsonResponse(status, { type: "error", error: { type, message } }, headers);
  }
  if (provider === "gemini") {
    const st = geminiErrorStatus(status);
    return jsonResponse(status, { error: { code: status, message, status: st } }, headers, 2);
  }
  const [type, code] = openaiErrorType(status);
  return jsonResponse(status, { error: { message, type, param: null, code } }, headers);
}

/** A scripted failure (a turn's `fail`) as the provider answers it, `retry-after` included. */
export function failureResponse(
  provider: Provider | undefined,
  f: TurnFailure,
  platform?: Route["platform"],
): RenderedResponse {
  const message = failureMessage(f);
  const headers: Record<string, string> = f.retryAfter !== undefined
    ? { "retry-after": String(f.retryAfter) }
    : {};
  return errorResponse(provider, f.status ?? 500, message, platform, headers);
}

export function renderReply(
  route: Route,
  view: RequestView,
  reply: Reply,
): RenderedResponse<string | Uint8Array> {
  switch (view.provider) {
    case "anthropic":
      if (!view.stream) return renderAnthropicJson(reply);
      return route.platform === "bedrock"
        ? renderBedrockStream(reply)
        : renderAnthropicStream(reply);
    case "openai-responses":
      return view.stream ? renderResponsesStream(reply) : renderResponsesJson(reply);
    case "openai-chat":
      return view.stream
        ? renderChatStream(reply, view.includeUsage === true)
        : renderChatJson(reply);
    case "gemini": {
      if (!view.stream) return renderGeminiJson(reply);
      const sse = renderGeminiStream(reply);
      if (route.sse) return sse;
      // Without alt=sse the API streams one JSON array of the same responses.
      const items = sse.chunks.map((c) => JSON.parse(c.slice("data: ".length).trim()));
      return jsonResponse(200, items, {
        "content-type": "application/json; charset=UTF-8",
      }, 2);
    }
    case "ollama": {
      const endpoint = route.endpoint === "api/generate" ? "api/generate" : "api/chat";
      return view.stream ? renderOllamaStream(reply, endpoint) : renderOllamaJson(reply, endpoint);
    }
  }
}

export function countTokens(route: Route, bodySize: number): RenderedResponse {
  const n = Math.max(1, Math.ceil(bodySize / 4));
  if (route.platform === "bedrock") return jsonResponse(200, { inputTokens: n });
  return route.provider === "gemini"
    ? jsonResponse(200, { totalTokens: n }, {}, 2)
    : jsonResponse(200, { input_tokens: n });
}

export function modelList(
  route: Route,
  scenario: Scenario | undefined,
): RenderedResponse {
  const m = scenario?.model;
  if (route.platform === "bedrock") {
    // ListInferenceProfiles: one system-defined cross-region profile of the scenario's model
    const name = (typeof m === "string" ? m : m?.anthropic) ?? DEFAULT_MODELS.anthropic;
    const id = `us.anthropic.${name}`;
    return jsonResponse(200, {
      inferenceProfileSummaries: [{
        inferenceProfileName: `US ${name}`,
        inferenceProfileId: id,
        inferenceProfileArn: `arn:aws:bedrock:us-east-1:000000000000:inference-profile/${id}`,
        description: `Routes requests to ${name} in us-east-1 and us-west-2.`,
        models: [{ modelArn: `arn:aws:bedrock:us-east-1::foundation-model/anthropic.${name}` }],
        status: "ACTIVE",
        type: "SYSTEM_DEFINED",
        createdAt: "2026-01-01T00:00:00Z",
        updatedAt: "2026-01-01T00:00:00Z",
      }],
    });
  }
  if (route.provider === "ollama") {
    return ollamaTags(typeof m === "string" ? m : DEFAULT_MODELS.ollama);
  }
  if (route.provider === "gemini") {
    const name = (typeof m === "string" ? m : m?.gemini) ??
      DEFAULT_MODELS.gemini;
    return jsonResponse(
      200,
      {
        models: [{
          name: `models/${name}`,
          displayName: name,
          supportedGenerationMethods: ["generateContent", "countTokens"],
        }],
      },
      {},
      2,
    );
  }
  const name = (typeof m === "string" ? m : m?.openai) ??
    DEFAULT_MODELS["openai-responses"];
  return jsonResponse(200, {
    object: "list",
    data: [{
      id: name,
      object: "model",
      created: 1767225600,
      owned_by: "sightline",
    }],
  });
}
