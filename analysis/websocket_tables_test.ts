/**
 * WebSocket traffic built by hand, for what the real fixtures do not show: an `error` event
 * with its status, a WebSocket on an LLM path that speaks something else, an upgrade the server
 * declines, a WebSocket over HTTP/2 (RFC 8441 extended CONNECT), a compression bomb in a
 * capture, a conversation continued from a response not recorded, and compressed request
 * bodies (zstd, gzip, br) over HTTP/1.1 and HTTP/2. Whatever is not understood is a `problems`
 * row naming the connection, never an empty result.
 */
import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { encodeWebSocketFrame } from "../protocols/mod.ts";
import {
  encodeFrame as h2Frame,
  Flag,
  FrameType,
  HTTP2_PREFACE,
} from "../protocols/http2_frame.ts";
import { encodeLiteral } from "../protocols/hpack_encode.ts";
import { buildHttpTables } from "./http_tables.ts";
import { type HandCall, handView, prices } from "./testing.ts";
import { concatBytes } from "../kit/bytes.ts";

/** An empty HTTP/2 SETTINGS frame. */
const H2_SETTINGS = h2Frame(FrameType.SETTINGS, 0, 0, []);

/** An HTTP/2 HEADERS frame (END_HEADERS) on stream `id` carrying `fields` as HPACK literals. */
const h2Headers = (id: number, fields: [string, string][]) =>
  h2Frame(
    FrameType.HEADERS,
    Flag.END_HEADERS,
    id,
    fields.flatMap(([k, v]) => encodeLiteral(k, v, "without")),
  );

const enc = new TextEncoder();
/** A TLS view of one connection's calls, in order. */
const view = (calls: HandCall[]) => handView(calls, { pid: 9, connId: 0x2an, step: 1000n });

const SOURCE = "pid 9 conn 0x2a gen 0";
const UPGRADE = "GET /v1/responses HTTP/1.1\r\nHost: api.test\r\nUpgrade: websocket\r\n" +
  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
  "Sec-WebSocket-Version: 13\r\nUser-Agent: codex_exec/0.169.0\r\n";
const SWITCHED = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" +
  "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
const MASK = new Uint8Array([1, 2, 3, 4]);
const clientText = (v: unknown) =>
  encodeWebSocketFrame({ opcode: 1, payload: enc.encode(JSON.stringify(v)), mask: MASK });
const serverText = (v: unknown) =>
  encodeWebSocketFrame({ opcode: 1, payload: enc.encode(JSON.stringify(v)) });
const create = {
  type: "response.create",
  model: "gpt-test",
  tools: [{ type: "function", name: "exec_command" }],
  input: [{ type: "message", role: "user", content: "hi" }],
};

Deno.test("an error event gives the call its status and error", async () => {
  const t = await buildHttpTables(
    "r",
    view([
      ["write", UPGRADE + "\r\n"],
      ["read", SWITCHED + "\r\n"],
      ["write", clientText(create)],
      [
        "read",
        serverText({
          type: "error",
          status: 429,
          error: { type: "usage_limit_reached", message: "The usage limit has been reached" },
        }),
      ],
    ]),
    prices,
  );
  assert.equal(t.calls.length, 1);
  const c = t.calls[0];
  assert.deepEqual([c.transport, c.status, c.error, c.incomplete, c.agent], [
    "websocket",
    429,
    "The usage limit has been reached",
    false,
    "codex",
  ]);
  assert.equal(c.user_input, "hi");
  assert.deepEqual(t.wsMessages.map((m) => [m.direction, m.event_type, m.llm_call_id]), [
    ["client", "response.create", 1n],
    ["server", "error", 1n],
  ]);
});

Deno.test("response.failed in the stream: an error call with its code; a connection that drops inside the retry's answer: cut, and a problem", async () => {
  const created = { id: "resp_1", object: "response", status: "in_progress", model: "gpt-test" };
  const t = await buildHttpTables(
    "r",
    view([
      ["write", UPGRADE + "\r\n"],
      ["read", SWITCHED + "\r\n"],
      ["write", clientText(create)],
      ["read", serverText({ type: "response.created", sequence_number: 0, response: created })],
      [
        "read",
        serverText({
          type: "response.failed",
          sequence_number: 1,
          response: {
            ...created,
            status: "failed",
            error: { code: "server_error", message: "Overloaded" },
          },
        }),
      ],
      ["write", clientText(create)],
      [
        "read",
        serverText({
          type: "response.created",
          sequence_number: 0,
          response: { ...created, id: "resp_2" },
        }),
      ],
    ]),
    prices,
  );
  assert.deepEqual(
    t.calls.map((c) => [c.outcome, c.error_type, c.error, c.incomplete, c.response_id]),
    [
      ["error", "server_error", "Overloaded", false, "resp_1"],
      ["cut", null, null, true, "resp_2"],
    ],
  );
  assert.equal(t.calls[0].conversation_id, t.calls[1].conversation_id, "the retry continues it");
  assert.deepEqual(t.problems.map((p) => [p.source, p.kind, p.message]), [[
    SOURCE,
    "incomplete",
    "WebSocket /v1/responses: the answer to a response.create (resp_2) is cut short: no " +
    "terminal event ends it (the connection closed inside it, or its last messages were not " +
    "recorded)",
  ]]);
});

Deno.test("a WebSocket on an LLM path that speaks something else is a problem, not silence", async () => {
  const t = await buildHttpTables(
    "r",
    view([
      ["write", UPGRADE + "\r\n"],
      ["read", SWITCHED + "\r\n"],
      ["write", clientText({ type: "session.update", session: {} })],
      ["read", serverText({ type: "session.updated" })],
    ]),
    prices,
  );
  assert.equal(t.calls.length, 0);
  assert.equal(t.wsMessages.length, 2);
  assert.equal(t.problems.length, 1);
  assert.equal(t.problems[0].source, SOURCE);
  assert.equal(t.problems[0].kind, "llm");
  assert.match(t.problems[0].message, /client event type "session.update" not understood/);
  assert.match(t.problems[0].message, /2 text message\(s\), no response.create read/);
});

Deno.test("a declined upgrade: what follows is reported, not parsed", async () => {
  const t = await buildHttpTables(
    "r",
    view([
      ["write", UPGRADE + "\r\n"],
      ["write", clientText(create)],
      ["read", "HTTP/1.1 426 Upgrade Required\r\nContent-Length: 4\r\n\r\nnope"],
    ]),
    prices,
  );
  assert.equal(t.calls.length, 0);
  assert.deepEqual(t.exchanges.map((x) => [x.method, x.status, x.ws_messages]), [["GET", 426, 0]]);
  assert.ok(
    t.problems.some((p) =>
      p.source === SOURCE &&
      /bytes after the WebSocket upgrade GET \/v1\/responses not parsed: the server answered 426, not 101/
        .test(p.message)
    ),
  );
});

Deno.test("WebSocket over HTTP/2 (RFC 8441 extended CONNECT)", async () => {
  const data = (id: number, payload: Uint8Array) => h2Frame(FrameType.DATA, 0, id, payload);
  const t = await buildHttpTables(
    "r",
    view([
      [
        "write",
        concatBytes([
          HTTP2_PREFACE,
          H2_SETTINGS,
          h2Headers(1, [
            [":method", "CONNECT"],
            [":protocol", "websocket"],
            [":scheme", "https"],
            [":path", "/v1/responses"],
            [":authority", "api.test"],
            ["sec-websocket-version", "13"],
          ]),
        ]),
      ],
      ["read", concatBytes([H2_SETTINGS, h2Headers(1, [[":status", "200"]])])],
      ["write", data(1, clientText(create))],
      ["read", data(1, serverText({ type: "response.created", response: { id: "resp_1" } }))],
      [
        "read",
        data(
          1,
          serverText({
            type: "response.completed",
            response: {
              id: "resp_1",
              model: "gpt-test",
              status: "completed",
              output: [{ type: "message", content: [{ type: "output_text", text: "hello" }] }],
              usage: { input_tokens: 5, output_tokens: 1 },
            },
          }),
        ),
      ],
    ]),
    prices,
  );
  assert.deepEqual(t.problems, []);
  assert.equal(t.exchanges[0].protocol, "h2");
  assert.equal(t.exchanges[0].ws_messages, 3);
  assert.equal(t.calls.length, 1);
  const c = t.calls[0];
  assert.deepEqual([c.transport, c.assistant_text, c.input_tokens, c.incomplete], [
    "websocket",
    "hello",
    5n,
    false,
  ]);
  // timed by the TLS calls that carried each message
  assert.deepEqual([c.request_ns, c.first_byte_ns, c.end_ns], [3000n, 4000n, 5000n]);
});

Deno.test("a compression bomb in a capture is bounded and named; the window is lost after it", async () => {
  const deflate = "Sec-WebSocket-Extensions: permessage-deflate\r\n";
  const bomb = zlib.deflateRawSync(enc.encode(" ".repeat(20_000_000)), {
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  }).subarray(0, -4);
  const after = zlib.deflateRawSync(enc.encode(JSON.stringify({ type: "response.completed" })), {
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  }).subarray(0, -4);
  const t = await buildHttpTables(
    "r",
    view([
      ["write", UPGRADE + deflate + "\r\n"],
      ["read", SWITCHED + deflate + "\r\n"],
      ["write", clientText(create)],
      ["read", encodeWebSocketFrame({ opcode: 1, rsv1: true, payload: bomb })],
      ["read", encodeWebSocketFrame({ opcode: 1, rsv1: true, payload: after })],
    ]),
    prices,
  );
  const server = t.wsMessages.filter((m) => m.direction === "server");
  assert.match(server[0].error ?? "", /exceeds 256 times its \d+ compressed bytes/);
  assert.ok(Number(server[0].size) <= 256 * Number(server[0].wire_bytes));
  assert.match(server[1].error ?? "", /window was lost/);
  assert.equal(t.calls.length, 1);
  assert.equal(t.calls[0].incomplete, true);
  const text = t.problems.map((p) => p.message).join("\n");
  assert.ok(t.problems.every((p) => p.source === SOURCE));
  assert.match(text, /WebSocket server: message 0: permessage-deflate: decoded message exceeds/);
});

Deno.test("a conversation continued from a response not recorded says so", async () => {
  const body = JSON.stringify({
    model: "gpt-test",
    stream: false,
    previous_response_id: "resp_before",
    tools: [{ type: "function", name: "f" }],
    input: [{ type: "function_call_output", call_id: "call_1", output: "done" }],
  });
  const answer = JSON.stringify({ id: "resp_after", status: "completed", output: [] });
  const t = await buildHttpTables(
    "r",
    view([
      [
        "write",
        `POST /v1/responses HTTP/1.1\r\nHost: api.test\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      ],
      [
        "read",
        `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${answer.length}\r\n\r\n${answer}`,
      ],
    ]),
    prices,
  );
  assert.equal(t.calls[0].previous_response_id, "resp_before");
  assert.equal(t.calls[0].previous_llm_call_id, null);
  assert.equal(t.problems.length, 1);
  assert.match(
    t.problems[0].message,
    /continues response resp_before, which is not in the recording/,
  );
});

Deno.test("compressed request bodies (zstd, gzip, br) are decoded over HTTP/1.1 and HTTP/2", async () => {
  const body = enc.encode(JSON.stringify({
    model: "gpt-test",
    stream: false,
    tools: [{ type: "function", name: "f" }],
    input: [{ type: "message", role: "user", content: "compressed hello" }],
  }));
  // deno-lint-ignore no-explicit-any
  const z = zlib as any;
  const codings: [string, Uint8Array][] = [
    ["zstd", z.zstdCompressSync(body)],
    ["gzip", zlib.gzipSync(body)],
    ["br", zlib.brotliCompressSync(body)],
  ];
  const answer = JSON.stringify({ id: "r1", model: "gpt-test", status: "completed", output: [] });
  for (const [coding, packed] of codings) {
    // HTTP/1.1
    const h1 = await buildHttpTables(
      "r",
      view([
        [
          "write",
          concatBytes([
            enc.encode(
              `POST /v1/responses HTTP/1.1\r\nHost: api.test\r\nContent-Encoding: ${coding}\r\n` +
                `Content-Length: ${packed.length}\r\n\r\n`,
            ),
            packed,
          ]),
        ],
        ["read", `HTTP/1.1 200 OK\r\nContent-Length: ${answer.length}\r\n\r\n${answer}`],
      ]),
      prices,
    );
    assert.deepEqual(h1.problems, [], coding);
    assert.equal(h1.calls[0].user_input, "compressed hello", coding);
    assert.equal(h1.exchanges[0].request_content_encoding, coding);
    assert.deepEqual(h1.exchanges[0].request_body, body);
    assert.equal(h1.exchanges[0].request_bytes, BigInt(packed.length));
    // HTTP/2
    const h2 = await buildHttpTables(
      "r",
      view([
        [
          "write",
          concatBytes([
            HTTP2_PREFACE,
            H2_SETTINGS,
            h2Headers(1, [
              [":method", "POST"],
              [":scheme", "https"],
              [":path", "/v1/responses"],
              [":authority", "api.test"],
              ["content-encoding", coding],
            ]),
            h2Frame(FrameType.DATA, Flag.END_STREAM, 1, packed),
          ]),
        ],
        [
          "read",
          concatBytes([
            H2_SETTINGS,
            h2Headers(1, [[":status", "200"]]),
            h2Frame(FrameType.DATA, Flag.END_STREAM, 1, enc.encode(answer)),
          ]),
        ],
      ]),
      prices,
    );
    assert.deepEqual(h2.problems, [], `h2 ${coding}`);
    assert.equal(h2.calls[0].user_input, "compressed hello", `h2 ${coding}`);
    assert.equal(h2.exchanges[0].request_content_encoding, coding);
  }
});

// RFC 6455 8.1: text that is not UTF-8 fails the connection at the receiver. On the wire, the
// message and those after it are still there: the damaged answer is flagged (not complete, a
// problem naming the message), the next call on the connection is read whole, nothing dropped.
Deno.test("a server event not valid UTF-8: its call flagged, the next call still read, a problem row", async () => {
  const completed = (id: string, text: string) =>
    serverText({
      type: "response.completed",
      response: {
        id,
        model: "gpt-test",
        status: "completed",
        output: [{ type: "message", content: [{ type: "output_text", text }] }],
        usage: { input_tokens: 5, output_tokens: 1 },
      },
    });
  // a delta event whose string holds a raw 0xff byte
  const [pre, post] = JSON.stringify({ type: "response.output_text.delta", delta: "h|i" })
    .split("|");
  const bad = encodeWebSocketFrame({
    opcode: 1,
    payload: concatBytes([enc.encode(pre), new Uint8Array([0xff]), enc.encode(post)]),
  });
  const t = await buildHttpTables(
    "r",
    view([
      ["write", UPGRADE + "\r\n"],
      ["read", SWITCHED + "\r\n"],
      ["write", clientText(create)],
      ["read", serverText({ type: "response.created", response: { id: "resp_1" } })],
      ["read", bad],
      ["read", completed("resp_1", "h?i")],
      ["write", clientText(create)],
      ["read", serverText({ type: "response.created", response: { id: "resp_2" } })],
      ["read", completed("resp_2", "second")],
    ]),
    prices,
  );
  assert.deepEqual(t.calls.map((c) => [c.response_id, c.incomplete, c.assistant_text]), [
    ["resp_1", true, "h?i"],
    ["resp_2", false, "second"],
  ]);
  const server = t.wsMessages.filter((m) => m.direction === "server");
  assert.equal(server.length, 5, "every server message kept");
  assert.match(server[1].error ?? "", /not valid UTF-8/);
  // the bytes as sent are kept beside the text decoded with U+FFFD
  assert.deepEqual(server[1].data, bad.subarray(2));
  assert.ok(server[1].text?.includes("h\uFFFDi"));
  assert.equal(server[0].data, null);
  const text = t.problems.map((p) => `${p.source} ${p.message}`).join("\n");
  assert.match(
    text,
    /pid 9 conn 0x2a gen 0 GET \/v1\/responses: WebSocket server: text message 1 is not valid UTF-8 \(RFC 6455 5\.6, 8\.1/,
  );
  assert.match(text, /server message 1 could not be decoded \(not valid UTF-8/);
  assert.match(text, /\(resp_1\) is not whole: a terminal event ends it, but events before it/);
});
