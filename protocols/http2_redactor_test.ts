import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createHttp2Redactor, isDefaultSecretHeader } from "./http2_redactor.ts";
import { createHttp2Parser, type Http2Direction, type Http2HeadersEvent } from "./http2.ts";
import { encodeFrame, Flag, FrameType, HTTP2_PREFACE } from "./http2_frame.ts";
import { encodeIndexed, encodeLiteral } from "./hpack_encode.ts";
import { assertSameForAllChunkings, concatBytes, utf8 } from "./testing.ts";

const FIXTURE = new URL("./testdata/captures/h2_node_interleaved/", import.meta.url);
const clientBytes = new Uint8Array(readFileSync(new URL("client.bin", FIXTURE)));
const serverBytes = new Uint8Array(readFileSync(new URL("server.bin", FIXTURE)));
const meta = JSON.parse(readFileSync(new URL("meta.json", FIXTURE), "utf8"));

function redact(chunks: Uint8Array[], isSecret = isDefaultSecretHeader): Uint8Array {
  const r = createHttp2Redactor(isSecret);
  const parts = chunks.map((c) => r.transform(c));
  parts.push(r.flush());
  assert.equal(r.error, null);
  return concatBytes(parts);
}

function headersOf(direction: Http2Direction, bytes: Uint8Array) {
  const heads: Http2HeadersEvent[] = [];
  const errors: string[] = [];
  const p = createHttp2Parser({
    onHeaders: (h) => heads.push(h),
    onError: (e) => errors.push(e.message),
  }, { direction });
  p.feed(bytes);
  p.end();
  assert.deepEqual(errors, []);
  return heads;
}

function includes(hay: Uint8Array, needle: string): boolean {
  const n = utf8(needle);
  outer: for (let i = 0; i + n.length <= hay.length; i++) {
    for (let k = 0; k < n.length; k++) if (hay[i + k] !== n[k]) continue outer;
    return true;
  }
  return false;
}

Deno.test("redactor masks secrets in real node:http2 traffic, same length, any chunking", () => {
  const masked = assertSameForAllChunkings(clientBytes, (chunks) => redact(chunks), {
    splitPointLimit: 150,
    randomRuns: 10,
    maxRandomChunk: 3000,
  });
  assert.equal(masked.length, clientBytes.length);
  for (const secret of meta.sent.secrets) {
    assert.ok(!includes(masked, secret.slice(-12)), `secret leaked: ${secret}`);
  }
  assert.ok(!includes(masked, "cccccccccccccccc"), "the 40 KB cookie (CONTINUATION) leaked");
  // A fresh parser reads the masked stream without error; only secret values differ.
  const before = headersOf("client", clientBytes);
  const after = headersOf("client", masked);
  assert.equal(after.length, before.length);
  after.forEach((h, i) => {
    assert.equal(h.headers.length, before[i].headers.length);
    h.headers.forEach(([name, value], k) => {
      const [origName, origValue] = before[i].headers[k];
      assert.equal(name, origName);
      if (isDefaultSecretHeader(name)) {
        assert.match(value, /^[*x_0]+$|^[^a-z]*$/, `${name} not masked`);
        assert.notEqual(value, origValue);
      } else {
        assert.equal(value, origValue, name);
      }
    });
  });
  let diffs = 0;
  for (let i = 0; i < masked.length; i++) if (masked[i] !== clientBytes[i]) diffs++;
  // The cookie alone is ~40960 'c' characters, Huffman-coded at 5 bits each: > 25 KB of octets.
  assert.ok(diffs >= (meta.sent.cookieLength * 5) / 8 * 0.95, `only ${diffs} bytes masked`);
});

Deno.test("redactor leaves a stream without secrets byte-for-byte identical", () => {
  const out = assertSameForAllChunkings(serverBytes, (chunks) => redact(chunks));
  assert.deepEqual(out, serverBytes);
});

Deno.test("redactor: secret split across HEADERS/CONTINUATION, then referenced by index", () => {
  const token = "Bearer sk-ant-oat01-" + "Z".repeat(30);
  const block = Uint8Array.from([
    ...encodeIndexed(3),
    ...encodeLiteral(23, token, "incremental", true), // authorization, into the table
    ...encodeLiteral("x-trace", "keep-me", "without"),
  ]);
  const cut = 12; // inside the authorization value
  const input = concatBytes([
    HTTP2_PREFACE,
    encodeFrame(FrameType.SETTINGS, 0, 0, []),
    encodeFrame(FrameType.HEADERS, 0, 1, block.subarray(0, cut)),
    encodeFrame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, block.subarray(cut)),
    encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, utf8("Bearer in a body is not a header")),
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 3, [
      ...encodeIndexed(2),
      ...encodeIndexed(62), // the authorization entry
    ]),
  ]);
  const masked = assertSameForAllChunkings(input, (chunks) => redact(chunks));
  assert.equal(masked.length, input.length);
  assert.ok(!includes(masked, "Bearer sk"));
  assert.ok(includes(masked, "Bearer in a body"), "DATA must be untouched");
  const heads = headersOf("client", masked);
  const auth1 = heads[0].headers.find(([n]) => n === "authorization")![1];
  const auth2 = heads[1].headers.find(([n]) => n === "authorization")![1];
  assert.equal(auth1.length, token.length); // size-preserving mask (dynamic table consistency)
  assert.equal(auth2, auth1); // the indexed reference decodes to the mask
  assert.deepEqual(heads[0].headers[2], ["x-trace", "keep-me"]);
});

Deno.test("redactor output lags by at most the frame (and field) in progress", () => {
  const input = concatBytes([
    HTTP2_PREFACE,
    encodeFrame(FrameType.SETTINGS, 0, 0, []),
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, [...encodeIndexed(2)]),
    encodeFrame(FrameType.DATA, 0, 1, new Uint8Array(1000)),
  ]);
  const r = createHttp2Redactor();
  let released = 0;
  // DATA payload bytes are released as soon as they arrive.
  released += r.transform(input.subarray(0, input.length - 500)).length;
  assert.equal(released, input.length - 500);
  // A header frame is held until complete.
  const h = encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 3, [...encodeIndexed(2)]);
  assert.equal(
    r.transform(concatBytes([input.subarray(input.length - 500), h.subarray(0, 5)])).length,
    500,
  );
  assert.equal(r.transform(h.subarray(5, 9)).length, 0);
  assert.equal(r.transform(h.subarray(9)).length, h.length);
  assert.equal(r.flush().length, 0);
});

Deno.test("redactor fails closed: zeros after an undecodable block, total length kept", () => {
  const input = concatBytes([
    HTTP2_PREFACE,
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, [0xff, 0x10]), // index out of range
    encodeFrame(FrameType.DATA, 0, 1, utf8("secret body")),
  ]);
  const r = createHttp2Redactor();
  const out = concatBytes([
    r.transform(input.subarray(0, 30)),
    r.transform(input.subarray(30)),
    r.flush(),
  ]);
  assert.equal(out.length, input.length);
  assert.ok(r.failed);
  assert.match(r.error!.message, /index 143 out of range/);
  assert.deepEqual(out.subarray(0, HTTP2_PREFACE.length), HTTP2_PREFACE);
  assert.ok(out.subarray(HTTP2_PREFACE.length).every((b) => b === 0));
  // A stream cut inside a header frame: flush zeroes the unfinished frame.
  const r2 = createHttp2Redactor();
  const partial = encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, [
    ...encodeLiteral("authorization", "Bearer xyz", "never"),
  ]).subarray(0, 15);
  const out2 = concatBytes([r2.transform(partial), r2.flush()]);
  assert.equal(out2.length, partial.length);
  assert.ok(out2.every((b) => b === 0));
});

Deno.test("redactor bounds memory for a hostile header frame length", () => {
  const r = createHttp2Redactor(isDefaultSecretHeader, { maxBufferSize: 65536, preface: false });
  let total = r.transform(Uint8Array.of(0xff, 0xff, 0xff, FrameType.HEADERS, 0, 0, 0, 0, 1)).length;
  for (let i = 0; i < 100; i++) total += r.transform(new Uint8Array(65536)).length;
  total += r.flush().length;
  assert.equal(total, 9 + 100 * 65536);
  assert.ok(r.failed);
  assert.match(r.error!.message, /exceeds limit/);
});
