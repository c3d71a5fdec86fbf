/** Tests for the overhead table's statistics. */
import assert from "node:assert/strict";
import { seededRandom } from "../../kit/random.ts";
import {
  bootstrapRatioOfMedians,
  goalVerdict,
  halfWidth,
  median,
  medianCi,
  pairedRatioCi,
  pairedRatios,
  pairOrder,
  quantile,
  spread,
  stopReason,
  tQuantile975,
} from "./stats.ts";

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

Deno.test("Student t quantiles: the table and the expansion past it", () => {
  assert.equal(tQuantile975(1), 12.706);
  assert.equal(tQuantile975(10), 2.228);
  // known values: df 40 2.021, 60 2.000, 120 1.980
  for (const [df, t] of [[40, 2.021], [60, 2.0], [120, 1.98]]) {
    assert.ok(Math.abs(tQuantile975(df) - t) < 0.001, `${df}: ${tQuantile975(df)}`);
  }
  assert.equal(tQuantile975(0), Infinity);
});

Deno.test("paired ratios: geometric mean and a t interval on the logs", () => {
  // every pair 5% slower: the estimate is 1.05 and, with no spread, the interval is that point
  const a = [10, 20, 40, 11, 9];
  const same = pairedRatioCi(a, a.map((x) => x * 1.05));
  assert.ok(Math.abs(same.ratio - 1.05) < 1e-12);
  assert.ok(Math.abs(same.lo - 1.05) < 1e-12 && Math.abs(same.hi - 1.05) < 1e-12);
  assert.equal(same.pairs, 5);
  // ratios 1.02 and 1.04 alternately, 10 pairs: mean of logs, sd, t(9) = 2.262
  const b = Array.from({ length: 10 }, (_, i) => 100 * (i % 2 ? 1.04 : 1.02));
  const base = new Array(10).fill(100);
  const ci = pairedRatioCi(base, b);
  const logs = b.map((x) => Math.log(x / 100));
  const m = logs.reduce((s, x) => s + x, 0) / 10;
  const sd = Math.sqrt(logs.reduce((s, x) => s + (x - m) ** 2, 0) / 9);
  assert.ok(Math.abs(ci.ratio - Math.exp(m)) < 1e-12);
  assert.ok(Math.abs(ci.hi - Math.exp(m + 2.262 * sd / Math.sqrt(10))) < 1e-12);
  assert.ok(ci.lo < ci.ratio && ci.ratio < ci.hi);
  // the pairs' drift cancels: a machine twice as slow for half the pairs changes nothing
  const drift = pairedRatioCi(
    base.map((x, i) => (i < 5 ? x : 2 * x)),
    b.map((x, i) => (i < 5 ? x : 2 * x)),
  );
  assert.ok(Math.abs(drift.ratio - ci.ratio) < 1e-12 && Math.abs(drift.hi - ci.hi) < 1e-12);
  // one pair: no interval
  const one = pairedRatioCi([10], [11]);
  assert.equal(one.lo, 0);
  assert.equal(one.hi, Infinity);
  // failed runs (NaN) are left out
  assert.equal(pairedRatioCi([10, NaN, 10], [11, 12, 11]).pairs, 2);
});

Deno.test("more pairs narrow the interval about as 1/sqrt(n)", () => {
  const rand = seededRandom(5);
  const noisy = (n: number) => {
    const a = Array.from({ length: n }, () => 30_000 * (1 + 0.02 * (rand() - 0.5)));
    return pairedRatioCi(a, a.map((x) => x * 1.01 * (1 + 0.04 * (rand() - 0.5))));
  };
  const w10 = halfWidth(noisy(10));
  const w40 = halfWidth(noisy(40));
  assert.ok(w40 < w10 * 0.7 && w40 > w10 * 0.3, `${w10} -> ${w40}`);
});

Deno.test("goal verdicts: meets only when the upper bound is at or below the goal", () => {
  const ci = (lo: number, ratio: number, hi: number) => ({
    lo,
    ratio,
    hi,
    level: 0.95,
    resamples: 0,
  });
  assert.equal(goalVerdict(ci(0.99, 1.0, 1.01), 0.01), "meets");
  assert.equal(goalVerdict(ci(0.995, 1.005, 1.012), 0.01), "undecided");
  assert.equal(goalVerdict(ci(1.011, 1.02, 1.03), 0.01), "misses");
  assert.equal(goalVerdict(ci(0, 1.0, Infinity), 0.03), "undecided");
  assert.ok(Math.abs(halfWidth(ci(0.99, 1.0, 1.02)) - 0.02) < 1e-12, "the wider side");
});

Deno.test("the stop rule: minimum first, then target, max runs, then the time budget", () => {
  const rule = { minPairs: 3, maxPairs: 6, targetHalfWidth: 0.015, budgetMs: 1000 };
  const wide = { lo: 0.95, ratio: 1.0, hi: 1.05, level: 0.95, resamples: 0 };
  const narrow = { lo: 0.99, ratio: 1.0, hi: 1.01, level: 0.95, resamples: 0 };
  assert.equal(stopReason(rule, [100, 100], narrow), null, "under the minimum");
  assert.equal(stopReason(rule, [100, 100, 100], narrow), "target reached");
  assert.equal(stopReason(rule, [100, 100, 100], wide), null);
  assert.equal(stopReason(rule, new Array(6).fill(100), wide), "max runs");
  // 3 pairs of 300 ms: a fourth would end at 1200 > 1000
  assert.equal(stopReason(rule, [300, 300, 300], wide), "time budget");
  assert.equal(stopReason(rule, [200, 200, 200], wide), null, "800 fits");
  // with a goal: narrow is not enough while the interval straddles it
  const decide = { ...rule, goal: 0.005 };
  assert.equal(stopReason(decide, [100, 100, 100], narrow), null, "1.0 [0.99, 1.01] vs 0.5%");
  assert.equal(
    stopReason({ ...rule, goal: 0.01 }, [100, 100, 100], narrow),
    "target reached, goal decided",
  );
  assert.equal(stopReason(decide, new Array(6).fill(100), narrow), "max runs");
  const fixed = { ...rule, targetHalfWidth: Infinity, maxPairs: 3 };
  assert.equal(stopReason(fixed, [100, 100, 100], wide), "fixed runs");
});

Deno.test("pairs alternate their order", () => {
  assert.deepEqual([0, 1, 2, 3].map(pairOrder), [
    ["baseline", "capture"],
    ["capture", "baseline"],
    ["baseline", "capture"],
    ["capture", "baseline"],
  ]);
});

Deno.test("the median's interval is the sign test's order statistics", () => {
  const xs = (n: number) => Array.from({ length: n }, (_, i) => n - i); // n..1, unsorted
  // n = 10: P(B <= 1) = 11/1024 <= 2.5% < P(B <= 2) = 56/1024, so x(2) and x(9)
  assert.deepEqual(medianCi(xs(10)), { median: 5.5, lo: 2, hi: 9, level: 0.95, n: 10 });
  // n = 20: P(B <= 5) = 2.07% <= 2.5% < P(B <= 6) = 5.77%: x(6) and x(15)
  const c20 = medianCi(xs(20));
  assert.deepEqual([c20.lo, c20.hi], [6, 15]);
  // six values: min and max (P(B = 0) = 1/64); five: not enough for 95%
  assert.deepEqual([medianCi(xs(6)).lo, medianCi(xs(6)).hi], [1, 6]);
  assert.deepEqual([medianCi(xs(5)).lo, medianCi(xs(5)).hi], [-Infinity, Infinity]);
  // a non-finite value is an error, not left out (n would quietly shrink)
  assert.throws(() => medianCi([NaN, 1, 2, 3, 4, 5, 6]), /value 0 is NaN, not a finite number/);
  assert.throws(() => medianCi([1, 2, Infinity]), /value 2 is Infinity/);
  // a large sample (2^-n underflows) still gives a finite, narrow interval
  const big = medianCi(xs(2001));
  assert.ok(big.lo > 900 && big.lo < 1001 && big.hi > 1001 && big.hi < 1100, `${big.lo} ${big.hi}`);
  assert.equal(medianCi(xs(10), 0.5).level, 0.5);
});

Deno.test("the median's interval covers a skewed sample's median about as often as it says", () => {
  const rand = seededRandom(7);
  let covered = 0;
  const trials = 400;
  for (let t = 0; t < trials; t++) {
    // exponential with median ln 2
    const xs = Array.from({ length: 30 }, () => -Math.log(1 - rand()));
    const ci = medianCi(xs);
    if (ci.lo <= Math.LN2 && Math.LN2 <= ci.hi) covered++;
  }
  // at least 95% by construction (n = 30: 95.7%); 400 trials leave a few points of chance
  assert.ok(covered / trials > 0.92, `${covered}/${trials}`);
});
