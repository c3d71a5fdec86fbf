/**
 * Gemini API (`POST /v1beta/models/{model}:generateContent` and
 * `:streamGenerateContent?alt=sse`) for the scripted model server: renders a
 * {@linkcode Reply} as GenerateContentResponse objects — thought parts, text parts,
 * `functionCall` parts, `finishReason` (`SAFETY` for a refusal), a search's
 * `groundingMetadata` and `usageMetadata` in the last one — streamed as SSE
 * `data:` events separated by CRLF like the real API, or as one JSON body.
 */

import { base62, opaque } from "./ids.ts";
import { chunkText, encodeSseEvent } from "./sse.ts";
import type { RenderedResponse, Reply } from "./reply.ts";

type Part = Record<string, unknown>;

function usageMetadata(reply: Reply, final: boolean): Record<string, unknown> {
  const u = reply.usage;
  const candidates = Math.max(0, u.outputTokens - u.reasoningTokens);
  const meta: Record<string, unknown> = {
    promptTokenCount: u.inputTokens,
    totalTokenCount: u.inputTokens + (final ? u.outputTokens : 0),
  };
  if (final) meta.candidatesTokenCount = candidates;
  if (u.cacheReadTokens > 0) meta.cachedContentTokenCount = u.cacheReadTokens;
  meta.promptTokensDetails = [{ modality: "TEXT", tokenCount: u.inputTokens }];
  if (final && u.reasoningTokens > 0) {
    meta.thoughtsTokenCount = u.reasoningTokens;
  }
  return meta;
}

function responseId(reply: Reply): string {
  return base62(`${reply.seed}:gemini`, 22);
}

/** The parts of a reply in streaming order; each inner list goes out in one chunk. */
function partGroups(reply: Reply, stream: boolean): Part[][] {
  const groups: Part[][] = [];
  const split = (s: string) => stream ? chunkText(s, 48) : [s];
  if (reply.thinking !== undefined) {
    for (const t of split(reply.thinking)) {
      groups.push([{ text: t, thought: true }]);
    }
  }
  if (reply.text !== undefined) {
    for (const t of split(reply.text)) groups.push([{ text: t }]);
  }
  if (reply.toolCalls.length > 0) {
    groups.push(reply.toolCalls.map((call, i) => {
      const part: Part = {
        functionCall: { name: call.name, args: call.args ?? {} },
      };
      if (i === 0) part.thoughtSignature = opaque(`${reply.seed}:thought`, 64);
      return part;
    }));
  }
  if (groups.length === 0 && reply.refusal === undefined) groups.push([{ text: "" }]);
  return groups;
}

/**
 * One candidate; the last carries the finish reason (`SAFETY` for a refusal: Gemini says no
 * text then, only the blocked rating) and what Google Search grounding found.
 */
function candidate(reply: Reply, parts: Part[], finish: boolean): Record<string, unknown> {
  const c: Record<string, unknown> = { content: { parts, role: "model" } };
  if (finish) {
    c.finishReason = reply.refusal !== undefined
      ? "SAFETY"
      : reply.maxTokens
      ? "MAX_TOKENS"
      : "STOP";
    if (reply.refusal !== undefined) {
      c.safetyRatings = [{
        category: "HARM_CATEGORY_DANGEROUS_CONTENT",
        probability: "HIGH",
        blocked: true,
      }];
    }
    if (reply.search !== undefined) c.groundingMetadata = grounding(reply.search, reply.text ?? "");
  }
  c.index = 0;
  return c;
}

/** Google Search grounding's metadata: the queries, the pages, and what of the text they support. */
function grounding(search: NonNullable<Reply["search"]>, text: string): Record<string, unknown> {
  return {
    webSearchQueries: [search.query],
    groundingChunks: search.results.map((r) => ({ web: { uri: r.url, title: r.title } })),
    groundingSupports: search.results.length > 0 && text !== ""
      ? [{
        segment: { startIndex: 0, endIndex: new TextEncoder().encode(text).length, text },
        groundingChunkIndices: search.results.map((_, i) => i),
      }]
      : [],
    searchEntryPoint: { renderedContent: `<div>${search.query}</div>` },
  };
}

function headers(contentType: string): Record<string, string> {
  return {
    "content-type": contentType,
    "vary": "Origin, X-Origin, Referer",
    "server": "scaffolding on HTTPServer2",
    "x-xss-protection": "0",
    "x-frame-options": "SAMEORIGIN",
    "x-content-type-options": "nosniff",
  };
}

/** Renders a non-streaming generateContent response. */
export function renderGeminiJson(reply: Reply): RenderedResponse {
  const parts = partGroups(reply, false).flat();
  const body = {
    candidates: [candidate(reply, parts, true)],
    usageMetadata: usageMetadata(reply, true),
    modelVersion: reply.model,
    responseId: responseId(reply),
  };
  return {
    status: 200,
    headers: headers("application/json; charset=UTF-8"),
    chunks: [JSON.stringify(body, null, 2) + "\n"],
    streaming: false,
  };
}

/** Renders a streamGenerateContent?alt=sse response: one GenerateContentResponse per event. */
export function renderGeminiStream(reply: Reply): RenderedResponse {
  const groups = partGroups(reply, true);
  // a refusal: one chunk with no parts, only its finish reason
  if (groups.length === 0) groups.push([]);
  const chunks = groups.map((parts, i) => {
    const last = i === groups.length - 1;
    const body = {
      candidates: [candidate(reply, parts, last)],
      usageMetadata: usageMetadata(reply, last),
      modelVersion: reply.model,
      responseId: responseId(reply),
    };
    return encodeSseEvent(JSON.stringify(body), { eol: "\r\n" });
  });
  return {
    status: 200,
    headers: headers("text/event-stream"),
    chunks,
    streaming: true,
  };
}
