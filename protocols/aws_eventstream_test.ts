import assert from "node:assert/strict";
import {
  createEventStreamParser,
  encodeEventStreamMessage,
  type EventStreamMessage,
  type EventStreamOptions,
} from "./aws_eventstream.ts";
import { crc32 } from "./crc32.ts";
import {
  assertSameForAllChunkings,
  chunkings,
  concatBytes,
  hex,
  seededRandom,
  utf8,
} from "./testing.ts";

interface Collected {
  messages: { headers: Record<string, unknown>; payload: string; first: number; last: number }[];
  errors: string[];
}

const text = new TextDecoder();

function parseChunks(chunks: Uint8Array[], options: EventStreamOptions = {}): Collected {
  const out: Collected = { messages: [], errors: [] };
  const p = createEventStreamParser({
    onMessage: (m: EventStreamMessage) =>
      out.messages.push({
        headers: Object.fromEntries(
          Object.entries(m.headers).map((
            [k, v],
          ) => [k, v instanceof Uint8Array ? [...v] : typeof v === "bigint" ? `${v}n` : v]),
        ),
        payload: text.decode(m.payload),
        first: m.firstByte,
        last: m.lastByte,
      }),
    onError: (e) => out.errors.push(`${e.code}: ${e.message}`),
  }, options);
  for (const c of chunks) p.feed(c);
  p.end();
  return out;
}

// Written by AWS's own codec (@smithy/eventstream-codec 4.x, EventStreamCodec.encode, run with
// node): a Bedrock `chunk` event, a `throttlingException` and a message with every other
// header type.
const CHUNK = hex(
  "000000920000004b2fea33010b3a6576656e742d747970650700056368756e6b0d3a636f6e74656e742d74797065" +
    "0700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b2262" +
    "79746573223a2265794a306558426c496a6f696257567a6332466e5a56397a64473977496e303d222c227022" +
    "3a2261626364227d42b72480",
);
const EXCEPTION = hex(
  "000000b2000000613590d5d30f3a657863657074696f6e2d747970650700137468726f74746c696e6745786365" +
    "7074696f6e0d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d657373" +
    "6167652d74797065070009657863657074696f6e7b226d657373616765223a22546f6f206d616e7920726571" +
    "75657374732c20706c656173652077616974206265666f726520747279696e6720616761696e2e227de8ffb26a",
);
const ALL_TYPES = hex(
  "0000004300000033c5a19ce6017400016601016202fd017303fed4016904000111700362696e06000301020301" +
    "75090123456789abcdef0123456789abcdef8a171c38",
);

Deno.test("CRC-32: the check value and incremental use", () => {
  assert.equal(crc32(utf8("123456789")), 0xcbf43926);
  const b = utf8("The quick brown fox jumps over the lazy dog");
  assert.equal(crc32(b), 0x414fa339);
  assert.equal(crc32(b, crc32(b, 0, 0, 10), 10), 0x414fa339);
});

Deno.test("event stream: AWS codec's messages, whole, byte by byte, every split", () => {
  const input = concatBytes([CHUNK, EXCEPTION, ALL_TYPES]);
  const out = assertSameForAllChunkings(input, (chunks) => parseChunks(chunks));
  assert.deepEqual(out.errors, []);
  assert.deepEqual(out.messages, [
    {
      headers: {
        ":event-type": "chunk",
        ":content-type": "application/json",
        ":message-type": "event",
      },
      payload: '{"bytes":"eyJ0eXBlIjoibWVzc2FnZV9zdG9wIn0=","p":"abcd"}',
      first: 0,
      last: CHUNK.length - 1,
    },
    {
      headers: {
        ":exception-type": "throttlingException",
        ":content-type": "application/json",
        ":message-type": "exception",
      },
      payload: '{"message":"Too many requests, please wait before trying again."}',
      first: CHUNK.length,
      last: CHUNK.length + EXCEPTION.length - 1,
    },
    {
      headers: {
        t: true,
        f: false,
        b: -3,
        s: -300,
        i: 70000,
        bin: [1, 2, 3],
        u: "01234567-89ab-cdef-0123-456789abcdef",
      },
      payload: "",
      first: CHUNK.length + EXCEPTION.length,
      last: input.length - 1,
    },
  ]);
  // the payload's base64 is the Anthropic event
  assert.equal(atob("eyJ0eXBlIjoibWVzc2FnZV9zdG9wIn0="), '{"type":"message_stop"}');
});

Deno.test("event stream: our encoder gives AWS codec's bytes", () => {
  const payload = utf8('{"message":"Too many requests, please wait before trying again."}');
  assert.deepEqual(
    encodeEventStreamMessage({
      ":exception-type": "throttlingException",
      ":content-type": "application/json",
      ":message-type": "exception",
    }, payload),
    EXCEPTION,
  );
});

Deno.test("event stream: a bad prelude CRC or message CRC is an error, and the parser stops", () => {
  const badPrelude = CHUNK.slice();
  badPrelude[9] ^= 1;
  const a = parseChunks([badPrelude, EXCEPTION]);
  assert.deepEqual(a.messages, []);
  assert.deepEqual(a.errors, [
    "checksum: event-stream message 0: prelude CRC is 0x2feb3301, its bytes give 0x2fea3301 (at stream offset 0)",
  ]);
  const badPayload = EXCEPTION.slice();
  badPayload[150] ^= 0x20;
  const b = assertSameForAllChunkings(
    concatBytes([CHUNK, badPayload, CHUNK]),
    (chunks) => parseChunks(chunks),
  );
  assert.equal(b.messages.length, 1);
  assert.equal(b.errors.length, 1);
  assert.match(
    b.errors[0],
    /^checksum: event-stream message 1: message CRC is 0xe8ffb26a, its bytes give 0x[0-9a-f]{8} \(at stream offset 146\)$/,
  );
});

Deno.test("event stream: oversize, impossible lengths, bad headers and a cut message are errors", () => {
  assert.deepEqual(parseChunks([CHUNK], { maxBufferSize: 100 }).errors, [
    "buffer-limit: event-stream message 0 of 146 bytes is larger than the bound of 100 (at stream offset 0)",
  ]);
  const p = createEventStreamParser({ onMessage() {} }, { maxBufferSize: 200 });
  p.feed(concatBytes([CHUNK, EXCEPTION, CHUNK]));
  assert.ok(p.peakBufferCapacity <= 200);
  // total 15 with a valid prelude CRC
  const short = new Uint8Array(12);
  new DataView(short.buffer).setUint32(0, 15);
  new DataView(short.buffer).setUint32(8, crc32(short, 0, 0, 8));
  assert.deepEqual(parseChunks([short]).errors, [
    "framing: event-stream message 0: total length 15 cannot hold a prelude, 0 header bytes and a CRC (at stream offset 0)",
  ]);
  // a header of an unknown type, CRCs right
  const bad = encodeEventStreamMessage({ a: "b" }, new Uint8Array(0));
  bad[14] = 12;
  const v = new DataView(bad.buffer);
  v.setUint32(bad.length - 4, crc32(bad, 0, 0, bad.length - 4));
  assert.deepEqual(parseChunks([bad]).errors, [
    'syntax: event-stream message 0: header "a" has unknown value type 12 (at stream offset 0)',
  ]);
  const cut = assertSameForAllChunkings(
    concatBytes([CHUNK, EXCEPTION.subarray(0, 50)]),
    (chunks) => parseChunks(chunks),
  );
  assert.equal(cut.messages.length, 1);
  assert.deepEqual(cut.errors, [
    "truncated: event-stream message 1 cut short: 50 of 178 bytes (at stream offset 146)",
  ]);
  assert.deepEqual(parseChunks([CHUNK.subarray(0, 5)]).errors, [
    "truncated: event-stream message 0 cut short: 5 of at least 16 bytes (at stream offset 0)",
  ]);
  assert.deepEqual(parseChunks([]), { messages: [], errors: [] });
});

Deno.test("event stream: offsets start at startOffset", () => {
  const out = parseChunks([CHUNK, EXCEPTION], { startOffset: 1000 });
  assert.deepEqual(
    out.messages.map((m) => [m.first, m.last]),
    [[1000, 1145], [1146, 1146 + EXCEPTION.length - 1]],
  );
});

Deno.test("event stream: seeded random messages, chunkings and damage: never a throw, one error", () => {
  const rand = seededRandom(0xb3d7);
  const int = (n: number) => Math.floor(rand() * n);
  for (let run = 0; run < 200; run++) {
    const sent = Array.from({ length: 1 + int(6) }, (_, i) => ({
      headers: Object.fromEntries(
        Array.from({ length: int(4) }, (_, k) => [`:h${k}`, "v".repeat(int(300))]),
      ),
      payload: `{"i":${i},"pad":"${"x".repeat(int(2000))}"}`,
    }));
    const frames = sent.map((m) => encodeEventStreamMessage(m.headers, utf8(m.payload)));
    const input = concatBytes(frames);
    // any chunking gives every message back
    const chunking =
      [...chunkings(input, { randomRuns: 1, skipByteByByte: true, splitPointLimit: 0 })]
        .at(-1)!.chunks;
    const whole = parseChunks(chunking);
    assert.deepEqual(whole.errors, []);
    assert.deepEqual(
      whole.messages.map((m) => [m.headers, m.payload]),
      sent.map((m) => [m.headers, m.payload]),
    );
    // one flipped byte: the messages before it, then exactly one error
    const damaged = input.slice();
    const at = int(damaged.length);
    damaged[at] ^= 1 << int(8);
    const d = parseChunks([damaged]);
    let end = 0;
    const before = frames.findIndex((f) => (end += f.length) > at);
    assert.equal(d.errors.length, 1, `run ${run}: ${d.errors.join(" | ")}`);
    assert.ok(d.messages.length <= before, `run ${run}: no message past the damage`);
    assert.deepEqual(
      d.messages.map((m) => m.payload),
      sent.slice(0, d.messages.length).map((m) => m.payload),
    );
    // cut anywhere: the whole messages before the cut, and one truncated error
    const cut = int(input.length);
    const c = parseChunks([input.subarray(0, cut)]);
    assert.ok(c.errors.length <= 1 && c.errors.every((e) => e.startsWith("truncated: ")));
  }
});
