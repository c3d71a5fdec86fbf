/** `grown`: typed arrays grown by doubling, from empty too, their contents kept. */
import assert from "node:assert/strict";
import { grown } from "./typed_arrays.ts";

Deno.test("typed_arrays: grown keeps the items and makes room, doubling", () => {
  const a = new BigInt64Array([1n, 2n]);
  const b = grown(a, 3);
  assert.ok(b instanceof BigInt64Array);
  assert.equal(b.length, 16);
  assert.deepEqual([...b.subarray(0, 3)], [1n, 2n, 0n]);
  assert.equal(grown(b, 16), b, "room enough: the same array");
  const c = grown(new Int32Array(257).fill(7), 258);
  assert.equal(c.length, 514);
  assert.equal(c[256], 7);
  assert.equal(grown(c, 3000).length, 4112, "doubled until it fits");
});

Deno.test("typed_arrays: grown from an empty array", () => {
  const a = grown(new Float64Array(0), 1);
  assert.equal(a.length, 16);
  assert.equal(grown(new Uint8Array(0), 40).length, 64);
  assert.equal(grown(new Uint8Array(0), 0).length, 0);
});
