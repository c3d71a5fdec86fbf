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
import type { Scenario } from "./scenario.ts";
import { DEFAULT_MODELS } from "./script_player.ts";

/** An error body in the provider's own shape. */
export function errorResponse(
  provider: Provider | undefined,
  status: number,
  message: string,
  platform?: Route["platform"],
): RenderedResponse {
  if (platform === "bedrock") {
    // Bedrock runtime errors: `{"message"}` and the error's name in x-amzn-ErrorType
    const type = status === 404
      ? "ResourceNotFoundException"
      : status >= 500
      ? "InternalServerException"
      : "ValidationException";
    return jsonResponse(status, { message }, { "x-amzn-errortype": type });
  }
  if (provider === "ollama") return ollamaError(status, message);
  if (provider === "anthropic") {
    const type = status === 404
      ? "not_found_error"
      : status >= 500
      ? "api_error"
      : "invalid_request_error";
    return jsonResponse(status, { type: "error", error: { type, message } });
  }
  if (provider === "gemini") {
    const st = status === 404 ? "NOT_FOUND" : status >= 500 ? "INTERNAL" : "INVALID_ARGUMENT";
    return jsonResponse(
      status,
      { error: { code: status, message, status: st } },
      {},
      2,
    );
  }
  return jsonResponse(status, {
    error: {
      message,
      type: status >= 500 ? "server_error" : "invalid_request_error",
      param: null,
      code: null,
    },
  });
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
