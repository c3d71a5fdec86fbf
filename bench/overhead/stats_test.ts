/** Tests for the overhead table's statistics. */
import assert from "node:assert/strict";
import { bootstrapRatioOfMedians, median, pairedRatios, quantile, spread } from "./stats.ts";

Deno.test("median and quartiles interpolate like numpy's default", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.equal(quantile([1, 2, 3, 4, 5], 0.25), 2);
  assert.equal(quantile([1, 2, 3, 4], 0.25), 1.75);
  assert.ok(Number.isNaN(median([])));
  assert.deepEqual(spread([5, 1, 3]), { median: 3, min: 1, max: 5, q1: 2, q3: 4 });
});

Deno.test("bootstrap CI of the ratio of medians brackets the ratio and is repeatable", () => {
  const a = [10, 10.2, 9.9, 10.1, 10.05];
  const b = a.map((x) => x * 1.1);
  const ci = bootstrapRatioOfMedians(a, b, { resamples: 2000 });
  assert.ok(Math.abs(ci.ratio - 1.1) < 1e-9);
  assert.ok(ci.lo <= ci.ratio && ci.ratio <= ci.hi);
  assert.ok(ci.lo > 1.0 && ci.hi < 1.2);
  assert.deepEqual(bootstrapRatioOfMedians(a, b, { resamples: 2000 }), ci);
  // identical samples: the interval holds 1
  const same = bootstrapRatioOfMedians(a, a, { resamples: 2000 });
  assert.ok(same.lo <= 1 && same.hi >= 1);
});

Deno.test("paired ratios pair by index", () => {
  assert.deepEqual(pairedRatios([1, 2, 4], [2, 2, 2]), [2, 1, 0.5]);
});
