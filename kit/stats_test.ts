import assert from "node:assert/strict";
import { median, quantile } from "./stats.ts";

Deno.test("median of odd and even counts, NaN when empty; the input is left as it was", () => {
  const xs = [4, 1, 3, 2];
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median(xs), 2.5);
  assert.deepEqual(xs, [4, 1, 3, 2]);
  assert.ok(Number.isNaN(median([])));
});

Deno.test("quantiles interpolate between the nearest values", () => {
  assert.equal(quantile([10, 20, 30, 40, 50], 0.25), 20);
  assert.equal(quantile([1, 2], 0.75), 1.75);
  assert.equal(quantile([7], 0.9), 7);
});
