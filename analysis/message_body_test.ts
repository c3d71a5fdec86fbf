/**
 * decodeBody on HTTP/1.1 bodies whose codings are odd but legal (RFC 9110 8.4, RFC 9112 6.1):
 * a transfer coding applied before `chunked` (`Transfer-Encoding: gzip, chunked`), stacked
 * content codings undone in reverse, a transfer coding over a content coding, and codings this
 * runtime cannot undo, which must be an error, never an empty or still-encoded body taken as
 * plain. Each wire input goes through the real HTTP/1 push parser whole, byte by byte and at
 * every split point.
 */
import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { createHttp1ResponseParser, type Http1Head } from "../protocols/http1.ts";
import { assertSameForAllChunkings } from "../protocols/testing.ts";
import { concatBytes } from "../kit/bytes.ts";
import type { BodyPart, Message } from "./connection_parser.ts";
import { decodeBody, sseEvents } from "./message_body.ts";

const enc = new TextEncoder();
const TEXT = '{"type":"message","content":[{"text":"' + "héllo wörld ".repeat(40) + '"}]}';

/** A chunked HTTP/1.1 response carrying `body` in chunks of 17 bytes with an extension. */
function chunkedResponse(fields: string, body: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [enc.encode(`HTTP/1.1 200 OK\r\n${fields}\r\n`)];
  for (let i = 0; i < body.length; i += 17) {
    const piece = body.subarray(i, i + 17);
    parts.push(enc.encode(`${piece.length.toString(16)};n=${i}\r\n`), piece, enc.encode("\r\n"));
  }
  parts.push(enc.encode("0\r\n\r\n"));
  return concatBytes(parts);
}

/** The response messages the HTTP/1 parser reads from the chunks, as the analysis keeps them. */
function messages(chunks: Uint8Array[]): Message[] {
  const out: Message[] = [];
  let head: Http1Head | null = null;
  let body: BodyPart[] = [];
  const p = createHttp1ResponseParser({
    onHead: (h) => (head = h, body = []),
    onBody: (c) => body.push({ data: c.data.slice(), offset: c.offset }),
    onMessageEnd: (e) => {
      out.push({
        headers: head!.headers,
        lookup: head!.lookup,
        start: head!.startOffset,
        end: e.endOffset,
        body,
        bodyLength: e.bodyLength,
        bodyKept: true,
        complete: !e.incomplete,
      });
    },
    onError: (e) => assert.fail(e.message),
  });
  p.expectResponseTo("GET");
  for (const c of chunks) p.feed(c);
  p.end();
  return out;
}

async function decoded(input: Uint8Array) {
  const results: { text: string; encoding: string | null; error?: string }[] = [];
  assertSameForAllChunkings(input, (chunks) => {
    const m = messages(chunks);
    assert.equal(m.length, 1);
    return m[0].body.reduce((n, p) => n + p.data.length, 0);
  }, { randomRuns: 5 });
  // decodeBody is async: run it on the whole-input parse and on a byte-by-byte parse
  for (const chunks of [[input], Array.from(input, (_, i) => input.subarray(i, i + 1))]) {
    const d = await decodeBody(messages(chunks)[0]);
    results.push({
      text: new TextDecoder().decode(d.bytes),
      encoding: d.encoding,
      ...(d.error ? { error: d.error } : {}),
    });
  }
  assert.deepEqual(results[1], results[0]);
  return results[0];
}

const u8 = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

Deno.test("decodeBody: Transfer-Encoding: gzip, chunked is undone, every split", async () => {
  const wire = chunkedResponse(
    "Content-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n",
    u8(zlib.gzipSync(TEXT)),
  );
  const d = await decoded(wire);
  assert.equal(d.error, undefined);
  assert.equal(d.text, TEXT);
  assert.equal(d.encoding, "gzip");
});

Deno.test("decodeBody: Content-Encoding br under Transfer-Encoding deflate (raw), chunked", async () => {
  const wire = chunkedResponse(
    "Content-Encoding: br\r\nTransfer-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n",
    u8(zlib.deflateRawSync(zlib.brotliCompressSync(TEXT))),
  );
  const d = await decoded(wire);
  assert.equal(d.error, undefined);
  assert.equal(d.text, TEXT);
  assert.equal(d.encoding, "br, deflate");
});

Deno.test("decodeBody: stacked Content-Encoding gzip, zstd and zlib deflate, chunked", async () => {
  // deno-lint-ignore no-explicit-any
  const z = zlib as any;
  const wire = chunkedResponse(
    "Content-Encoding: deflate, gzip\r\nContent-Encoding: zstd\r\nTransfer-Encoding: chunked\r\n",
    u8(z.zstdCompressSync(zlib.gzipSync(zlib.deflateSync(TEXT)))),
  );
  const d = await decoded(wire);
  assert.equal(d.error, undefined);
  assert.equal(d.text, TEXT);
  assert.equal(d.encoding, "deflate, gzip, zstd");
});

Deno.test("decodeBody: a coding it cannot undo is an error, in either header", async () => {
  for (
    const fields of [
      "Content-Encoding: compress\r\nTransfer-Encoding: chunked\r\n",
      "Transfer-Encoding: compress, chunked\r\n",
    ]
  ) {
    const d = await decoded(chunkedResponse(fields, enc.encode("\x1f\x9d\x90abc")));
    assert.match(d.error ?? "", /compress/, fields);
  }
});

// WHATWG HTML 9.2.6 on a gzip'd, chunked event stream: a BOM at the start, CR and CRLF line
// ends, a comment, a multi-line data, `data` with no colon, and a last event with no blank line
// after it, which a browser drops: here it is kept, flagged incomplete, never taken as complete.
Deno.test("decodeBody + sseEvents: gzip'd chunked SSE with BOM, CR, comment, unterminated last event", async () => {
  const stream = "\ufeff: hi\revent: a\r\ndata: x\rdata:y\r\rdata\n\n" +
    'event: message_stop\ndata: {"type":"message_stop"}\n';
  const wire = chunkedResponse(
    "Content-Type: text/event-stream\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
    u8(zlib.gzipSync(stream)),
  );
  for (const chunks of [[wire], Array.from(wire, (_, i) => wire.subarray(i, i + 1))]) {
    const body = await decodeBody(messages(chunks)[0]);
    assert.equal(body.error, undefined);
    const r = sseEvents(body);
    assert.equal(r.error, undefined);
    assert.deepEqual(r.events.map((e) => [e.type, e.data, e.incomplete]), [
      ["a", "x\ny", false],
      ["message", "", false],
      ["message_stop", '{"type":"message_stop"}', true],
    ]);
    // each event's offset is a wire byte of the body, in stream order
    const offsets = r.events.map((e) => e.offset);
    assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b));
    assert.ok(offsets.every((o) => o > 0 && o < wire.length));
  }
});

Deno.test("decodeBody: only the final chunked is undone; chunked twice is an error, not chunk text", async () => {
  const inner = chunkedResponse("", enc.encode(TEXT)); // chunk-coded once more
  const body = inner.subarray(inner.indexOf(0x0a, inner.indexOf(0x0a) + 1) + 1);
  const d = await decoded(chunkedResponse("Transfer-Encoding: chunked, chunked\r\n", body));
  assert.match(d.error ?? "", /chunked/);
  assert.notEqual(
    d.text,
    new TextDecoder().decode(body),
    "the chunk-coded bytes not shown as the body",
  );
});
