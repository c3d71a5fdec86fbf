import assert from "node:assert/strict";
import { latin1Decode, latin1Encode } from "./latin1.ts";

/** The reference: one code point per octet. */
const oneByOne = (b: Uint8Array) => Array.from(b, (x) => String.fromCharCode(x)).join("");

Deno.test("latin1: every octet maps to the code point of its value, at every length", () => {
  const all = Uint8Array.from({ length: 20000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
  for (const n of [0, 1, 31, 32, 33, 255, 256, 8191, 8192, 8193, 20000]) {
    const b = all.subarray(0, n);
    const s = latin1Decode(b);
    assert.equal(s, oneByOne(b), `length ${n}`);
    assert.equal(s.length, n);
    assert.deepEqual(latin1Encode(s), b);
  }
  // a range of a larger buffer
  assert.equal(latin1Decode(all, 100, 140), oneByOne(all.subarray(100, 140)));
  assert.equal(latin1Decode(all, 5, 9000), oneByOne(all.subarray(5, 9000)));
  assert.equal(latin1Decode(all, 7, 7), "");
});
