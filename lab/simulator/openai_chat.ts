/**
 * OpenAI Chat Completions (`POST /v1/chat/completions`) for the scripted model server: renders
 * a {@linkcode Reply} as `chat.completion.chunk` SSE events (role, content deltas, `tool_calls`
 * deltas with argument pieces, a refusal's `refusal` deltas, `finish_reason`, the usage chunk when
 * `stream_options.include_usage` is set, then `[DONE]`) or as one `chat.completion` object.
 * Chat Completions has no thinking field, so a reply's thinking is not sent.
 */

import { base62, hex } from "./ids.ts";
import { chunkJson, chunkText, encodeSseEvent } from "./sse.ts";
import type { RenderedResponse, Reply } from "./reply.ts";

function completionId(reply: Reply): string {
  return `chatcmpl-${base62(`${reply.seed}:chat`, 29)}`;
}

function fingerprint(reply: Reply): string {
  return `fp_${hex(`${reply.model}:fp`, 10)}`;
}

function callId(reply: Reply, i: number): string {
  return `call_${base62(`${reply.seed}:call:${i}`, 24)}`;
}

function usage(reply: Reply): Record<string, unknown> {
  const u = reply.usage;
  return {
    prompt_tokens: u.inputTokens,
    completion_tokens: u.outputTokens,
    total_tokens: u.inputTokens + u.outputTokens,
    prompt_tokens_details: {
      cached_tokens: u.cacheReadTokens,
      audio_tokens: 0,
    },
    completion_tokens_details: {
      reasoning_tokens: u.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function finishReason(reply: Reply): string {
  if (reply.maxTokens) return "length";
  return reply.toolCalls.length > 0 ? "tool_calls" : "stop";
}

/**
 * The reply's tool calls as `message.tool_calls`: a function with its arguments as JSON text, a
 * custom tool (`type: "custom"`) with its free-form input.
 */
function toolCallsOf(reply: Reply) {
  return reply.toolCalls.map((call, i) =>
    call.kind === "custom"
      ? {
        id: callId(reply, i),
        type: "custom" as const,
        custom: { name: call.name, input: call.input ?? "" },
      }
      : {
        id: callId(reply, i),
        type: "function" as const,
        function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) },
      }
  );
}

/** The headers of an OpenAI API answer (Chat Completions and Responses) with this request id. */
export function openaiHeaders(requestId: string, contentType: string): Record<string, string> {
  return {
    "content-type": contentType,
    "x-request-id": requestId,
    "openai-processing-ms": "42",
    "openai-version": "2020-10-01",
  };
}

const headers = (reply: Reply, contentType: string) =>
  openaiHeaders(`req_${base62(`${reply.seed}:req`, 32)}`, contentType);

/** Renders a non-streaming chat.completion. */
export function renderChatJson(reply: Reply): RenderedResponse {
  const message: Record<string, unknown> = {
    role: "assistant",
    content: reply.text ?? null,
    refusal: reply.refusal ?? null,
    annotations: [],
  };
  if (reply.toolCalls.length > 0) message.tool_calls = toolCallsOf(reply);
  const body = {
    id: completionId(reply),
    object: "chat.completion",
    created: reply.created,
    model: reply.model,
    choices: [{
      index: 0,
      message,
      logprobs: null,
      finish_reason: finishReason(reply),
    }],
    usage: usage(reply),
    service_tier: "default",
    system_fingerprint: fingerprint(reply),
  };
  return {
    status: 200,
    headers: headers(reply, "application/json"),
    chunks: [JSON.stringify(body)],
    streaming: false,
  };
}

/** Renders a streaming chat completion; `includeUsage` adds the final usage chunk. */
export function renderChatStream(
  reply: Reply,
  includeUsage: boolean,
): RenderedResponse {
  const events: string[] = [];
  const base = {
    id: completionId(reply),
    object: "chat.completion.chunk",
    created: reply.created,
    model: reply.model,
    service_tier: "default",
    system_fingerprint: fingerprint(reply),
  };
  const emit = (delta: Record<string, unknown>, finish: string | null) => {
    const chunk: Record<string, unknown> = {
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    };
    if (includeUsage) chunk.usage = null;
    events.push(encodeSseEvent(JSON.stringify(chunk)));
  };
  const calls = toolCallsOf(reply);
  if (reply.refusal !== undefined) {
    // a refusal comes in `refusal` deltas, the content left null
    emit({ role: "assistant", content: null, refusal: "" }, null);
    for (const piece of chunkText(reply.refusal)) emit({ refusal: piece }, null);
  } else if (reply.text !== undefined || calls.length === 0) {
    emit({ role: "assistant", content: "", refusal: null }, null);
    for (const piece of chunkText(reply.text ?? "")) {
      if (piece) emit({ content: piece }, null);
    }
  } else {
    emit({ role: "assistant", content: null, refusal: null }, null);
  }
  calls.forEach((call, index) => {
    if (call.type === "custom") {
      // as a function's, but in `custom: {name, input}` (the OpenAI SDK's chunk delta type)
      emit({
        tool_calls: [{ index, id: call.id, type: "custom", custom: { name: call.custom.name } }],
      }, null);
      for (const piece of chunkText(call.custom.input)) {
        if (piece) emit({ tool_calls: [{ index, custom: { input: piece } }] }, null);
      }
      return;
    }
    emit({
      tool_calls: [{
        index,
        id: call.id,
        type: "function",
        function: { name: call.function.name, arguments: "" },
      }],
    }, null);
    for (const piece of chunkJson(call.function.arguments)) {
      emit({ tool_calls: [{ index, function: { arguments: piece } }] }, null);
    }
  });
  emit({}, finishReason(reply));
  if (includeUsage) {
    events.push(
      encodeSseEvent(
        JSON.stringify({ ...base, choices: [], usage: usage(reply) }),
      ),
    );
  }
  events.push(encodeSseEvent("[DONE]"));
  return {
    status: 200,
    headers: headers(reply, "text/event-stream; charset=utf-8"),
    chunks: events,
    streaming: true,
  };
}
