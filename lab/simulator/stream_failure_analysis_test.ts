/**
 * The analysis reads every answer the scripted server breaks off (stream_failure.ts) as what
 * happened: the bytes the server sends for a failed attempt and for its retry, framed as an
 * HTTP/1.1 connection (chunked; a dropped connection has no last chunk), go through the whole
 * HTTP analysis (analysis/http_tables.ts) fed whole, byte by byte and split at every point:
 * each failed attempt is a call with its outcome (`error` with the provider's error type, or
 * `cut`), its tokens and cost as far as the answer told them and why, a `problems` row when the
 * connection dropped, and the retry continues its conversation.
 */
import assert from "node:assert/strict";
import { buildHttpTables, type HttpTables } from "../../analysis/http_tables.ts";
import { handView, prices, rechunk, splitAt } from "../../analysis/testing.ts";
import { concatBytes } from "../../kit/bytes.ts";
import { encodeLiteral } from "../../protocols/hpack_encode.ts";
import {
  encodeFrame as h2Frame,
  Flag,
  FrameType,
  HTTP2_PREFACE,
} from "../../protocols/http2_frame.ts";
import { renderReply } from "./provider_api.ts";
import type { Reply } from "./reply.ts";
import { inspectRequest } from "./request_view.ts";
import { routeRequest } from "./routes.ts";
import type { TurnFailure } from "./scenario.ts";
import { breakAnswer } from "./stream_failure.ts";

const enc = new TextEncoder();

const REPLY: Reply = {
  model: "claude-sonnet-4-5",
  text: "The marker printed: midstream-marker, and that is all it printed today. " +
    "It came back at once, with nothing on its error stream and an exit status of zero, " +
    "so the command did what it was asked to do.",
  toolCalls: [],
  usage: {
    inputTokens: 1200,
    outputTokens: 40,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
  },
  seed: "midstream",
  created: 1767225600,
};

interface Case {
  name: string;
  path: string;
  body: Record<string, unknown>;
  model: string;
}

const user = { role: "user", content: "Run the marker command." };
const CASES: Case[] = [
  {
    name: "Anthropic Messages",
    path: "/v1/messages",
    body: { model: "claude-sonnet-4-5", stream: true, max_tokens: 99, messages: [user] },
    model: "claude-sonnet-4-5",
  },
  {
    name: "Chat Completions",
    path: "/v1/chat/completions",
    body: {
      model: "gpt-4o",
      stream: true,
      stream_options: { include_usage: true },
      messages: [user],
    },
    model: "gpt-4o",
  },
  {
    name: "Responses",
    path: "/v1/responses",
    body: { model: "gpt-5", stream: true, input: [{ role: "user", content: user.content }] },
    model: "gpt-5",
  },
  {
    name: "Bedrock",
    path: "/model/anthropic.claude-sonnet-4-5/invoke-with-response-stream",
    body: { anthropic_version: "bedrock-2023-05-31", max_tokens: 99, messages: [user] },
    model: "claude-sonnet-4-5",
  },
  {
    name: "Gemini",
    path: "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
    body: { contents: [{ role: "user", parts: [{ text: user.content }] }] },
    model: "gemini-2.5-pro",
  },
];

/** The answer's bytes as the server renders them: whole, or broken off by `f`. */
function answer(c: Case, f?: TurnFailure): { chunks: Uint8Array[]; dropped: boolean } {
  const route = routeRequest("POST", c.path);
  const view = inspectRequest(route, c.body);
  const whole = renderReply(route, view, { ...REPLY, model: c.model });
  const broken = f ? breakAnswer(route, view, whole, f) : undefined;
  if (broken?.problem) throw new Error(broken.problem);
  const r = broken?.response ?? whole;
  const chunks = r.chunks.map((x) => typeof x === "string" ? enc.encode(x) : x);
  return { chunks, dropped: r.cut !== undefined };
}

/** One HTTP/1.1 exchange: the request, then the response head and its chunked body. */
function exchange(c: Case, f?: TurnFailure): ["write" | "read", Uint8Array][] {
  const body = JSON.stringify(c.body);
  const req = `POST ${c.path} HTTP/1.1\r\nhost: api.test\r\ncontent-type: application/json\r\n` +
    `content-length: ${enc.encode(body).length}\r\n\r\n${body}`;
  const a = answer(c, f);
  const type = c.name === "Bedrock"
    ? "application/vnd.amazon.eventstream"
    : c.name === "Gemini JSON array"
    ? "application/json; charset=UTF-8"
    : "text/event-stream; charset=utf-8";
  const parts: Uint8Array[] = [
    enc.encode(`HTTP/1.1 200 OK\r\ncontent-type: ${type}\r\ntransfer-encoding: chunked\r\n\r\n`),
  ];
  for (const x of a.chunks) {
    parts.push(enc.encode(`${x.length.toString(16)}\r\n`), x, enc.encode("\r\n"));
  }
  // a dropped connection sends no last chunk
  if (!a.dropped) parts.push(enc.encode("0\r\n\r\n"));
  const len = parts.reduce((n, p) => n + p.length, 0);
  const resp = new Uint8Array(len);
  let at = 0;
  for (const p of parts) (resp.set(p, at), at += p.length);
  return [["write", enc.encode(req)], ["read", resp]];
}

/** A failed attempt on one connection, its retry on a second (as clients do after an error). */
function attemptAndRetry(c: Case, f: TurnFailure) {
  const [w1, r1] = exchange(c, f);
  const [w2, r2] = exchange(c);
  return handView([
    [w1[0], w1[1], 1n],
    [r1[0], r1[1], 1n],
    [w2[0], w2[1], 2n],
    [r2[0], r2[1], 2n],
  ], { pid: 7, connId: 1n, step: 1000n });
}

/** What a user checks of the failed attempt and its retry. */
function summary(t: HttpTables) {
  const [a, b] = t.calls;
  return {
    calls: t.calls.length,
    attempt: {
      status: a.status,
      outcome: a.outcome,
      error_type: a.error_type,
      error: a.error,
      incomplete: a.incomplete,
      input_tokens: a.input_tokens,
      output_tokens: a.output_tokens,
      cost_known: a.cost_usd !== null,
      price_source: a.price_source,
      text: a.assistant_text,
    },
    retry: { outcome: b.outcome, text: b.assistant_text, incomplete: b.incomplete },
    same_conversation: a.conversation_id === b.conversation_id,
    problems: t.problems.map((p) => `${p.kind}: ${p.message}`),
  };
}

/** The same summary whole, byte by byte and split at every point of each connection's bytes. */
async function assertEverySplit(c: Case, f: TurnFailure) {
  const tls = attemptAndRetry(c, f);
  const want = summary(await buildHttpTables("r", tls, prices));
  const byteByByte = rechunk(tls, (b) => Array.from(b, (_, i) => b.subarray(i, i + 1)));
  assert.deepEqual(summary(await buildHttpTables("r", byteByByte, prices)), want, "byte by byte");
  // every split point of the failed attempt's answer (the bytes under test)
  const answerLen = attemptAndRetry(c, f).data[1]!.length;
  for (let i = 1; i < answerLen; i++) {
    const split = rechunk(
      tls,
      (b, dir) => dir === "read" && b.length === answerLen ? splitAt(i)(b) : [b],
    );
    assert.deepEqual(summary(await buildHttpTables("r", split, prices)), want, `split at ${i}`);
  }
  return want;
}

const ERROR_TYPES: Record<string, string> = {
  "Anthropic Messages": "overloaded_error",
  "Chat Completions": "server_error",
  "Responses": "server_error",
  "Bedrock": "serviceUnavailableException",
  "Gemini": "INTERNAL",
};

for (const c of CASES) {
  Deno.test(`${c.name}: the API's error after a 200 is an error call with its type; the retry continues it`, async () => {
    const s = await assertEverySplit(c, {
      times: 1,
      after: 2,
      status: c.name.startsWith("Anthropic") || c.name === "Bedrock" ? 529 : 500,
    });
    assert.equal(s.calls, 2);
    assert.equal(s.attempt.status, 200);
    assert.equal(s.attempt.outcome, "error");
    assert.equal(s.attempt.error_type, ERROR_TYPES[c.name]);
    assert.ok(s.attempt.error);
    assert.equal(s.attempt.incomplete, false);
    assert.equal(s.retry.outcome, "complete");
    assert.equal(s.retry.text, REPLY.text);
    assert.ok(s.same_conversation, "the retry continues the failed call's conversation");
    assert.deepEqual(s.problems, []);
    // tokens as far as told: Anthropic's message_start and Gemini's first chunks gave the
    // input; Chat Completions and Responses give usage only at their end
    if (c.name.startsWith("Anthropic") || c.name === "Bedrock" || c.name === "Gemini") {
      assert.equal(s.attempt.input_tokens, 1200n);
      assert.ok(s.attempt.cost_known);
      assert.match(
        s.attempt.price_source!,
        new RegExp(
          `tokens as far as reported: the stream ended with the API's error \\(${
            ERROR_TYPES[c.name]
          }\\)`,
        ),
      );
    } else {
      assert.equal(s.attempt.input_tokens, null);
      assert.equal(s.attempt.cost_known, false);
      assert.match(s.attempt.price_source!, /^unknown: the stream ended with the API's error/);
    }
  });

  Deno.test(`${c.name}: a connection dropped mid-stream is a cut call and a problem; the retry continues it`, async () => {
    const s = await assertEverySplit(c, { times: 1, after: 2, cut: "close" });
    assert.equal(s.attempt.outcome, "cut");
    assert.equal(s.attempt.incomplete, true);
    assert.equal(s.attempt.error_type, null);
    assert.equal(s.retry.outcome, "complete");
    assert.ok(s.same_conversation);
    assert.equal(s.problems.length, 1);
    assert.match(s.problems[0], /^incomplete: POST .*: the response is cut short/);
  });
}

Deno.test("a stream that ends early without an error (no [DONE], no finishReason) is cut, with no problem: the body ended", async () => {
  for (const c of CASES) {
    const whole = answer(c).chunks.length;
    const s = summary(
      await buildHttpTables(
        "r",
        attemptAndRetry(c, { times: 1, after: whole - 1, cut: "end" }),
        prices,
      ),
    );
    assert.equal(s.attempt.outcome, "cut", c.name);
    assert.equal(s.attempt.incomplete, true, c.name);
    assert.ok(s.same_conversation, c.name);
    assert.deepEqual(s.problems, [], c.name);
  }
});

Deno.test("HTTP/2: the server resets the stream mid-answer (what the scripted server's close does over h2): cut, one problem saying so; the retry on the next stream continues it", async () => {
  const c = CASES[0];
  const body = enc.encode(JSON.stringify(c.body));
  const headers = (id: number, fields: [string, string][]) =>
    h2Frame(
      FrameType.HEADERS,
      Flag.END_HEADERS,
      id,
      fields.flatMap(([k, v]) => encodeLiteral(k, v, "without")),
    );
  const request = (id: number) => [
    headers(id, [
      [":method", "POST"],
      [":scheme", "https"],
      [":path", c.path],
      [":authority", "api.test"],
      ["content-type", "application/json"],
    ]),
    h2Frame(FrameType.DATA, Flag.END_STREAM, id, body),
  ];
  const answerFrames = (id: number, f?: TurnFailure) => {
    const a = answer(c, f);
    return [
      headers(id, [[":status", "200"], ["content-type", "text/event-stream; charset=utf-8"]]),
      ...a.chunks.map((x) => h2Frame(FrameType.DATA, 0, id, x)),
      a.dropped
        ? h2Frame(FrameType.RST_STREAM, 0, id, [0, 0, 0, 2]) // INTERNAL_ERROR
        : h2Frame(FrameType.DATA, Flag.END_STREAM, id, []),
    ];
  };
  const settings = h2Frame(FrameType.SETTINGS, 0, 0, []);
  // the retry is sent once the reset answer has ended
  const read = concatBytes([settings, ...answerFrames(1, { times: 1, after: 2, cut: "close" })]);
  const tls = handView([
    ["write", concatBytes([HTTP2_PREFACE, settings, ...request(1)])],
    ["read", read],
    ["write", concatBytes(request(3))],
    ["read", concatBytes(answerFrames(3))],
  ], { pid: 7, connId: 1n, step: 1000n });
  const want = summary(await buildHttpTables("r", tls, prices));
  assert.equal(want.attempt.outcome, "cut");
  assert.equal(want.attempt.incomplete, true);
  assert.equal(want.retry.outcome, "complete");
  assert.equal(want.retry.text, REPLY.text);
  assert.ok(want.same_conversation);
  assert.deepEqual(want.problems, [
    `incomplete: POST ${c.path}: the response is cut short: the server reset its stream ` +
    "(RST_STREAM INTERNAL_ERROR)",
  ]);
  const byteByByte = rechunk(tls, (b) => Array.from(b, (_, i) => b.subarray(i, i + 1)));
  assert.deepEqual(summary(await buildHttpTables("r", byteByByte, prices)), want, "byte by byte");
  // every split point of the reset answer's bytes (the retry's answer stays a call of its own)
  for (let i = 1; i < read.length; i++) {
    const split = rechunk(
      tls,
      (b, dir) =>
        dir === "read" ? [b.subarray(0, i), b.subarray(i, read.length), b.subarray(read.length)] : [
          b.subarray(0, b.length - concatBytes(request(3)).length),
          b.subarray(b.length - concatBytes(request(3)).length),
        ],
    );
    assert.deepEqual(summary(await buildHttpTables("r", split, prices)), want, `split at ${i}`);
  }
});

Deno.test("Gemini without alt=sse (one JSON array): an error item, an array that ends early, an array cut inside an item", async () => {
  const c: Case = {
    name: "Gemini JSON array",
    path: "/v1beta/models/gemini-2.5-pro:streamGenerateContent",
    body: CASES.find((x) => x.name === "Gemini")!.body,
    model: "gemini-2.5-pro",
  };
  const error = await assertEverySplit(c, { times: 1, after: 2, status: 503 });
  assert.deepEqual(
    [error.attempt.outcome, error.attempt.error_type, error.attempt.incomplete, error.problems],
    ["error", "UNAVAILABLE", false, []],
  );
  assert.ok(REPLY.text!.startsWith(error.attempt.text!), "the items before the error are read");
  assert.equal(error.retry.text, REPLY.text);
  assert.ok(error.same_conversation);
  const ended = await assertEverySplit(c, { times: 1, after: 2, cut: "end" });
  assert.deepEqual([ended.attempt.outcome, ended.problems], ["cut", []]);
  const cut = await assertEverySplit(c, { times: 1, after: 2, cut: "close" });
  assert.equal(cut.attempt.outcome, "cut");
  assert.ok(REPLY.text!.startsWith(cut.attempt.text!) && cut.attempt.text!.length > 0);
  assert.equal(cut.problems.length, 1);
  assert.match(cut.problems[0], /^incomplete: POST .*: the response is cut short/);
  assert.ok(cut.same_conversation);
});
