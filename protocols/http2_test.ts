import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  createHttp2Connection,
  createHttp2Parser,
  type Http2Callbacks,
  type Http2DataEvent,
  type Http2Direction,
  type Http2HeadersEvent,
  type Http2StreamEndEvent,
} from "./http2.ts";
import {
  encodeFrame,
  Flag,
  FrameType,
  HTTP2_PREFACE,
  startsWithHttp2Frames,
} from "./http2_frame.ts";
import { encodeIndexed, encodeLiteral, encodeSizeUpdate } from "./hpack_encode.ts";
import { decodeContent } from "./content_encoding.ts";
import { ProtocolError } from "./protocol_error.ts";
import { assertSameForAllChunkings, concatBytes, seededRandom, utf8 } from "./testing.ts";

const FIXTURE = new URL("./testdata/captures/h2_node_interleaved/", import.meta.url);
const clientBytes = new Uint8Array(readFileSync(new URL("client.bin", FIXTURE)));
const serverBytes = new Uint8Array(readFileSync(new URL("server.bin", FIXTURE)));
const meta = JSON.parse(readFileSync(new URL("meta.json", FIXTURE), "utf8"));

interface Collected {
  headers: Omit<Http2HeadersEvent, "lookup">[];
  data: { streamId: number; offsets: [number, number][]; bytes: number[]; endStream: boolean }[];
  ends: Http2StreamEndEvent[];
  frames: string[];
  errors: string[];
}

function collect(input: Uint8Array | null): { cb: Http2Callbacks; out: Collected } {
  const out: Collected = { headers: [], data: [], ends: [], frames: [], errors: [] };
  const cb: Http2Callbacks = {
    onHeaders: ({ lookup: _l, ...h }) => out.headers.push(h),
    onData: (d: Http2DataEvent) => {
      if (input) {
        assert.deepEqual(d.data, input.subarray(d.offset, d.offset + d.data.length));
      }
      out.data.push({
        streamId: d.streamId,
        offsets: [[d.offset, d.offset + d.data.length]],
        bytes: Array.from(d.data),
        endStream: d.endStream,
      });
    },
    onStreamEnd: (e) => out.ends.push(e),
    onFrame: (f) => out.frames.push(`${f.typeName}:${f.streamId}:${f.length}@${f.offset}`),
    onError: (e) => out.errors.push(`${e.code}: ${e.message}`),
  };
  return { cb, out };
}

function parseOne(direction: Http2Direction, input: Uint8Array, chunks: Uint8Array[]) {
  const { cb, out } = collect(input);
  const p = createHttp2Parser(cb, { direction });
  for (const c of chunks) p.feed(c);
  p.end();
  return out;
}

const body = (out: Collected, streamId: number) =>
  Uint8Array.from(out.data.filter((d) => d.streamId === streamId).flatMap((d) => d.bytes));

Deno.test("HTTP/2 client stream from node:http2: requests, CONTINUATION, upload, RST_STREAM", () => {
  const out = assertSameForAllChunkings(
    clientBytes,
    (chunks) => parseOne("client", clientBytes, chunks),
    { splitPointLimit: 200, randomRuns: 10, maxRandomChunk: 4000 },
  );
  assert.deepEqual(out.errors, []);
  const reqs = out.headers.filter((h) => h.kind === "request");
  assert.deepEqual(reqs.map((h) => [h.streamId, h.pseudo.method, h.pseudo.path]), [
    [1, "POST", "/v1/messages"],
    [3, "GET", "/v1/models"],
    [5, "POST", "/upload"],
    [7, "GET", "/slow"],
  ]);
  const find = (h: Http2HeadersEvent | Omit<Http2HeadersEvent, "lookup">, name: string) =>
    h.headers.find(([n]) => n === name)?.[1];
  assert.equal(find(reqs[0], "authorization"), meta.sent.secrets[0]);
  assert.equal(find(reqs[0], "x-api-key"), meta.sent.secrets[1]);
  assert.equal(find(reqs[1], "cookie")?.length, meta.sent.cookieLength);
  assert.ok(reqs[1].frames > 1, "the 40 KB cookie needs CONTINUATION frames");
  assert.equal(JSON.parse(new TextDecoder().decode(body(out, 1))).model, "claude-sonnet-4");
  const upload = body(out, 5);
  assert.equal(upload.length, meta.sent.uploadLength);
  assert.ok(upload.every((b, i) => b === (i * 31) % 251));
  const rst = out.ends.find((e) => e.reason === "rst-stream");
  assert.deepEqual([rst?.streamId, rst?.errorName], [7, "CANCEL"]);
  assert.ok(out.frames.some((f) => f.startsWith("GOAWAY:0")));
});

Deno.test("HTTP/2 server stream from node:http2: interleaved responses, gzip, SSE, trailers", async () => {
  const out = assertSameForAllChunkings(
    serverBytes,
    (chunks) => parseOne("server", serverBytes, chunks),
  );
  assert.deepEqual(out.errors, []);
  const responses = out.headers.filter((h) => h.kind === "response");
  assert.deepEqual(responses.map((h) => [h.streamId, h.pseudo.status]).sort(), [
    [1, 200],
    [3, 200],
    [5, 200],
    [7, 200],
  ]);
  // Interleaved: DATA of stream 1 both before and after stream 3's response.
  const order = out.data.map((d) => d.streamId);
  const first3 = order.indexOf(3);
  assert.ok(order.indexOf(1) < first3 && order.lastIndexOf(1) > first3, order.join(","));
  assert.equal(new TextDecoder().decode(body(out, 1)), meta.sent.sse);
  assert.equal(
    new TextDecoder().decode(await decodeContent("gzip", body(out, 3))),
    meta.sent.modelsJson,
  );
  const trailers = out.headers.find((h) => h.kind === "trailers");
  assert.deepEqual([trailers?.streamId, trailers?.headers], [5, [["x-received", "40960"]]]);
  // Stream 7 was cancelled by the client, so the server's side never ended it.
  assert.deepEqual(
    out.ends.filter((e) => e.reason === "incomplete").map((e) => e.streamId),
    [7],
  );
});

Deno.test("HTTP/2 connection: fed in recorded arrival order, same events as each direction alone", () => {
  const events: string[] = [];
  const conn = createHttp2Connection({
    onHeaders: (h) => events.push(`${h.direction} ${h.streamId} ${h.kind}`),
    onError: (e) => events.push(`error ${e.message}`),
  });
  let c = 0;
  let s = 0;
  for (const read of meta.order as string[]) {
    const n = Number(read.slice(1));
    if (read[0] === "c") conn.client.feed(clientBytes.subarray(c, c += n));
    else conn.server.feed(serverBytes.subarray(s, s += n));
  }
  assert.equal(c, clientBytes.length);
  assert.equal(s, serverBytes.length);
  conn.client.end();
  conn.server.end();
  assert.ok(!events.some((e) => e.startsWith("error")), events.join("\n"));
  const alone = [
    ...parseOne("client", clientBytes, [clientBytes]).headers,
    ...parseOne("server", serverBytes, [serverBytes]).headers,
  ].map((h) => `${h.direction} ${h.streamId} ${h.kind}`);
  assert.deepEqual([...events].sort(), alone.sort());
});

/** A hand-built client stream exercising padding, priority, CONTINUATION, push, unknown frames. */
function handBuiltClient(): Uint8Array {
  const block = Uint8Array.from([
    ...encodeIndexed(3), // :method POST
    ...encodeIndexed(7), // :scheme https
    ...encodeLiteral(4, "/v1/chat/completions", "without"),
    ...encodeLiteral(1, "api.openai.com", "incremental", true),
    ...encodeLiteral("authorization", "Bearer sk-proj-abc", "never", true),
  ]);
  const padded = (payload: number[] | Uint8Array, pad: number) =>
    Uint8Array.from([pad, ...payload, ...new Array(pad).fill(0)]);
  return concatBytes([
    HTTP2_PREFACE,
    encodeFrame(FrameType.SETTINGS, 0, 0, [0, 1, 0, 0, 0x40, 0]), // HEADER_TABLE_SIZE 16384
    // HEADERS with PADDED + PRIORITY, split mid-field into a CONTINUATION.
    encodeFrame(
      FrameType.HEADERS,
      Flag.PADDED | Flag.PRIORITY,
      1,
      padded([0, 0, 0, 0, 15, ...block.subarray(0, 20)], 3),
    ),
    encodeFrame(0xfa, 0, 0, [1, 2, 3]), // unknown frame type: ignored... but not inside a block
    encodeFrame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, block.subarray(20)),
    encodeFrame(FrameType.DATA, Flag.PADDED, 1, padded(utf8('{"a":1}'), 10)),
    encodeFrame(FrameType.PING, 0, 0, [1, 2, 3, 4, 5, 6, 7, 8]),
    encodeFrame(FrameType.WINDOW_UPDATE, 0, 1, [0, 0, 1, 0]),
    encodeFrame(FrameType.PRIORITY, 0, 3, [0, 0, 0, 1, 200]),
    encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, utf8("\n")),
    // Second request reusing the dynamic-table entry (:authority = index 62).
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 3, [
      ...encodeIndexed(2),
      ...encodeIndexed(7),
      ...encodeIndexed(4),
      ...encodeIndexed(62),
    ]),
  ]);
}

Deno.test("HTTP/2: a frame other than CONTINUATION inside a header block is an error", () => {
  const input = handBuiltClient();
  const out = parseOne("client", input, [input]);
  assert.equal(out.errors.length, 1);
  assert.match(out.errors[0], /UNKNOWN\(0xfa\) frame inside a header block/);
});

Deno.test("HTTP/2: padding, priority, CONTINUATION mid-field, dynamic table across streams", () => {
  // Same stream without the misplaced unknown frame, and one placed legally afterwards.
  const bad = encodeFrame(0xfa, 0, 0, [1, 2, 3]);
  const raw = handBuiltClient();
  let at = -1;
  for (let i = 0; i < raw.length && at < 0; i++) {
    if (bad.every((b, k) => raw[i + k] === b)) at = i;
  }
  const input = concatBytes([raw.subarray(0, at), raw.subarray(at + bad.length), bad]);
  const out = assertSameForAllChunkings(input, (chunks) => parseOne("client", input, chunks));
  assert.deepEqual(out.errors, []);
  assert.deepEqual(out.headers.map((h) => [h.streamId, h.frames, h.headers]), [
    [1, 2, [
      [":method", "POST"],
      [":scheme", "https"],
      [":path", "/v1/chat/completions"],
      [":authority", "api.openai.com"],
      ["authorization", "Bearer sk-proj-abc"],
    ]],
    [3, 1, [[":method", "GET"], [":scheme", "https"], [":path", "/"], [
      ":authority",
      "api.openai.com",
    ]]],
  ]);
  assert.equal(new TextDecoder().decode(body(out, 1)), '{"a":1}\n');
  assert.deepEqual(out.ends.map((e) => [e.streamId, e.reason]), [[1, "end-stream"], [
    3,
    "end-stream",
  ]]);
  assert.ok(out.frames.includes(`UNKNOWN(0xfa):0:3@${input.length - 12}`));
});

Deno.test("HTTP/2: server push and settings-driven HPACK table size", () => {
  const input = concatBytes([
    encodeFrame(FrameType.SETTINGS, 0, 0, []),
    encodeFrame(FrameType.PUSH_PROMISE, Flag.END_HEADERS, 1, [
      0,
      0,
      0,
      2,
      ...encodeIndexed(2),
      ...encodeLiteral(4, "/style.css", "without"),
    ]),
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 2, [
      ...encodeSizeUpdate(100000), // beyond the default cap unless the peer allowed it
      ...encodeIndexed(8),
    ]),
  ]);
  const strict = parseOne("server", input, [input]);
  assert.match(strict.errors[0], /size update to 100000 exceeds the limit 65536/);
  const { cb, out } = collect(input);
  const conn = createHttp2Connection(cb, { hpack: { maxTableSize: 1 << 20 } });
  conn.client.feed(HTTP2_PREFACE);
  conn.client.feed(encodeFrame(FrameType.SETTINGS, 0, 0, [0, 1, 0, 2, 0, 0])); // 131072
  conn.server.feed(input);
  assert.deepEqual(out.errors, []);
  assert.deepEqual(out.headers.map((h) => [h.kind, h.streamId, h.promisedStreamId, h.pseudo]), [
    ["push-promise", 1, 2, { method: "GET", path: "/style.css" }],
    ["response", 2, undefined, { status: 200 }],
  ]);
});

function hostile(direction: Http2Direction, feed: (p: { feed(b: Uint8Array): void }) => void) {
  const errors: ProtocolError[] = [];
  const p = createHttp2Parser({ onError: (e) => errors.push(e) }, {
    direction,
    maxBufferSize: 64 * 1024,
  });
  feed(p);
  p.end();
  return { errors, peak: p.peakBufferCapacity };
}

Deno.test("HTTP/2 hostile input fails cleanly with bounded memory", () => {
  // A 16 MB frame length is refused from the frame header alone.
  let r = hostile("server", (p) => {
    p.feed(Uint8Array.of(0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1));
    for (let i = 0; i < 256; i++) p.feed(new Uint8Array(65536));
  });
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0].message, /frame length 16777215 exceeds maxBufferSize/);
  assert.ok(r.peak <= 64 * 1024);
  // HPACK index out of range.
  r = hostile(
    "server",
    (p) => p.feed(encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, [0xff, 0x10])),
  );
  assert.match(r.errors[0].message, /index 143 out of range/);
  // A header block growing through endless CONTINUATION frames.
  r = hostile("server", (p) => {
    p.feed(encodeFrame(FrameType.HEADERS, 0, 1, new Uint8Array(16000)));
    for (let i = 0; i < 100; i++) {
      p.feed(encodeFrame(FrameType.CONTINUATION, 0, 1, new Uint8Array(16000)));
    }
  });
  assert.match(r.errors[0].message, /header block exceeds maxBufferSize/);
  assert.ok(r.peak <= 64 * 1024);
  // Bad preface, padding beyond payload, DATA on stream 0, bad SETTINGS length.
  assert.match(
    hostile("client", (p) => p.feed(utf8("GET / HTTP/1.1\r\n"))).errors[0].message,
    /preface/,
  );
  assert.match(
    hostile("server", (p) => p.feed(encodeFrame(FrameType.DATA, Flag.PADDED, 1, [9, 1, 2])))
      .errors[0]
      .message,
    /padding \(9\) exceeds the payload/,
  );
  assert.match(
    hostile("server", (p) => p.feed(encodeFrame(FrameType.DATA, 0, 0, [1]))).errors[0].message,
    /DATA frame on stream 0/,
  );
  assert.match(
    hostile("server", (p) => p.feed(encodeFrame(FrameType.SETTINGS, 0, 0, [1, 2, 3]))).errors[0]
      .message,
    /SETTINGS frame length 3/,
  );
  // Truncated in the middle of a frame.
  assert.equal(
    hostile("server", (p) => p.feed(Uint8Array.of(0, 0, 5, 0))).errors[0].code,
    "truncated",
  );
});

Deno.test("HTTP/2 random bytes fail cleanly and stay bounded", () => {
  const rand = seededRandom(2024);
  for (let run = 0; run < 100; run++) {
    const input = Uint8Array.from({ length: 4000 }, () => Math.floor(rand() * 256));
    const r = hostile("server", (p) => {
      for (let i = 0; i < input.length; i += 333) p.feed(input.subarray(i, i + 333));
    });
    assert.ok(r.errors.length <= 2); // the error, possibly then nothing else
    assert.ok(r.peak <= 64 * 1024);
    assert.ok(r.errors.every((e) => e instanceof ProtocolError));
  }
});

Deno.test("startsWithHttp2Frames: a connection's frames after its preface, whole or cut at the end; not text, WebSocket or random bytes", () => {
  const frames = concatBytes([
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 5, [0x82, 0x86]),
    encodeFrame(FrameType.DATA, Flag.END_STREAM, 5, utf8("{}")),
    encodeFrame(FrameType.WINDOW_UPDATE, 0, 0, [0, 0, 0x10, 0]),
    encodeFrame(FrameType.PING, 0, 0, new Uint8Array(8)),
  ]);
  assert.ok(startsWithHttp2Frames(frames));
  for (const cut of [12, 20, frames.length - 3]) {
    assert.ok(startsWithHttp2Frames(frames.subarray(0, cut)), `cut at ${cut}`);
  }
  assert.ok(!startsWithHttp2Frames(frames.subarray(0, 9)), "no whole frame: undecided, not HTTP/2");
  // a stream frame on stream 0, a connection frame on a stream, a PING of the wrong length
  assert.ok(!startsWithHttp2Frames(encodeFrame(FrameType.DATA, 0, 0, [1])));
  assert.ok(!startsWithHttp2Frames(encodeFrame(FrameType.SETTINGS, 0, 1, [])));
  assert.ok(!startsWithHttp2Frames(encodeFrame(FrameType.PING, 0, 0, [1, 2])));
  assert.ok(!startsWithHttp2Frames(utf8("HTTP/1.1 200 OK\r\n\r\n")));
  assert.ok(!startsWithHttp2Frames(Uint8Array.from([0x81, 0x85, 1, 2, 3, 4, 5, 6, 7, 8, 9])));
  const rand = seededRandom(7);
  let passed = 0;
  for (let i = 0; i < 20_000; i++) {
    const b = new Uint8Array(64 + Math.floor(rand() * 4000));
    for (let j = 0; j < b.length; j++) b[j] = Math.floor(rand() * 256);
    if (startsWithHttp2Frames(b)) passed++;
  }
  assert.ok(passed < 10, `random buffers taken for HTTP/2: ${passed} of 20,000`);
});

// RFC 9113 6.1/6.2/6.10 (padding on DATA and HEADERS, a padded frame may carry no data, an
// empty CONTINUATION is legal) and RFC 7541 4.2/4.4/6.3 (two size updates at a block's start,
// the smallest first; eviction when an insert passes the size; Huffman strings padded with EOS
// bits and split across frames), on a server stream: 103, 200, padded trailers.
Deno.test("HTTP/2: two size updates, eviction, Huffman across CONTINUATIONs, padding-only DATA", () => {
  const padded = (payload: number[] | Uint8Array, pad: number) =>
    Uint8Array.from([pad, ...payload, ...new Array(pad).fill(0)]);
  // 103 Early Hints: inserts a 52-octet entry ("link" + 16 + 32) into the 4096 table
  const early = [
    ...encodeLiteral(8, "103", "without"),
    ...encodeLiteral("link", "</a.css>; rel=pr", "incremental", true),
  ];
  // 200: shrink to 0 (empties the table) then grow to 100, then three inserts of 40 octets
  // each ("x-k" + 5 + 32): the third evicts the first
  const block = [
    ...encodeSizeUpdate(0),
    ...encodeSizeUpdate(100),
    ...encodeIndexed(8), // :status 200
    ...encodeLiteral("x-a", "11111", "incremental", true),
    ...encodeLiteral("x-b", "22222", "incremental", true),
    ...encodeLiteral("x-c", "33333", "incremental", true),
    ...encodeLiteral(31, "text/event-stream", "without", true), // content-type
  ];
  const cut1 = 7; // inside the first literal
  const cut2 = 19; // inside a Huffman string
  const trailers = [...encodeIndexed(62), ...encodeIndexed(63)]; // x-c, x-b (x-a evicted)
  const input = concatBytes([
    encodeFrame(FrameType.SETTINGS, 0, 0, []),
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.PADDED, 1, padded(early, 5)),
    encodeFrame(FrameType.HEADERS, 0, 1, block.slice(0, cut1)),
    encodeFrame(FrameType.CONTINUATION, 0, 1, []),
    encodeFrame(FrameType.CONTINUATION, 0, 1, block.slice(cut1, cut2)),
    encodeFrame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, block.slice(cut2)),
    encodeFrame(FrameType.DATA, Flag.PADDED, 1, padded([], 7)), // padding only
    encodeFrame(FrameType.DATA, 0, 1, utf8("data: a\n\n")),
    encodeFrame(FrameType.DATA, Flag.PADDED, 1, padded(utf8("data: b\n\n"), 0)),
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM | Flag.PADDED, 1, [
      ...padded(trailers, 2),
    ]),
  ]);
  const out = assertSameForAllChunkings(input, (chunks) => parseOne("server", input, chunks));
  assert.deepEqual(out.errors, []);
  assert.deepEqual(out.headers.map((h) => [h.kind, h.frames, h.endStream, h.headers]), [
    ["informational", 1, false, [[":status", "103"], ["link", "</a.css>; rel=pr"]]],
    ["response", 4, false, [
      [":status", "200"],
      ["x-a", "11111"],
      ["x-b", "22222"],
      ["x-c", "33333"],
      ["content-type", "text/event-stream"],
    ]],
    ["trailers", 1, true, [["x-c", "33333"], ["x-b", "22222"]]],
  ]);
  assert.equal(new TextDecoder().decode(body(out, 1)), "data: a\n\ndata: b\n\n");
  assert.deepEqual(out.ends.map((e) => [e.streamId, e.reason]), [[1, "end-stream"]]);
  // the trailers' index 64 (x-a) was evicted: a block naming it fails loudly
  const stale = concatBytes([
    input.subarray(0, input.length - 9 - 5), // without the padded trailers frame
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, encodeIndexed(64)),
  ]);
  const bad = parseOne("server", stale, [stale]);
  assert.match(bad.errors[0] ?? "", /index 64/);
});
