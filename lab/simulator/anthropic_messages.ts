/**
 * Anthropic Messages API (`POST /v1/messages`) for the scripted model server: renders a
 * {@linkcode Reply} as the streaming SSE events (`message_start`, `content_block_*` with
 * `thinking_delta`/`signature_delta`/`text_delta`/`citations_delta`/`input_json_delta`,
 * a web search as `server_tool_use` and its `web_search_tool_result`, `message_delta` with
 * stop reason — `refusal` for a refusal — and usage, `message_stop`) or as one JSON message,
 * the way the real API does; on Vertex AI
 * (`:streamRawPredict`) the same events, on Bedrock (`invoke-with-response-stream`) the same
 * events in AWS event-stream frames.
 */

import { encodeEventStreamMessage } from "../../protocols/mod.ts";
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
  if (reply.search !== undefined) {
    const id = `srvtoolu_01${base62(`${reply.seed}:search`, 22)}`;
    blocks.push({
      type: "server_tool_use",
      id,
      name: "web_search",
      input: { query: reply.search.query },
    });
    blocks.push({
      type: "web_search_tool_result",
      tool_use_id: id,
      content: reply.search.results.map((r, i) => ({
        type: "web_search_result",
        url: r.url,
        title: r.title,
        encrypted_content: opaque(`${reply.seed}:search:${i}`, 96),
        page_age: null,
      })),
    });
  }
  if (reply.text !== undefined) {
    blocks.push({
      type: "text",
      text: reply.text,
      // the search's results, cited on the text
      ...(reply.search && reply.search.results.length > 0
        ? {
          citations: reply.search.results.map((r, i) => ({
            type: "web_search_result_location",
            url: r.url,
            title: r.title,
            encrypted_index: opaque(`${reply.seed}:cite:${i}`, 48),
            cited_text: reply.text!.slice(0, 150),
          })),
        }
        : {}),
    });
  }
  // a refusal is the text said before the API stopped the answer (stop reason `refusal`)
  if (reply.refusal !== undefined) blocks.push({ type: "text", text: reply.refusal });
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
  if (reply.refusal !== undefined) return "refusal";
  if (reply.maxTokens) return "max_tokens";
  return reply.toolCalls.length > 0 ? "tool_use" : "end_turn";
}

function usageObject(u: Usage, outputTokens: number, searches = 0): Record<string, unknown> {
  return {
    input_tokens: u.inputTokens,
    cache_creation_input_tokens: u.cacheWriteTokens,
    cache_read_input_tokens: u.cacheReadTokens,
    cache_creation: {
      ephemeral_5m_input_tokens: u.cacheWriteTokens,
      ephemeral_1h_input_tokens: 0,
    },
    output_tokens: outputTokens,
    ...(searches > 0 ? { server_tool_use: { web_search_requests: searches } } : {}),
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
    usage: usageObject(reply.usage, reply.usage.outputTokens, reply.search ? 1 : 0),
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
  return {
    status: 200,
    headers: {
      ...headers(reply, "text/event-stream; charset=utf-8"),
      "cache-control": "no-cache",
    },
    chunks: anthropicStreamEvents(reply).map((data) =>
      encodeSseEvent(JSON.stringify(data), { event: String(data.type) })
    ),
    streaming: true,
  };
}

/**
 * Renders a streaming Messages response as Amazon Bedrock's `invoke-with-response-stream`
 * answers it: one AWS event-stream message per event (`:event-type: chunk`), its payload
 * `{"bytes": base64(event JSON), "p": padding}`, and the invocation metrics in `message_stop`.
 */
export function renderBedrockStream(reply: Reply): RenderedResponse<Uint8Array> {
  const enc = new TextEncoder();
  const events = anthropicStreamEvents(reply);
  const stop = events[events.length - 1];
  stop["amazon-bedrock-invocationMetrics"] = {
    inputTokenCount: reply.usage.inputTokens,
    outputTokenCount: reply.usage.outputTokens,
    invocationLatency: 0,
    firstByteLatency: 0,
    cacheReadInputTokenCount: reply.usage.cacheReadTokens,
    cacheWriteInputTokenCount: reply.usage.cacheWriteTokens,
  };
  const pad = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  return {
    status: 200,
    headers: {
      "content-type": "application/vnd.amazon.eventstream",
      "x-amzn-requestid": opaque(`${reply.seed}:amzn`, 36),
      "x-amzn-bedrock-content-type": "application/json",
    },
    chunks: events.map((data, i) => {
      const bytes = enc.encode(JSON.stringify(data));
      let b = "";
      for (const x of bytes) b += String.fromCharCode(x);
      const payload = { bytes: btoa(b), p: pad.slice(0, 1 + (i * 7) % pad.length) };
      return encodeEventStreamMessage(
        { ":event-type": "chunk", ":content-type": "application/json", ":message-type": "event" },
        enc.encode(JSON.stringify(payload)),
      );
    }),
    streaming: true,
  };
}

/** The stream events of a reply, in order, as objects. */
function anthropicStreamEvents(reply: Reply): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  const emit = (data: Record<string, unknown>) => events.push(data);
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
    } else if (block.type === "web_search_tool_result") {
      // a server tool's result comes whole in its start block
      emit({ type: "content_block_start", index, content_block: block });
    } else if (block.type === "text") {
      emit({
        type: "content_block_start",
        index,
        content_block: { type: "text", text: "" },
      });
      if (index === 0) emit({ type: "ping" });
      for (const citation of (block.citations ?? []) as unknown[]) {
        emit({ type: "content_block_delta", index, delta: { type: "citations_delta", citation } });
      }
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
          type: block.type,
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
      ...(reply.search ? { server_tool_use: { web_search_requests: 1 } } : {}),
    },
  });
  emit({ type: "message_stop" });
  return events;
}
