/**
 * Anthropic Messages API (`POST /v1/messages`) for the scripted model server: renders a
 * {@linkcode Reply} as the streaming SSE events (`message_start`, `content_block_*` with
 * `thinking_delta`/`signature_delta`/`text_delta`/`input_json_delta`, `message_delta` with
 * usage, `message_stop`) or as one JSON message, the way the real API does.
 */

import { base62, opaque } from "./ids.ts";
import { chunkJson, chunkText, encodeSseEvent } from "./sse.ts";
import type { RenderedResponse, Reply, Usage } from "./reply.ts";

/** The content blocks of a reply, in order: thinking, text, then tool uses. */
function contentBlocks(reply: Reply): Record<string, unknown>[] {
  const blocks: Record<string, unknown>[] = [];
  if (reply.thinking !== undefined) {
    blocks.push({
      type: "thinking",
      thinking: reply.thinking,
      signature: opaque(`${reply.seed}:sig`, 96),
    });
  }
  if (reply.text !== undefined) blocks.push({ type: "text", text: reply.text });
  reply.toolCalls.forEach((call, i) => {
    blocks.push({
      type: "tool_use",
      id: `toolu_01${base62(`${reply.seed}:tool:${i}`, 22)}`,
      name: call.name,
      input: call.args ?? {},
    });
  });
  return blocks;
}

function stopReason(reply: Reply): string {
  return reply.toolCalls.length > 0 ? "tool_use" : "end_turn";
}

function usageObject(u: Usage, outputTokens: number): Record<string, unknown> {
  return {
    input_tokens: u.inputTokens,
    cache_creation_input_tokens: u.cacheWriteTokens,
    cache_read_input_tokens: u.cacheReadTokens,
    cache_creation: {
      ephemeral_5m_input_tokens: u.cacheWriteTokens,
      ephemeral_1h_input_tokens: 0,
    },
    output_tokens: outputTokens,
    service_tier: "standard",
  };
}

function headers(reply: Reply, contentType: string): Record<string, string> {
  return {
    "content-type": contentType,
    "request-id": `req_011C${base62(`${reply.seed}:req`, 20)}`,
    "anthropic-organization-id": "00000000-0000-4000-8000-000000000000",
  };
}

/** The message id of a reply. */
export function anthropicMessageId(reply: Reply): string {
  return `msg_01${base62(`${reply.seed}:msg`, 22)}`;
}

/** Renders a non-streaming Messages response. */
export function renderAnthropicJson(reply: Reply): RenderedResponse {
  const body = {
    id: anthropicMessageId(reply),
    type: "message",
    role: "assistant",
    model: reply.model,
    content: contentBlocks(reply),
    stop_reason: stopReason(reply),
    stop_sequence: null,
    usage: usageObject(reply.usage, reply.usage.outputTokens),
  };
  return {
    status: 200,
    headers: headers(reply, "application/json"),
    chunks: [JSON.stringify(body)],
    streaming: false,
  };
}

/** Renders a streaming Messages response, one SSE event per chunk. */
export function renderAnthropicStream(reply: Reply): RenderedResponse {
  const events: string[] = [];
  const emit = (data: Record<string, unknown>) =>
    events.push(
      encodeSseEvent(JSON.stringify(data), { event: String(data.type) }),
    );
  emit({
    type: "message_start",
    message: {
      id: anthropicMessageId(reply),
      type: "message",
      role: "assistant",
      model: reply.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: usageObject(reply.usage, 1),
    },
  });
  contentBlocks(reply).forEach((block, index) => {
    if (block.type === "thinking") {
      emit({
        type: "content_block_start",
        index,
        content_block: { type: "thinking", thinking: "", signature: "" },
      });
      if (index === 0) emit({ type: "ping" });
      for (const piece of chunkText(String(block.thinking))) {
        emit({
          type: "content_block_delta",
          index,
          delta: { type: "thinking_delta", thinking: piece },
        });
      }
      emit({
        type: "content_block_delta",
        index,
        delta: { type: "signature_delta", signature: block.signature },
      });
    } else if (block.type === "text") {
      emit({
        type: "content_block_start",
        index,
        content_block: { type: "text", text: "" },
      });
      if (index === 0) emit({ type: "ping" });
      for (const piece of chunkText(String(block.text))) {
        emit({
          type: "content_block_delta",
          index,
          delta: { type: "text_delta", text: piece },
        });
      }
    } else {
      emit({
        type: "content_block_start",
        index,
        content_block: {
          type: "tool_use",
          id: block.id,
          name: block.name,
          input: {},
        },
      });
      if (index === 0) emit({ type: "ping" });
      emit({
        type: "content_block_delta",
        index,
        delta: { type: "input_json_delta", partial_json: "" },
      });
      for (const piece of chunkJson(JSON.stringify(block.input))) {
        emit({
          type: "content_block_delta",
          index,
          delta: { type: "input_json_delta", partial_json: piece },
        });
      }
    }
    emit({ type: "content_block_stop", index });
  });
  emit({
    type: "message_delta",
    delta: { stop_reason: stopReason(reply), stop_sequence: null },
    usage: {
      input_tokens: reply.usage.inputTokens,
      cache_creation_input_tokens: reply.usage.cacheWriteTokens,
      cache_read_input_tokens: reply.usage.cacheReadTokens,
      output_tokens: reply.usage.outputTokens,
    },
  });
  emit({ type: "message_stop" });
  return {
    status: 200,
    headers: {
      ...headers(reply, "text/event-stream; charset=utf-8"),
      "cache-control": "no-cache",
    },
    chunks: events,
    streaming: true,
  };
}
