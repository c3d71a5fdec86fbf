/** The frame parser gives the same records whatever the chunking. */
import assert from "node:assert/strict";
import { createFrameParser } from "./frames.ts";

function frame(payload: number[]): number[] {
  const n = payload.length;
  return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24, ...payload];
}

const input = new Uint8Array([
  ...frame([1, 2, 3]),
  ...frame([]),
  ...frame(Array.from({ length: 300 }, (_, i) => i & 0xff)),
  ...frame([9]),
]);

function parse(chunks: Uint8Array[]) {
  const out: number[][] = [];
  const p = createFrameParser({ onFrame: (r) => out.push([...r]) });
  for (const c of chunks) p.feed(c);
  return { out, left: p.end() };
}

Deno.test("frames: whole, byte by byte and at every split point", () => {
  const whole = parse([input]);
  assert.equal(whole.out.length, 4);
  assert.deepEqual(whole.out[0], [1, 2, 3]);
  assert.equal(whole.out[2].length, 300);
  assert.equal(whole.left, 0);
  assert.deepEqual(parse([...input].map((b) => new Uint8Array([b]))), whole);
  for (let i = 0; i <= input.length; i++) {
    assert.deepEqual(parse([input.subarray(0, i), input.subarray(i)]), whole, `split at ${i}`);
  }
});

Deno.test("frames: a cut-off last frame is reported, an oversized length is an error", () => {
  const cut = parse([input.subarray(0, input.length - 1)]);
  assert.equal(cut.out.length, 3);
  assert.equal(cut.left, 4);
  const errors: string[] = [];
  const p = createFrameParser({ onFrame: () => {}, onError: (e) => errors.push(e.message) }, {
    maxBufferSize: 100,
  });
  p.feed(new Uint8Array(frame(Array(200).fill(0))));
  assert.match(errors[0], /exceeds the 100 byte limit/);
});
