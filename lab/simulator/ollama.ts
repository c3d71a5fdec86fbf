/**
 * Ollama's native API (`POST /api/chat`, `POST /api/generate`) for the scripted model server,
 * as ollama/ollama docs/api.md describes it: renders a {@linkcode Reply} as NDJSON
 * (`application/x-ndjson`, the default: one object per line with a piece of
 * `message.content` / `message.thinking` (chat) or `response` / `thinking` (generate), the tool
 * calls whole in one `message.tool_calls` line — `function.name` and an `arguments` object, no
 * ids — and a last object `done: true` with `done_reason`, `prompt_eval_count`, `eval_count` and
 * the durations in nanoseconds) or, with `stream: false`, as one such object. Errors, token
 * counts and model lists in Ollama's shape are in provider_api.ts. The analysis reads all of
 * it with analysis/llm/ollama.ts (cross-tested in wire_cross_test.ts).
 */

import { chunkText } from "./sse.ts";
import type { RenderedResponse, Reply, ToolCall } from "./reply.ts";

/** The two model-call endpoints. */
export type OllamaEndpoint = "api/chat" | "api/generate";

/** `created_at` of the n-th object of an answer (RFC 3339 with nanoseconds, as Go writes it). */
function createdAt(reply: Reply, n: number): string {
  const iso = new Date(reply.created * 1000 + n).toISOString(); // ...T00:00:00.003Z
  return iso.replace(/\.(\d{3})Z$/, (_, ms) => `.${ms}000000Z`);
}

function argumentsOf(call: ToolCall): Record<string, unknown> {
  return call.kind === "custom" ? { input: call.input ?? "" } : call.args ?? {};
}

/** The statistics of the last object: token counts and deterministic durations (ns). */
function finalStats(reply: Reply): Record<string, unknown> {
  const u = reply.usage;
  const promptNs = 2_000_000 + u.inputTokens * 50_000;
  const evalNs = 5_000_000 + u.outputTokens * 20_000_000;
  const loadNs = 1_500_000;
  return {
    done: true,
    done_reason: "stop",
    total_duration: loadNs + promptNs + evalNs,
    load_duration: loadNs,
    prompt_eval_count: u.inputTokens,
    prompt_eval_duration: promptNs,
    eval_count: u.outputTokens,
    eval_duration: evalNs,
  };
}

/** The pieces of an answer before its last object: thinking, then text, then the tool calls. */
function pieces(reply: Reply, endpoint: OllamaEndpoint, stream: boolean) {
  const split = (s: string) => stream ? chunkText(s, 24) : [s];
  const out: { thinking?: string; text?: string; calls?: ToolCall[] }[] = [];
  if (reply.thinking) { for (const t of split(reply.thinking)) out.push({ thinking: t }); }
  if (reply.text) { for (const t of split(reply.text)) out.push({ text: t }); }
  // /api/generate has no tools
  if (endpoint === "api/chat" && reply.toolCalls.length) out.push({ calls: reply.toolCalls });
  return out;
}

/** One answer object of the endpoint's shape with the given piece. */
function object(
  reply: Reply,
  endpoint: OllamaEndpoint,
  n: number,
  p: { thinking?: string; text?: string; calls?: ToolCall[] },
): Record<string, unknown> {
  const base = { model: reply.model, created_at: createdAt(reply, n) };
  if (endpoint === "api/generate") {
    return {
      ...base,
      response: p.text ?? "",
      ...(p.thinking !== undefined ? { thinking: p.thinking } : {}),
    };
  }
  const message: Record<string, unknown> = { role: "assistant", content: p.text ?? "" };
  if (p.thinking !== undefined) message.thinking = p.thinking;
  if (p.calls?.length) {
    message.tool_calls = p.calls.map((c) => ({
      function: { name: c.name, arguments: argumentsOf(c) },
    }));
  }
  return { ...base, message };
}

const NDJSON = "application/x-ndjson";

/** A streamed answer: one NDJSON line per piece, then the last object (`done: true`). */
export function renderOllamaStream(reply: Reply, endpoint: OllamaEndpoint): RenderedResponse {
  const lines: Record<string, unknown>[] = pieces(reply, endpoint, true).map((p, i) => ({
    ...object(reply, endpoint, i, p),
    done: false,
  }));
  const last = object(reply, endpoint, lines.length, {});
  lines.push({ ...last, ...finalStats(reply) });
  return {
    status: 200,
    headers: { "content-type": NDJSON },
    chunks: lines.map((l) => JSON.stringify(l) + "\n"),
    streaming: true,
  };
}

/** A whole answer (`stream: false`): one object with all of it and the statistics. */
export function renderOllamaJson(reply: Reply, endpoint: OllamaEndpoint): RenderedResponse {
  const all = pieces(reply, endpoint, false);
  const merged = {
    ...(reply.thinking ? { thinking: reply.thinking } : {}),
    ...(reply.text ? { text: reply.text } : {}),
    ...(all.find((p) => p.calls) ?? {}),
  };
  const body = { ...object(reply, endpoint, 0, merged), ...finalStats(reply) };
  return {
    status: 200,
    headers: { "content-type": "application/json; charset=utf-8" },
    chunks: [JSON.stringify(body)],
    streaming: false,
  };
}

/** An error in Ollama's shape: `{"error": "..."}`. */
export function ollamaError(
  status: number,
  message: string,
  headers: Record<string, string> = {},
): RenderedResponse {
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
    chunks: [JSON.stringify({ error: message })],
    streaming: false,
  };
}

/** `GET /api/tags`: the local models (one: the scenario's). */
export function ollamaTags(model: string): RenderedResponse {
  const tagged = model.includes(":") ? model : `${model}:latest`;
  return {
    status: 200,
    headers: { "content-type": "application/json; charset=utf-8" },
    chunks: [JSON.stringify({
      models: [{
        name: tagged,
        model: tagged,
        modified_at: "2026-01-01T00:00:00Z",
        size: 5_200_000_000,
        digest: "0".repeat(64),
        details: {
          parent_model: "",
          format: "gguf",
          family: "qwen3",
          families: ["qwen3"],
          parameter_size: "8.2B",
          quantization_level: "Q4_K_M",
        },
      }],
    })],
    streaming: false,
  };
}
