/**
 * The readers on content kinds as each provider's reference documents them, beyond what the
 * scripted server plays: Anthropic's signed and redacted thinking, server tools (web fetch,
 * code execution) with their result blocks, citations, a tool input streamed in many pieces or
 * empty, `pause_turn` and hour-long cache writes; the Responses API's encrypted reasoning with
 * two summary parts, file search, code interpreter (its code streamed), image generation,
 * freeform custom tool input, refusal parts; Chat Completions' parallel tool calls interleaved
 * by index, `reasoning_content`, refusal deltas and a usage chunk with no choices; Gemini's
 * thought signatures, call ids, code execution, grounding, an image answer and a blocked
 * prompt. Each stream is read from its bytes whole, one byte at a time and cut in two at every
 * point, to the same answer; what a reader does not know (a new event, block, part or stop
 * reason) is a problem of the call, never dropped in silence.
 */
import assert from "node:assert/strict";
import { readCall } from "./read_call.ts";
import { routeLlmCall } from "./route.ts";
import { anthropicRequest } from "./anthropic.ts";
import { responsesRequest } from "./openai_responses.ts";
import { chatRequest } from "./openai_chat.ts";
import { geminiRequest } from "./gemini.ts";
import type { ResponseInfo } from "./shapes.ts";
import type { TimedSseEvent } from "../message_body.ts";
import { createSseParser } from "../../protocols/sse.ts";

const enc = new TextEncoder();

/** SSE bytes of `events` (`event:` line from their `type` when `named`). */
function sse(events: unknown[], named = true): Uint8Array {
  return enc.encode(
    events.map((e) => {
      const type = (e as { type?: string }).type;
      const data = typeof e === "string" ? e : JSON.stringify(e);
      return `${named && type ? `event: ${type}\n` : ""}data: ${data}\n\n`;
    }).join(""),
  );
}

function eventsOf(bytes: Uint8Array, pieces: Uint8Array[]): TimedSseEvent[] {
  const out: TimedSseEvent[] = [];
  const p = createSseParser({
    onEvent: (e) =>
      out.push({ type: e.type, data: e.data, offset: e.lastByte, incomplete: e.incomplete }),
  });
  for (const piece of pieces) p.feed(piece);
  p.end();
  void bytes;
  return out;
}

/**
 * Reads the stream `bytes` on `path` whole, byte by byte and cut at every point; asserts all
 * give the same answer and problems, and returns them.
 */
function readEverySplit(path: string, bytes: Uint8Array) {
  const route = routeLlmCall("POST", path);
  assert.ok(route, path);
  const read = (pieces: Uint8Array[]) =>
    readCall(route, undefined, { events: eventsOf(bytes, pieces) });
  const whole = read([bytes]);
  const want = JSON.stringify([whole.response, whole.problems]);
  const same = (pieces: Uint8Array[], what: string) => {
    const r = read(pieces);
    assert.equal(JSON.stringify([r.response, r.problems]), want, what);
  };
  same(Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)), "byte by byte");
  for (let i = 1; i < bytes.length; i++) {
    same([bytes.subarray(0, i), bytes.subarray(i)], `cut at ${i}`);
  }
  return whole;
}

const servers = (r: ResponseInfo) =>
  r.serverTools.map((t) => ({
    name: t.name,
    input: JSON.parse(t.input),
    resultType: t.resultType,
    result: t.result,
    isError: t.isError,
  }));
const calls = (r: ResponseInfo) => r.toolCalls.map((c) => [c.name, c.kind, JSON.parse(c.input)]);

// ---- Anthropic Messages ----

const block = (index: number, content_block: unknown) => ({
  type: "content_block_start",
  index,
  content_block,
});
const delta = (index: number, d: unknown) => ({ type: "content_block_delta", index, delta: d });
const stop = (index: number) => ({ type: "content_block_stop", index });
const REDACTED = "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP";

Deno.test("anthropic: signed and redacted thinking, server tools with results, citations, tool inputs in pieces or empty, pause_turn", () => {
  const input = JSON.stringify({ command: "ls -la 'a dir'", description: "list it" });
  const r = readEverySplit(
    "/v1/messages",
    sse([
      {
        type: "message_start",
        message: {
          id: "msg_1",
          model: "claude-sonnet-4-5",
          content: [],
          usage: { input_tokens: 20, cache_read_input_tokens: 1000, output_tokens: 1 },
        },
      },
      block(0, { type: "thinking", thinking: "", signature: "" }),
      { type: "ping" },
      delta(0, { type: "thinking_delta", thinking: "Fetch the page, " }),
      delta(0, { type: "thinking_delta", thinking: "then run code." }),
      delta(0, {
        type: "signature_delta",
        signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pk",
      }),
      stop(0),
      block(1, { type: "redacted_thinking", data: REDACTED }),
      stop(1),
      block(2, { type: "server_tool_use", id: "srvtoolu_1", name: "web_fetch", input: {} }),
      delta(2, { type: "input_json_delta", partial_json: "" }),
      delta(2, { type: "input_json_delta", partial_json: '{"url": "https://ex' }),
      delta(2, { type: "input_json_delta", partial_json: 'ample.test/a"}' }),
      stop(2),
      block(3, {
        type: "web_fetch_tool_result",
        tool_use_id: "srvtoolu_1",
        content: {
          type: "web_fetch_result",
          url: "https://example.test/a",
          content: {
            type: "document",
            source: { type: "text", media_type: "text/plain", data: "page text" },
          },
        },
      }),
      stop(3),
      block(4, {
        type: "server_tool_use",
        id: "srvtoolu_2",
        name: "bash_code_execution",
        input: {},
      }),
      delta(4, { type: "input_json_delta", partial_json: '{"command": "python3 -c 1/0"}' }),
      stop(4),
      block(5, {
        type: "bash_code_execution_tool_result",
        tool_use_id: "srvtoolu_2",
        content: {
          type: "bash_code_execution_tool_result_error",
          error_code: "execution_time_exceeded",
        },
      }),
      stop(5),
      block(6, { type: "text", text: "" }),
      delta(6, {
        type: "citations_delta",
        citation: {
          type: "web_search_result_location",
          url: "https://example.test/a",
          title: "A",
          cited_text: "page text",
          encrypted_index: "Eo8BCioIAhgBIiQ",
        },
      }),
      delta(6, { type: "text_delta", text: "The page says so." }),
      stop(6),
      // a tool with no arguments: an empty input, and only an empty piece
      block(7, { type: "tool_use", id: "toolu_1", name: "TodoRead", input: {} }),
      delta(7, { type: "input_json_delta", partial_json: "" }),
      stop(7),
      block(8, { type: "tool_use", id: "toolu_2", name: "Bash", input: {} }),
      ...[...input].map((ch) => delta(8, { type: "input_json_delta", partial_json: ch })),
      stop(8),
      {
        type: "message_delta",
        delta: { stop_reason: "pause_turn", stop_sequence: null },
        usage: {
          output_tokens: 300,
          cache_creation_input_tokens: 700,
          cache_creation: { ephemeral_5m_input_tokens: 200, ephemeral_1h_input_tokens: 500 },
          server_tool_use: { web_search_requests: 0, web_fetch_requests: 1 },
        },
      },
      { type: "message_stop" },
    ]),
  );
  const a = r.response;
  assert.deepEqual(r.problems, []);
  assert.equal(a.complete, true);
  assert.equal(a.stopReason, "pause_turn");
  assert.equal(a.refusal, undefined);
  assert.equal(
    a.thinking,
    `Fetch the page, then run code.\n[redacted thinking: ${REDACTED.length} characters, encrypted]`,
  );
  assert.equal(a.text, "The page says so.");
  assert.deepEqual(calls(a), [
    ["TodoRead", "function", {}],
    ["Bash", "function", JSON.parse(input)],
  ]);
  assert.deepEqual(servers(a), [
    {
      name: "web_fetch",
      input: { url: "https://example.test/a" },
      resultType: "web_fetch_tool_result",
      result: JSON.stringify({
        type: "web_fetch_result",
        url: "https://example.test/a",
        content: {
          type: "document",
          source: { type: "text", media_type: "text/plain", data: "page text" },
        },
      }),
      isError: false,
    },
    {
      name: "bash_code_execution",
      input: { command: "python3 -c 1/0" },
      resultType: "bash_code_execution_tool_result",
      result: JSON.stringify({
        type: "bash_code_execution_tool_result_error",
        error_code: "execution_time_exceeded",
      }),
      isError: true,
    },
  ]);
  assert.deepEqual(a.usage, {
    input: 20,
    cacheRead: 1000,
    output: 300,
    cacheWrite: 700,
    cacheWrite1h: 500,
  });
});

Deno.test("anthropic: a refusal, max_tokens and a full context are read; an unknown block, delta or stop reason is a problem", () => {
  const head = { type: "message_start", message: { id: "m", model: "claude-x", usage: {} } };
  const end = (reason: string) => [
    { type: "message_delta", delta: { stop_reason: reason }, usage: { output_tokens: 5 } },
    { type: "message_stop" },
  ];
  const refused = readEverySplit(
    "/v1/messages",
    sse([
      head,
      block(0, { type: "text", text: "" }),
      delta(0, { type: "text_delta", text: "I can't." }),
      stop(0),
      ...end("refusal"),
    ]),
  );
  assert.equal(refused.response.refusal, "I can't.");
  assert.deepEqual(refused.problems, []);
  for (const reason of ["max_tokens", "model_context_window_exceeded", "stop_sequence"]) {
    const r = readEverySplit("/v1/messages", sse([head, ...end(reason)]));
    assert.deepEqual([r.response.stopReason, r.response.refusal, r.problems], [
      reason,
      undefined,
      [],
    ]);
  }
  const odd = readEverySplit(
    "/v1/messages",
    sse([
      head,
      block(0, { type: "hologram", data: "x" }),
      block(1, { type: "text", text: "" }),
      delta(1, { type: "sparkle_delta", sparkle: "*" }),
      { type: "message_glimmer" },
      ...end("tired"),
    ]),
  );
  assert.deepEqual(odd.problems, [
    'the answer has content block type "hologram", which the reader does not understand',
    'the answer has content_block_delta type "sparkle_delta", which the reader does not understand',
    'the answer has stream event "message_glimmer", which the reader does not understand',
    'the answer has stop reason "tired", which the reader does not understand',
  ]);
});

Deno.test("anthropic request: images and documents, a megabyte of base64, said by type and size", () => {
  const big = "A".repeat(4 * 1024 * 1024 / 3 * 1); // ~1 MiB of bytes as base64
  const t0 = performance.now();
  const r = anthropicRequest({
    model: "claude-x",
    messages: [
      { role: "user", content: "hi" },
      { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Read", input: {} }] },
      {
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: "t1",
            content: [{
              type: "image",
              source: { type: "base64", media_type: "image/png", data: big },
            }],
          },
          { type: "text", text: "and this one:" },
          { type: "image", source: { type: "url", url: "https://example.test/x.jpg" } },
          {
            type: "document",
            source: { type: "base64", media_type: "application/pdf", data: "JVBERi0xLjQK" },
          },
        ],
      },
    ],
  });
  assert.ok(performance.now() - t0 < 2000, "read at once");
  assert.equal(
    r.userInput,
    "and this one:\n\n[image: https://example.test/x.jpg]\n\n[document: application/pdf, 9 bytes]",
  );
  assert.deepEqual(r.toolResults.map((t) => t.text), [`[image: image/png, 1024 KiB]`]);
});

// ---- OpenAI Responses ----

Deno.test("responses: encrypted reasoning with two summaries, hosted tools, code streamed, freeform input, a refusal", () => {
  const ev = (type: string, f: Record<string, unknown> = {}) => ({ type, ...f });
  const added = (output_index: number, item: unknown) =>
    ev("response.output_item.added", { output_index, item });
  const done = (output_index: number, item: unknown) =>
    ev("response.output_item.done", { output_index, item });
  const patch = "*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n";
  const fileSearch = {
    id: "fs_1",
    type: "file_search_call",
    status: "completed",
    queries: ["deploy steps"],
    results: [{ file_id: "file-1", filename: "ops.md", score: 0.9, text: "run make deploy" }],
  };
  const code = {
    id: "ci_1",
    type: "code_interpreter_call",
    status: "completed",
    code: "print(6*7)",
    container_id: "cntr_1",
    outputs: [{ type: "logs", logs: "42\n" }],
  };
  const image = {
    id: "ig_1",
    type: "image_generation_call",
    status: "completed",
    revised_prompt: "a red square",
    result: "iVBORw0KGgo".repeat(100),
  };
  const r = readEverySplit(
    "/v1/responses",
    sse([
      ev("response.created", { response: { id: "resp_1", model: "gpt-5", status: "in_progress" } }),
      added(0, { id: "rs_1", type: "reasoning", encrypted_content: "gAAAAABo", summary: [] }),
      ev("response.reasoning_summary_part.added", { output_index: 0, summary_index: 0 }),
      ev("response.reasoning_summary_text.delta", {
        output_index: 0,
        summary_index: 0,
        delta: "Search files.",
      }),
      ev("response.reasoning_summary_part.added", { output_index: 0, summary_index: 1 }),
      ev("response.reasoning_summary_text.delta", {
        output_index: 0,
        summary_index: 1,
        delta: "Then compute.",
      }),
      ev("response.reasoning_summary_text.done", { output_index: 0, summary_index: 1 }),
      added(1, { id: "fs_1", type: "file_search_call", status: "in_progress" }),
      ev("response.file_search_call.searching", { output_index: 1, item_id: "fs_1" }),
      ev("response.file_search_call.completed", { output_index: 1, item_id: "fs_1" }),
      done(1, fileSearch),
      added(2, { id: "ci_1", type: "code_interpreter_call", status: "in_progress" }),
      ev("response.code_interpreter_call_code.delta", { output_index: 2, delta: "print(" }),
      ev("response.code_interpreter_call_code.delta", { output_index: 2, delta: "6*7)" }),
      ev("response.code_interpreter_call_code.done", { output_index: 2, code: "print(6*7)" }),
      ev("response.code_interpreter_call.interpreting", { output_index: 2 }),
      done(2, code),
      added(3, { id: "ig_1", type: "image_generation_call", status: "in_progress" }),
      ev("response.image_generation_call.partial_image", {
        output_index: 3,
        partial_image_b64: "iVBO",
      }),
      done(3, image),
      added(4, {
        id: "ctc_1",
        type: "custom_tool_call",
        call_id: "call_p",
        name: "apply_patch",
        input: "",
      }),
      ...patch.match(/.{1,7}/gs)!.map((d) =>
        ev("response.custom_tool_call_input.delta", { output_index: 4, delta: d })
      ),
      added(5, { id: "msg_1", type: "message", role: "assistant", content: [] }),
      ev("response.content_part.added", {
        output_index: 5,
        content_index: 0,
        part: { type: "refusal", refusal: "" },
      }),
      ev("response.refusal.delta", { output_index: 5, content_index: 0, delta: "I won't " }),
      ev("response.refusal.delta", { output_index: 5, content_index: 0, delta: "do that part." }),
      ev("response.refusal.done", { output_index: 5, content_index: 0 }),
      ev("response.completed", {
        response: {
          id: "resp_1",
          model: "gpt-5",
          status: "completed",
          usage: {
            input_tokens: 900,
            input_tokens_details: { cached_tokens: 800 },
            output_tokens: 400,
            output_tokens_details: { reasoning_tokens: 256 },
          },
        },
      }),
    ], false),
  );
  const a = r.response;
  assert.deepEqual(r.problems, []);
  assert.equal(a.thinking, "Search files.\nThen compute.");
  assert.deepEqual(calls(a), [["apply_patch", "custom", patch]]);
  assert.equal(a.refusal, "I won't do that part.");
  assert.equal(a.text, "");
  assert.deepEqual(servers(a).map((s) => [s.name, s.input, s.resultType, s.isError]), [
    ["file_search", { queries: ["deploy steps"] }, "completed", false],
    ["code_interpreter", { code: "print(6*7)", container_id: "cntr_1" }, "completed", false],
    ["image_generation", { revised_prompt: "a red square" }, "completed", false],
  ]);
  assert.match(servers(a)[0].result!, /make deploy/);
  assert.equal(servers(a)[1].result, "42\n");
  assert.equal(servers(a)[2].result, `[image: ${image.result.length} characters of base64]`);
  assert.deepEqual(a.usage, { input: 900, output: 400, cacheRead: 800, reasoning: 256 });
  const odd = readEverySplit(
    "/v1/responses",
    sse([
      ev("response.hologram.delta", { output_index: 0 }),
      added(0, { id: "x", type: "teleport_call" }),
      ev("response.completed", { response: { id: "r", status: "completed" } }),
    ], false),
  );
  assert.deepEqual(odd.problems, [
    'the answer has stream event "response.hologram.delta", which the reader does not understand',
    'the answer has output item type "teleport_call", which the reader does not understand',
  ]);
});

Deno.test("responses request: function_call_output as an array with an image; input_image and input_file", () => {
  const r = responsesRequest({
    model: "gpt-5",
    input: [
      { type: "function_call", call_id: "c1", name: "view_image", arguments: "{}" },
      {
        type: "function_call_output",
        call_id: "c1",
        output: [
          { type: "input_text", text: "here it is" },
          { type: "input_image", image_url: `data:image/png;base64,${"A".repeat(4000)}` },
        ],
      },
      {
        type: "message",
        role: "user",
        content: [
          { type: "input_text", text: "and:" },
          {
            type: "input_file",
            filename: "r.pdf",
            file_data: "data:application/pdf;base64,JVBERi0x",
          },
        ],
      },
    ],
  });
  assert.deepEqual(r.toolResults.map((t) => t.text), [
    "here it is\n[image: image/png, 3000 bytes]",
  ]);
  assert.equal(r.userInput, "and:\n[file: r.pdf, application/pdf, 6 bytes]");
});

// ---- Chat Completions ----

Deno.test("chat: parallel tool calls interleaved by index, reasoning_content, refusal, usage in a last chunk", () => {
  const chunk = (delta: unknown, finish: string | null = null) => ({
    id: "c1",
    object: "chat.completion.chunk",
    model: "deepseek-reasoner",
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const tc = (index: number, f: Record<string, unknown>, id?: string) =>
    chunk({ tool_calls: [{ index, ...(id ? { id, type: "function" } : {}), function: f }] });
  const r = readEverySplit(
    "/v1/chat/completions",
    sse([
      chunk({ role: "assistant", content: null, reasoning_content: "" }),
      chunk({ reasoning_content: "Two files, " }),
      chunk({ reasoning_content: "read both." }),
      tc(0, { name: "read", arguments: "" }, "call_a"),
      tc(1, { name: "read", arguments: "" }, "call_b"),
      tc(0, { arguments: '{"path":' }),
      tc(1, { arguments: '{"path":"b' }),
      tc(0, { arguments: '"a"}' }),
      tc(1, { arguments: '"}' }),
      chunk({ refusal: "Not the " }),
      chunk({ refusal: "third one." }),
      chunk({}, "tool_calls"),
      {
        id: "c1",
        object: "chat.completion.chunk",
        model: "deepseek-reasoner",
        choices: [],
        usage: {
          prompt_tokens: 50,
          completion_tokens: 30,
          prompt_tokens_details: { cached_tokens: 40 },
          completion_tokens_details: { reasoning_tokens: 12 },
        },
      },
      "[DONE]",
    ], false),
  );
  const a = r.response;
  assert.deepEqual(r.problems, []);
  assert.equal(a.thinking, "Two files, read both.");
  assert.deepEqual(a.toolCalls.map((c) => [c.id, c.name, JSON.parse(c.input)]), [
    ["call_a", "read", { path: "a" }],
    ["call_b", "read", { path: "b" }],
  ]);
  assert.equal(a.refusal, "Not the third one.");
  assert.deepEqual(a.usage, { input: 50, output: 30, cacheRead: 40, reasoning: 12 });
  assert.equal(a.complete, true);
  const two = readEverySplit(
    "/v1/chat/completions",
    sse([
      { choices: [{ index: 0, delta: { content: "a" } }, { index: 1, delta: { content: "b" } }] },
      { choices: [{ index: 0, delta: {}, finish_reason: "eos" }] },
      "[DONE]",
    ], false),
  );
  assert.deepEqual(two.problems, [
    "the answer has choices beyond the first (a request with n > 1): only the first is read, which the reader does not understand",
    'the answer has finish reason "eos", which the reader does not understand',
  ]);
});

Deno.test("chat request: image_url and input_audio parts", () => {
  const r = chatRequest({
    model: "m",
    messages: [{
      role: "user",
      content: [
        { type: "text", text: "what is this" },
        { type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/4AAQ" } },
        { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } },
      ],
    }],
  });
  assert.equal(r.userInput, "what is this\n[image: image/jpeg, 6 bytes]\n[audio: wav, 4 bytes]");
});

// ---- Gemini ----

Deno.test("gemini: thought signatures, call ids, code execution, grounding, an image made, thoughts counted", () => {
  const c = (parts: unknown[], extra: Record<string, unknown> = {}) => ({
    candidates: [{ content: { role: "model", parts }, index: 0, ...extra }],
    modelVersion: "gemini-2.5-pro",
    responseId: "r1",
  });
  const r = readEverySplit(
    "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
    sse([
      c([{ text: "Compute it first.", thought: true, thoughtSignature: "CiQB0e2Kb" }]),
      c([{ executableCode: { language: "PYTHON", code: "print(6*7)" } }]),
      c([{ codeExecutionResult: { outcome: "OUTCOME_OK", output: "42\n" } }]),
      c([{ text: "It is 42." }, { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } }]),
      c([{ functionCall: { id: "fc_1", name: "save", args: { v: 42 } }, thoughtSignature: "Cj" }], {
        finishReason: "STOP",
        groundingMetadata: {
          webSearchQueries: ["six times seven"],
          groundingChunks: [{ web: { uri: "https://example.test/m", title: "Maths" } }],
        },
      }),
      {
        ...c([]),
        usageMetadata: {
          promptTokenCount: 100,
          candidatesTokenCount: 20,
          thoughtsTokenCount: 30,
          cachedContentTokenCount: 60,
        },
      },
    ], false),
  );
  const a = r.response;
  assert.deepEqual(r.problems, []);
  assert.equal(a.thinking, "Compute it first.");
  assert.equal(a.text, "It is 42.\n[inline data: image/png, 8 bytes]");
  assert.deepEqual(a.toolCalls.map((t) => [t.id, t.name, JSON.parse(t.input)]), [["fc_1", "save", {
    v: 42,
  }]]);
  assert.deepEqual(servers(a), [
    {
      name: "google_search",
      input: { queries: ["six times seven"] },
      resultType: "groundingMetadata",
      result: "Maths https://example.test/m",
      isError: undefined,
    },
    {
      name: "code_execution",
      input: { language: "PYTHON", code: "print(6*7)" },
      resultType: "OUTCOME_OK",
      result: "42\n",
      isError: false,
    },
  ]);
  assert.deepEqual(a.usage, { input: 100, output: 50, cacheRead: 60, reasoning: 30 });
});

Deno.test("gemini: a blocked prompt is a complete refusal; an unknown part field is a problem", () => {
  const route = routeLlmCall("POST", "/v1beta/models/gemini-2.5-pro:generateContent")!;
  const blocked = readCall(route, undefined, {
    body: enc.encode(JSON.stringify({
      promptFeedback: { blockReason: "PROHIBITED_CONTENT" },
      usageMetadata: { promptTokenCount: 7 },
    })),
    endOffset: 10,
  });
  assert.deepEqual(
    [blocked.response.refusal, blocked.response.complete, blocked.problems],
    ["prompt blocked: PROHIBITED_CONTENT", true, []],
  );
  const odd = readEverySplit(
    "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
    sse(
      [{ candidates: [{ content: { parts: [{ hologram: {} }] }, finishReason: "STOP" }] }],
      false,
    ),
  );
  assert.deepEqual(odd.problems, [
    'the answer has part field "hologram", which the reader does not understand',
  ]);
});

Deno.test("gemini request: an image the user gives goes in user_input by type and size", () => {
  const r = geminiRequest({
    contents: [{
      role: "user",
      parts: [{ text: "what is in" }, {
        inlineData: { mimeType: "image/webp", data: "UklGRiQAAABXRUJQ" },
      }],
    }],
  });
  assert.equal(r.userInput, "what is in\n\n[inline data: image/webp, 12 bytes]");
});
