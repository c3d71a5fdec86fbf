import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { createZstdFrameSplitter } from "./zstd_frames.ts";
import { ProtocolError } from "./protocol_error.ts";
import { chunkings, concatBytes, hex, utf8 } from "./testing.ts";

// deno-lint-ignore no-explicit-any
const z = zlib as any;
const u8 = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** Stream offsets where pieces end, the pieces joined back, for any chunking. */
function cuts(chunks: Uint8Array[]) {
  const s = createZstdFrameSplitter();
  const ends: number[] = [];
  const parts: Uint8Array[] = [];
  const skipped: number[] = []; // stream offsets of bytes in pieces marked skip
  let at = 0;
  for (const c of chunks) {
    for (const p of s.split(c)) {
      if (p.skip) skipped.push(...Array.from(p.bytes, (_, k) => at + k));
      at += p.bytes.length;
      parts.push(p.bytes);
      ends.push(at);
    }
  }
  return { ends, joined: Array.from(concatBytes(parts)), skipped, midFrame: s.midFrame() };
}

Deno.test("zstd frames: cut after every frame (skippable, RLE, checksum, no size), every split", () => {
  const frames = [
    hex("50 2a 4d 18 03 00 00 00 01 02 03"), // skippable, 3 bytes
    u8(z.zstdCompressSync(utf8("a".repeat(5000)))),
    hex("28 b5 2f fd 20 05 | 2b 00 00 61"), // by hand: one RLE block, "aaaaa" (1 byte on the wire)
    hex("28 b5 2f fd 20 02 | 11 00 00 68 69"), // one raw block, "hi"
    hex("5f 2a 4d 18 00 00 00 00"), // skippable, empty
    u8(z.zstdCompressSync(utf8(JSON.stringify({ k: "héllo ".repeat(300) })), {
      params: { [zlib.constants.ZSTD_c_checksumFlag]: 1 },
    })),
    u8(z.zstdCompressSync(new Uint8Array(0))),
  ];
  // a streamed frame: no content size in its header
  frames.push(u8(z.zstdCompressSync(utf8("x"), {
    params: { [zlib.constants.ZSTD_c_contentSizeFlag]: 0 },
  })));
  const input = concatBytes(frames);
  let at = 0;
  const frameEnds = frames.map((f) => (at += f.length));
  // the bytes of the two skippable frames (the first and the fifth), and only those
  const skippable = [
    ...Array.from(frames[0], (_, k) => k),
    ...Array.from(frames[4], (_, k) => frameEnds[3] + k),
  ];
  assert.deepEqual(cuts([input]).ends, frameEnds);
  for (const { label, chunks } of chunkings(input)) {
    const c = cuts(chunks);
    assert.deepEqual(c.joined, Array.from(input), label);
    assert.deepEqual(c.skipped, skippable, label);
    assert.equal(c.midFrame, false, label);
    // every frame end is a cut; any other cut is where a chunk ended
    let fed = 0;
    const chunkEnds = new Set(chunks.map((ch) => (fed += ch.length)));
    assert.deepEqual(frameEnds.filter((e) => !c.ends.includes(e)), [], label);
    assert.deepEqual(c.ends.filter((e) => !frameEnds.includes(e) && !chunkEnds.has(e)), [], label);
  }
});

Deno.test("zstd frames: bytes that are no frame go through in one piece", () => {
  const good = u8(z.zstdCompressSync(utf8("ok")));
  const input = concatBytes([good, utf8("not zstd at all"), good]);
  assert.deepEqual(cuts([input]).ends, [good.length, input.length]);
});

Deno.test("zstd frames: midFrame at every cut of a body, not at frame ends or after no frame", () => {
  const a = u8(z.zstdCompressSync(utf8("first frame ".repeat(20))));
  const b = hex("50 2a 4d 18 02 00 00 00 aa bb");
  const input = concatBytes([a, b, a]);
  const ends = new Set([0, a.length, a.length + b.length, input.length]);
  for (let n = 0; n <= input.length; n++) {
    const prefix = input.subarray(0, n);
    for (const { label, chunks } of chunkings(prefix, { randomRuns: 2 })) {
      assert.equal(cuts(chunks).midFrame, !ends.has(n), `${n} bytes, ${label}`);
    }
  }
  // bytes that are no frame: the decoder, not the splitter, says what is wrong with them
  assert.equal(cuts([concatBytes([a, utf8("junk")])]).midFrame, false);
});

Deno.test("zstd frames: more than maxFrames frames throw, at the first frame over", () => {
  const empty = hex("50 2a 4d 18 00 00 00 00");
  const body = (n: number) => concatBytes(Array.from({ length: n }, () => empty));
  const s = createZstdFrameSplitter({ maxFrames: 5 });
  assert.equal(s.split(body(5)).length, 5);
  assert.throws(
    () => s.split(empty.subarray(0, 4)),
    (e) =>
      e instanceof ProtocolError && e.code === "compression" &&
      /more than 5 frames/.test(e.message),
  );
  // the default bound
  assert.throws(() => createZstdFrameSplitter().split(body(65_537)), /more than 65536 frames/);
  assert.equal(createZstdFrameSplitter().split(body(65_536)).length, 65_536);
});
