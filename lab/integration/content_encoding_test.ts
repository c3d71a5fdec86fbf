/**
 * Compressed answers: an Anthropic event stream sent gzip-, br- and zstd-encoded over HTTP/1.1
 * with chunked framing, in many TLS calls. The call must read the same as uncompressed, and
 * every event's time must be that of a call carrying its (compressed) bytes, never earlier than
 * the response start.
 */
import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { renderAnthropicStream } from "../simulator/anthropic_messages.ts";
import type { TlsView } from "../../analysis/byte_streams.ts";
import { buildHttpTables } from "../../analysis/http_tables.ts";
import { type HandCall, handView, prices } from "../../analysis/testing.ts";

const enc = new TextEncoder();

function compress(coding: string, b: Uint8Array): Uint8Array {
  // deno-lint-ignore no-explicit-any
  const z = zlib as any;
  const f = coding === "gzip"
    ? z.gzipSync
    : coding === "br"
    ? z.brotliCompressSync
    : z.zstdCompressSync;
  return new Uint8Array(f(b));
}

function recording(coding: string | null): TlsView {
  const reply = renderAnthropicStream({
    model: "claude-sonnet-4-5",
    thinking: "Hmm.",
    text: "A compressed answer that is long enough to be cut into several deltas on the way.",
    toolCalls: [{ name: "Bash", kind: "function", args: { command: "true" } }],
    usage: {
      inputTokens: 10,
      outputTokens: 20,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    },
    seed: "ce",
    created: 0,
  });
  const plain = enc.encode(reply.chunks.join(""));
  const body = coding ? compress(coding, plain) : plain;
  const req =
    `{"model":"claude-sonnet-4-5","stream":true,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"Bash"}]}`;
  const calls: HandCall[] = [
    [
      "write",
      enc.encode(
        `POST /v1/messages HTTP/1.1\r\nhost: h\r\ncontent-length: ${req.length}\r\n\r\n${req}`,
      ),
    ],
    [
      "read",
      enc.encode(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n" +
          (coding ? `content-encoding: ${coding}\r\n` : "") + "\r\n",
      ),
    ],
  ];
  for (let o = 0; o < body.length; o += 64) {
    const piece = body.subarray(o, o + 64);
    calls.push([
      "read",
      new Uint8Array([...enc.encode(`${piece.length.toString(16)}\r\n`), ...piece, 13, 10]),
    ]);
  }
  calls.push(["read", enc.encode("0\r\n\r\n")]);
  return handView(calls, { pid: 1, connId: 1n, step: 1000n });
}

const plain = await buildHttpTables("r", recording(null), prices);

for (const coding of ["gzip", "br", "zstd"]) {
  Deno.test(`${coding}-encoded event stream reads as the plain one, timed by its calls`, async () => {
    const tls = recording(coding);
    const t = await buildHttpTables("r", tls, prices);
    assert.equal(t.exchanges[0].content_encoding, coding);
    assert.equal(t.exchanges[0].error, null);
    const strip = (c: typeof t.calls[0]) => ({
      ...c,
      first_byte_ns: 0,
      first_token_ns: 0,
      end_ns: 0,
      ttft_ms: 0,
      duration_ms: 0,
    });
    assert.deepEqual(t.calls.map(strip), plain.calls.map(strip));
    assert.deepEqual(t.tools.map((x) => [x.name, x.input]), [["Bash", '{"command":"true"}']]);
    const times = new Set(
      Array.from(tls.ts as bigint[]).filter((_, i) => tls.direction[i] === "read"),
    );
    assert.ok(t.events.length > 5 && t.events.every((e) => times.has(e.ts_ns!)));
    const c = t.calls[0];
    assert.ok(c.first_byte_ns! <= c.first_token_ns! && c.first_token_ns! <= c.end_ns!);
    for (let i = 1; i < t.events.length; i++) {
      assert.ok(t.events[i - 1].ts_ns! <= t.events[i].ts_ns!);
    }
  });
}
