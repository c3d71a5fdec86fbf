/**
 * OpenAI Responses API (`POST /v1/responses`) for the scripted model server: renders a
 * {@linkcode Reply} as the streaming SSE events (`response.created`, `response.in_progress`,
 * `response.output_item.added`/`.done`, reasoning summary, `response.output_text.delta`,
 * `response.function_call_arguments.delta`, `response.custom_tool_call_input.delta`,
 * `response.completed` with usage), each with its `sequence_number`, or as one response object.
 */

import { base62, hex, opaque } from "./ids.ts";
import { chunkJson, chunkText, encodeSseEvent } from "./sse.ts";
import type { RenderedResponse, Reply } from "./reply.ts";
import {
  blocksText,
  type OfferedTool,
  type RequestView,
  type ToolResultView,
} from "./request_view.ts";

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
  if (reply.text !== undefined) {
    items.push({
      id: id("msg", 0),
      type: "message",
      status: "completed",
      content: [{
        type: "output_text",
        annotations: [],
        logprobs: [],
        text: reply.text,
      }],
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
    status: done ? "completed" : "in_progress",
    background: false,
    error: null,
    incomplete_details: null,
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

function headers(reply: Reply, contentType: string): Record<string, string> {
  return {
    "content-type": contentType,
    "x-request-id": `req_${hex(`${reply.seed}:req`, 32)}`,
    "openai-processing-ms": "42",
    "openai-version": "2020-10-01",
  };
}

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
    } else if (item.type === "message") {
      emit("response.output_item.added", {
        output_index,
        item: {
          id: item_id,
          type: "message",
          status: "in_progress",
          content: [],
          role: "assistant",
        },
      });
      const text = (item.content as { text: string }[])[0].text;
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
        part: { ...empty, text },
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
  emit("response.completed", { response: responseObject(reply, true) });
  return {
    status: 200,
    headers: headers(reply, "text/event-stream; charset=utf-8"),
    chunks: events,
    streaming: true,
  };
}

type Obj = Record<string, unknown>;

const MODEL_ITEMS = new Set([
  "reasoning",
  "function_call",
  "custom_tool_call",
  "local_shell_call",
  "web_search_call",
  "tool_search_call",
]);

/** The function tools in a `tool_search_output` item's tools, namespaces flattened. */
function searchedTools(tools: Obj[], namespace?: string): OfferedTool[] {
  const out: OfferedTool[] = [];
  for (const t of tools) {
    if (t.type === "namespace" && Array.isArray(t.tools) && typeof t.name === "string") {
      out.push(...searchedTools(t.tools as Obj[], t.name));
    } else if (t.type === "function" && typeof t.name === "string") {
      out.push({
        name: t.name,
        kind: "function",
        parameters: t.parameters,
        ...(namespace !== undefined ? { namespace } : {}),
      });
    }
  }
  return out;
}

/** Reads what the script needs from a Responses API request body. */
export function inspectResponsesRequest(body: Obj): RequestView {
  const input: Obj[] = typeof body.input === "string"
    ? [{ type: "message", role: "user", content: body.input }]
    : Array.isArray(body.input)
    ? body.input as Obj[]
    : [];
  const tools: OfferedTool[] = [];
  for (const t of Array.isArray(body.tools) ? body.tools as Obj[] : []) {
    if (t.type === "function" && typeof t.name === "string") {
      tools.push({ name: t.name, kind: "function", parameters: t.parameters });
    } else if (t.type === "custom" && typeof t.name === "string") {
      tools.push({ name: t.name, kind: "custom", parameters: t.format });
    } else if (t.type === "tool_search") {
      tools.push({ name: "tool_search", kind: "tool_search", parameters: t.parameters });
    }
  }
  // Tools a client-executed tool search loaded (deferred MCP tools) are offered from then on.
  for (const item of input) {
    if (item.type === "tool_search_output" && Array.isArray(item.tools)) {
      tools.push(...searchedTools(item.tools as Obj[]));
    }
  }
  const texts: string[] = [
    typeof body.instructions === "string" ? body.instructions : "",
  ];
  // One model turn may produce several items (reasoning, message, calls): count runs of them.
  let assistantTurns = 0;
  let inModelTurn = false;
  let lastModelItem = -1;
  let lastUserText: string | undefined;
  // A turn that only searched for tools (and reasoned) is not a turn of the script.
  let runSearched = false;
  let runOther = false;
  const endRun = () => {
    if (inModelTurn && (runOther || !runSearched)) assistantTurns++;
    runSearched = runOther = false;
  };
  input.forEach((item, i) => {
    const isModel = MODEL_ITEMS.has(String(item.type)) ||
      ((item.type === "message" || item.type === undefined) &&
        item.role === "assistant");
    if (isModel) {
      if (item.type === "tool_search_call") runSearched = true;
      else if (item.type !== "reasoning") runOther = true;
      inModelTurn = true;
      lastModelItem = i;
    } else {
      endRun();
      inModelTurn = false;
    }
    if (item.content !== undefined) {
      const t = blocksText(item.content);
      texts.push(t);
      if (item.role === "user") lastUserText = t;
    }
  });
  endRun();
  const toolResults: ToolResultView[] = [];
  for (const item of input.slice(lastModelItem + 1)) {
    if (
      item.type === "function_call_output" ||
      item.type === "custom_tool_call_output"
    ) {
      toolResults.push({
        text: blocksText(item.output),
        callId: typeof item.call_id === "string" ? item.call_id : undefined,
      });
    }
  }
  const format = (body.text as Obj | undefined)?.format as Obj | undefined;
  const jsonSchema = format?.type === "json_schema" ? format.schema : undefined;
  return {
    provider: "openai-responses",
    model: typeof body.model === "string" ? body.model : undefined,
    stream: body.stream === true,
    tools,
    assistantTurns,
    toolResults,
    jsonSchema,
    wantsJson: jsonSchema !== undefined || format?.type === "json_object",
    texts,
    lastUserText,
  };
}
