import assert from "node:assert/strict";
import { createSseParser, type SseEvent, type SseOptions } from "./sse.ts";
import { ProtocolError } from "./protocol_error.ts";
import { assertSameForAllChunkings, concatBytes, seededRandom, utf8 } from "./testing.ts";

interface Collected {
  events: SseEvent[];
  comments: { text: string; offset: number }[];
  errors: string[];
}

function parseChunks(chunks: Uint8Array[], options: SseOptions = {}): Collected {
  const out: Collected = { events: [], comments: [], errors: [] };
  const p = createSseParser({
    onEvent: (e) => out.events.push(e),
    onComment: (c) => out.comments.push(c),
    onError: (e) => out.errors.push(`${e.code}: ${e.message}`),
  }, options);
  for (const c of chunks) p.feed(c);
  p.end();
  return out;
}

const brief = (events: SseEvent[]) =>
  events.map((e) => ({ type: e.type, data: e.data, id: e.lastEventId }));

Deno.test("SSE: WHATWG spec examples, every chunking", () => {
  const input = utf8(
    ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\n" +
      "data:  third event\n\n" + "data: YHOO\ndata: +2\ndata: 10\n\n" +
      "event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\n" +
      "data\n\ndata\ndata\n\n",
  );
  const out = assertSameForAllChunkings(input, (chunks) => parseChunks(chunks));
  assert.deepEqual(brief(out.events), [
    { type: "message", data: "first event", id: "1" },
    { type: "message", data: "second event", id: "" },
    { type: "message", data: " third event", id: "" },
    { type: "message", data: "YHOO\n+2\n10", id: "" },
    { type: "add", data: "73857293", id: "" },
    { type: "remove", data: "2153", id: "" },
    { type: "message", data: "", id: "" },
    { type: "message", data: "\n", id: "" },
  ]);
  assert.deepEqual(out.comments, [{ text: " test stream", offset: 0 }]);
  assert.ok(out.events.every((e) => !e.incomplete));
  assert.deepEqual(out.errors, []);
});

Deno.test("SSE: Anthropic Messages stream with byte offsets", () => {
  const events = [
    ["message_start", '{"type":"message_start","message":{"id":"msg_01","role":"assistant"}}'],
    ["content_block_start", '{"type":"content_block_start","index":0}'],
    ["ping", '{"type": "ping"}'],
    ["content_block_delta", '{"type":"content_block_delta","delta":{"text":"Héllo ✓"}}'],
    ["content_block_stop", '{"type":"content_block_stop","index":0}'],
    ["message_stop", '{"type":"message_stop"}'],
  ];
  const text = events.map(([t, d]) => `event: ${t}\ndata: ${d}\n\n`).join("");
  const input = utf8(text);
  const out = assertSameForAllChunkings(
    input,
    (chunks) => parseChunks(chunks, { startOffset: 1000 }),
  );
  assert.deepEqual(out.events.map((e) => [e.type, e.data]), events);
  // Offsets, computed independently from the UTF-8 encoding of each event's text.
  let pos = 1000;
  out.events.forEach((e, i) => {
    const block = utf8(`event: ${events[i][0]}\ndata: ${events[i][1]}\n\n`);
    assert.equal(e.firstByte, pos);
    assert.equal(e.lastByte, pos + block.length - 1); // the final "\n"
    assert.equal(e.index, i);
    pos += block.length;
  });
});

Deno.test("SSE: CR, LF and CRLF line endings, split CRLF, BOM", () => {
  const input = concatBytes([
    Uint8Array.of(0xef, 0xbb, 0xbf),
    utf8("data: a\r\n\r\ndata: b\r\rdata: c\n\nevent: x\rdata: d\r\ndata: e\n\r\n"),
  ]);
  const out = assertSameForAllChunkings(input, (chunks) => parseChunks(chunks));
  assert.deepEqual(out.events.map((e) => [e.type, e.data, e.firstByte, e.lastByte]), [
    ["message", "a", 3, 12], // "data: a\r\n" is 3..11, blank line CR at 12
    ["message", "b", 14, 22], // LF at 13 ends the CRLF; "data: b\r" 14..21, blank "\r" 22
    ["message", "c", 23, 31],
    ["x", "d\ne", 32, 58], // "event: x\r" 32..40, "data: d\r\n" 41..49, "data: e\n" 50..57
  ]);
  // A BOM that is not at the very start is data, not skipped.
  const late = parseChunks([utf8("data: \ufeffz\n\n")]);
  assert.equal(late.events[0].data, "\ufeffz");
});

Deno.test("SSE: an event cut short is emitted at end() flagged incomplete", () => {
  const input = utf8('event: content_block_delta\ndata: {"type":"content_bl');
  const out = assertSameForAllChunkings(input, (chunks) => parseChunks(chunks));
  assert.deepEqual(out.events, [{
    index: 0,
    type: "content_block_delta",
    data: '{"type":"content_bl',
    lastEventId: "",
    firstByte: 0,
    lastByte: input.length - 1,
    incomplete: true,
  }]);
  // Ends right after a complete field line but before the blank line: still incomplete.
  const out2 = parseChunks([utf8("data: x\n")]);
  assert.deepEqual(out2.events.map((e) => [e.data, e.incomplete]), [["x", true]]);
  // Nothing pending at end: no extra event.
  assert.equal(parseChunks([utf8("data: x\n\n")]).events.length, 1);
  assert.equal(parseChunks([utf8(": keep-alive\n")]).events.length, 0);
});

Deno.test("SSE: retry, id with NUL, invalid UTF-8", () => {
  const input = concatBytes([
    utf8("retry: 3000\nid: 7\ndata: a\n\nretry: 1x\nid: bad\0id\ndata: b\n\ndata: "),
    Uint8Array.of(0xff, 0xc3),
    utf8("\n\n"),
  ]);
  const out = assertSameForAllChunkings(input, (chunks) => parseChunks(chunks));
  assert.deepEqual(out.events.map((e) => [e.data, e.lastEventId, e.retry]), [
    ["a", "7", 3000],
    ["b", "7", undefined],
    ["\ufffd\ufffd", "7", undefined],
  ]);
});

Deno.test("SSE: a 100 MB line fails cleanly with bounded memory", () => {
  const limit = 1 << 20;
  const errors: ProtocolError[] = [];
  const events: SseEvent[] = [];
  const p = createSseParser({ onEvent: (e) => events.push(e), onError: (e) => errors.push(e) }, {
    maxBufferSize: limit,
  });
  p.feed(utf8("data: ok\n\ndata: "));
  const chunk = new Uint8Array(64 * 1024).fill(0x41);
  for (let sent = 0; sent < 100 * 1024 * 1024; sent += chunk.length) p.feed(chunk);
  p.end();
  assert.equal(events.length, 1);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, "buffer-limit");
  assert.match(errors[0].message, /SSE line exceeds maxBufferSize/);
  assert.equal(errors[0].offset, 10);
  assert.ok(p.peakBufferCapacity <= limit, `peak ${p.peakBufferCapacity}`);
});

Deno.test("SSE: a line of exactly the bound passes, one byte more fails, however it is fed", () => {
  // "data: " + 10 bytes = 16 bytes of line; the bound counts the line without its ending
  const fits = utf8("data: 0123456789\n\ndata: x\n\n");
  const ok = assertSameForAllChunkings(fits, (c) => parseChunks(c, { maxBufferSize: 16 }));
  assert.deepEqual(ok.events.map((e) => e.data), ["0123456789", "x"]);
  assert.deepEqual(ok.errors, []);
  const over = utf8("data: x\n\ndata: 0123456789A\n\ndata: y\n\n");
  const bad = assertSameForAllChunkings(over, (c) => parseChunks(c, { maxBufferSize: 16 }));
  assert.deepEqual(bad.events.map((e) => e.data), ["x"]);
  assert.deepEqual(bad.errors, [
    "buffer-limit: SSE line exceeds maxBufferSize (16 bytes) (at stream offset 9)",
  ]);
});

Deno.test("SSE: a 50 MB multi-line event fails cleanly with bounded memory", () => {
  const limit = 1 << 20;
  const errors: ProtocolError[] = [];
  const events: SseEvent[] = [];
  const p = createSseParser({ onEvent: (e) => events.push(e), onError: (e) => errors.push(e) }, {
    maxBufferSize: limit,
  });
  const line = utf8("data: " + "x".repeat(1000) + "\n");
  const chunk = concatBytes(Array.from({ length: 64 }, () => line));
  for (let sent = 0; sent < 50 * 1024 * 1024; sent += chunk.length) p.feed(chunk);
  p.feed(utf8("\n"));
  p.end();
  assert.equal(events.length, 0);
  assert.equal(errors.length, 1);
  assert.match(errors[0].message, /SSE event exceeds maxBufferSize/);
  assert.ok(p.peakBufferCapacity <= limit);
});

Deno.test("SSE: random bytes never throw and stay bounded", () => {
  const rand = seededRandom(42);
  for (let run = 0; run < 50; run++) {
    const input = Uint8Array.from({ length: 5000 }, () => Math.floor(rand() * 256));
    const errors: ProtocolError[] = [];
    const p = createSseParser({ onEvent: () => {}, onError: (e) => errors.push(e) }, {
      maxBufferSize: 256,
    });
    for (let i = 0; i < input.length; i += 77) p.feed(input.subarray(i, i + 77));
    p.end();
    assert.ok(p.peakBufferCapacity <= 256);
    assert.ok(errors.every((e) => e.code === "buffer-limit"));
  }
});

// WHATWG HTML 9.2.6: a blank line with an empty data buffer dispatches nothing and resets the
// event type; unknown fields are ignored; only one space after the colon is dropped; the last
// event ID persists until an `id` changes it; an `id` line with no colon sets it to empty.
Deno.test("SSE: no data means no event, unknown fields, one space stripped, id persists", () => {
  const input = utf8(
    "\ufeff:ok\r\nevent: ping\r\n\r\nid: 9\r\nfoo: bar\r\ndata:x\r\n\r\n" +
      "event\rdata:   y\r\r" + "data: \r\ndata\r\n\r\n" + "id\nevent: e\nretry\n\n" +
      "data: z\n\n",
  );
  const out = assertSameForAllChunkings(input, (chunks) => parseChunks(chunks));
  assert.deepEqual(out.errors, []);
  assert.deepEqual(out.comments.map((c) => c.text), ["ok"]);
  assert.deepEqual(brief(out.events), [
    { type: "message", data: "x", id: "9" }, // "ping" had no data: not dispatched, reset
    { type: "message", data: "  y", id: "9" }, // "event" without colon: empty name → message
    { type: "message", data: "\n", id: "9" },
    { type: "message", data: "z", id: "" }, // "id" alone cleared it; "e" had no data
  ]);
  assert.ok(out.events.every((e) => !e.incomplete));
});
