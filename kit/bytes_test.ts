import assert from "node:assert/strict";
import { concatBytes } from "./bytes.ts";

Deno.test("concatBytes joins parts in order, empty ones included, into a fresh array", () => {
  const a = new Uint8Array([1, 2]);
  assert.deepEqual(
    concatBytes([a, new Uint8Array(0), new Uint8Array([3])]),
    new Uint8Array([1, 2, 3]),
  );
  assert.deepEqual(concatBytes([]), new Uint8Array(0));
  const one = concatBytes([a]);
  assert.deepEqual(one, a);
  one[0] = 9;
  assert.equal(a[0], 1, "a single part is copied, not shared");
});
