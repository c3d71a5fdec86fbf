import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { createZstdFrameSplitter } from "./zstd_frames.ts";
import { chunkings, concatBytes, hex, utf8 } from "./testing.ts";

// deno-lint-ignore no-explicit-any
const z = zlib as any;
const u8 = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** Stream offsets where pieces end, the pieces joined back, for any chunking. */
function cuts(chunks: Uint8Array[]) {
  const s = createZstdFrameSplitter();
  const ends: number[] = [];
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const c of chunks) {
    for (const p of s.split(c)) {
      at += p.length;
      parts.push(p);
      ends.push(at);
    }
  }
  return { ends, joined: Array.from(concatBytes(parts)) };
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
  assert.deepEqual(cuts([input]).ends, frameEnds);
  for (const { label, chunks } of chunkings(input)) {
    const c = cuts(chunks);
    assert.deepEqual(c.joined, Array.from(input), label);
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
