/**
 * OpenAI Responses API (`POST /v1/responses`) for the scripted model server: renders a
 * {@linkcode Reply} as the streaming SSE events (`response.created`, `response.in_progress`,
 * `response.output_item.added`/`.done`, reasoning summary, `response.output_text.delta`,
 * `response.function_call_arguments.delta`, `response.custom_tool_call_input.delta`,
 * `response.completed` with usage), each with its `sequence_number`, or as one response object.
 */

import { base62, hex, opaque } from "./ids.ts";
import { chunkJson, chunkText, encodeSseEvent } from "./sse.ts";
import { openaiHeaders } from "./openai_chat.ts";
import type { RenderedResponse, Reply } from "./reply.ts";

type Item = Record<string, unknown>;

/** The output items of a reply, complete, in order: reasoning, message, tool calls. */
function outputItems(reply: Reply): Item[] {
  const items: Item[] = [];
  const id = (prefix: string, n: number) => `${prefix}_${hex(`${reply.seed}:${prefix}:${n}`, 48)}`;
  if (reply.thinking !== undefined) {
    items.push({
      id: id("rs", 0),
      type: "reasoning",
      encrypted_content: opaque(`${reply.seed}:enc`, 96),
      summary: [{ type: "summary_text", text: reply.thinking }],
    });
  }
  if (reply.search !== undefined) {
    // the hosted web search the model ran (its sources only with `include`, so not here)
    items.push({
      id: id("ws", 0),
      type: "web_search_call",
      status: "completed",
      action: { type: "search", query: reply.search.query },
    });
  }
  if (reply.text !== undefined) {
    const text = reply.text;
    items.push({
      id: id("msg", 0),
      type: "message",
      status: "completed",
      content: [{
        type: "output_text",
        // the search's results, cited on the whole text
        annotations: (reply.search?.results ?? []).map((r) => ({
          type: "url_citation",
          start_index: 0,
          end_index: text.length,
          url: r.url,
          title: r.title,
        })),
        logprobs: [],
        text,
      }],
      role: "assistant",
    });
  }
  if (reply.refusal !== undefined) {
    items.push({
      id: id("msg", 1),
      type: "message",
      status: "completed",
      content: [{ type: "refusal", refusal: reply.refusal }],
      role: "assistant",
    });
  }
  reply.toolCalls.forEach((call, i) => {
    const callId = `call_${base62(`${reply.seed}:call:${i}`, 24)}`;
    if (call.kind === "tool_search") {
      items.push({
        id: id("ts", i),
        type: "tool_search_call",
        status: "completed",
        call_id: callId,
        execution: "client",
        arguments: call.args ?? {},
      });
    } else if (call.kind === "custom") {
      items.push({
        id: id("ctc", i),
        type: "custom_tool_call",
        status: "completed",
        call_id: callId,
        input: call.input ?? "",
        name: call.name,
      });
    } else {
      items.push({
        id: id("fc", i),
        type: "function_call",
        status: "completed",
        arguments: JSON.stringify(call.args ?? {}),
        call_id: callId,
        name: call.name,
        ...(call.namespace !== undefined ? { namespace: call.namespace } : {}),
      });
    }
  });
  return items;
}

/** A message item whose one part is the model's refusal. */
const isRefusal = (item: Item) => (item.content as Item[])[0]?.type === "refusal";

function usage(reply: Reply): Record<string, unknown> {
  const u = reply.usage;
  return {
    input_tokens: u.inputTokens,
    input_tokens_details: { cached_tokens: u.cacheReadTokens },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens },
    total_tokens: u.inputTokens + u.outputTokens,
  };
}

/** The response object; `done` selects the completed form (output and usage filled in). */
function responseObject(reply: Reply, done: boolean): Record<string, unknown> {
  return {
    id: `resp_${hex(`${reply.seed}:resp`, 48)}`,
    object: "response",
    created_at: reply.created,
    status: !done ? "in_progress" : reply.maxTokens ? "incomplete" : "completed",
    background: false,
    error: null,
    incomplete_details: done && reply.maxTokens ? { reason: "max_output_tokens" } : null,
    instructions: null,
    max_output_tokens: null,
    model: reply.model,
    output: done ? outputItems(reply) : [],
    parallel_tool_calls: false,
    previous_response_id: null,
    reasoning: {
      effort: "medium",
      summary: reply.thinking !== undefined ? "detailed" : null,
    },
    service_tier: "default",
    store: false,
    temperature: 1.0,
    text: { format: { type: "text" }, verbosity: "medium" },
    tool_choice: "auto",
    tools: [],
    top_p: 1.0,
    truncation: "disabled",
    usage: done ? usage(reply) : null,
    user: null,
    metadata: {},
  };
}

const headers = (reply: Reply, contentType: string) =>
  openaiHeaders(`req_${hex(`${reply.seed}:req`, 32)}`, contentType);

/** Renders a non-streaming Responses API response. */
export function renderResponsesJson(reply: Reply): RenderedResponse {
  return {
    status: 200,
    headers: headers(reply, "application/json"),
    chunks: [JSON.stringify(responseObject(reply, true))],
    streaming: false,
  };
}

/** Renders a streaming Responses API response, one SSE event per chunk. */
export function renderResponsesStream(reply: Reply): RenderedResponse {
  const events: string[] = [];
  let seq = 0;
  const emit = (type: string, fields: Record<string, unknown>) =>
    events.push(
      encodeSseEvent(
        JSON.stringify({ type, sequence_number: seq++, ...fields }),
        { event: type },
      ),
    );
  // an assistant message opens empty; its text or refusal follows in parts
  const openMessage = (item_id: unknown, output_index: number) =>
    emit("response.output_item.added", {
      output_index,
      item: { id: item_id, type: "message", status: "in_progress", content: [], role: "assistant" },
    });
  emit("response.created", { response: responseObject(reply, false) });
  emit("response.in_progress", { response: responseObject(reply, false) });
  outputItems(reply).forEach((item, output_index) => {
    const item_id = item.id;
    if (item.type === "reasoning") {
      emit("response.output_item.added", {
        output_index,
        item: {
          id: item_id,
          type: "reasoning",
          encrypted_content: item.encrypted_content,
          summary: [],
        },
      });
      const text = (item.summary as { text: string }[])[0].text;
      const part = { type: "summary_text", text: "" };
      emit("response.reasoning_summary_part.added", {
        item_id,
        output_index,
        summary_index: 0,
        part,
      });
      for (const delta of chunkText(text)) {
        emit("response.reasoning_summary_text.delta", {
          item_id,
          output_index,
          summary_index: 0,
          delta,
        });
      }
      emit("response.reasoning_summary_text.done", {
        item_id,
        output_index,
        summary_index: 0,
        text,
      });
      emit("response.reasoning_summary_part.done", {
        item_id,
        output_index,
        summary_index: 0,
        part: { type: "summary_text", text },
      });
    } else if (item.type === "web_search_call") {
      emit("response.output_item.added", {
        output_index,
        item: { id: item_id, type: "web_search_call", status: "in_progress" },
      });
      for (const stage of ["in_progress", "searching", "completed"]) {
        emit(`response.web_search_call.${stage}`, { output_index, item_id });
      }
    } else if (item.type === "message" && isRefusal(item)) {
      openMessage(item_id, output_index);
      const refusal = String((item.content as Item[])[0].refusal);
      const part = { type: "refusal", refusal: "" };
      emit("response.content_part.added", { item_id, output_index, content_index: 0, part });
      for (const delta of chunkText(refusal)) {
        emit("response.refusal.delta", { item_id, output_index, content_index: 0, delta });
      }
      emit("response.refusal.done", { item_id, output_index, content_index: 0, refusal });
      emit("response.content_part.done", {
        item_id,
        output_index,
        content_index: 0,
        part: { ...part, refusal },
      });
    } else if (item.type === "message") {
      openMessage(item_id, output_index);
      const content = (item.content as Item[])[0];
      const text = String(content.text);
      const empty = {
        type: "output_text",
        annotations: [],
        logprobs: [],
        text: "",
      };
      emit("response.content_part.added", {
        item_id,
        output_index,
        content_index: 0,
        part: empty,
      });
      for (const delta of chunkText(text)) {
        emit("response.output_text.delta", {
          item_id,
          output_index,
          content_index: 0,
          delta,
          logprobs: [],
        });
      }
      const annotations = content.annotations as Item[];
      annotations.forEach((annotation, annotation_index) =>
        emit("response.output_text.annotation.added", {
          item_id,
          output_index,
          content_index: 0,
          annotation_index,
          annotation,
        })
      );
      emit("response.output_text.done", {
        item_id,
        output_index,
        content_index: 0,
        text,
        logprobs: [],
      });
      emit("response.content_part.done", {
        item_id,
        output_index,
        content_index: 0,
        part: { ...empty, annotations, text },
      });
    } else if (item.type === "function_call") {
      emit("response.output_item.added", {
        output_index,
        item: { ...item, status: "in_progress", arguments: "" },
      });
      for (const delta of chunkJson(String(item.arguments))) {
        emit("response.function_call_arguments.delta", {
          item_id,
          output_index,
          delta,
        });
      }
      emit("response.function_call_arguments.done", {
        item_id,
        output_index,
        arguments: item.arguments,
      });
    } else if (item.type === "tool_search_call") {
      emit("response.output_item.added", {
        output_index,
        item: { ...item, status: "in_progress" },
      });
    } else {
      emit("response.output_item.added", {
        output_index,
        item: { ...item, status: "in_progress", input: "" },
      });
      for (const delta of chunkText(String(item.input))) {
        emit("response.custom_tool_call_input.delta", {
          item_id,
          output_index,
          delta,
        });
      }
      emit("response.custom_tool_call_input.done", {
        item_id,
        output_index,
        input: item.input,
      });
    }
    emit("response.output_item.done", { output_index, item });
  });
  // an answer cut by the output limit ends with `response.incomplete`
  emit(reply.maxTokens ? "response.incomplete" : "response.completed", {
    response: responseObject(reply, true),
  });
  return {
    status: 200,
    headers: headers(reply, "text/event-stream; charset=utf-8"),
    chunks: events,
    streaming: true,
  };
}
