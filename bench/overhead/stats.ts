/**
 * Small statistics for the overhead table: median, quartiles, a bootstrap confidence interval
 * for the ratio of medians of two samples (with capture / without, seeded so the same
 * measurements always give the same interval), the paired-ratio interval of interleaved runs,
 * the verdict against a goal, the rule that tells an adaptive cell when to stop, and a
 * distribution-free interval for a median (of paired differences, say).
 */
import { seededRandom } from "../../kit/random.ts";
import { median, quantile } from "../../kit/stats.ts";

export { median, quantile };

export interface Spread {
  median: number;
  min: number;
  max: number;
  q1: number;
  q3: number;
}

export function spread(xs: readonly number[]): Spread {
  return {
    median: median(xs),
    min: Math.min(...xs),
    max: Math.max(...xs),
    q1: quantile(xs, 0.25),
    q3: quantile(xs, 0.75),
  };
}

export interface RatioCi {
  /** median(with) / median(without) */
  ratio: number;
  lo: number;
  hi: number;
  /** confidence level, e.g. 0.95 */
  level: number;
  resamples: number;
}

/**
 * Percentile bootstrap of median(b) / median(a): each resample draws a and b with replacement,
 * independently, keeping their sizes.
 */
export function bootstrapRatioOfMedians(
  a: readonly number[],
  b: readonly number[],
  opts: { resamples?: number; level?: number; seed?: number } = {},
): RatioCi {
  const resamples = opts.resamples ?? 10_000;
  const level = opts.level ?? 0.95;
  const rand = seededRandom(opts.seed ?? 1);
  const draw = (xs: readonly number[]) =>
    Array.from({ length: xs.length }, () => xs[Math.floor(rand() * xs.length)]);
  const ratios = new Float64Array(resamples);
  for (let i = 0; i < resamples; i++) ratios[i] = median(draw(b)) / median(draw(a));
  const sorted = [...ratios].sort((x, y) => x - y);
  return {
    ratio: median(b) / median(a),
    lo: quantile(sorted, (1 - level) / 2),
    hi: quantile(sorted, 1 - (1 - level) / 2),
    level,
    resamples,
  };
}

/** Ratios b[i] / a[i] of interleaved pairs. */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.min(a.length, b.length);
  return Array.from({ length: n }, (_, i) => b[i] / a[i]);
}

/** Student's t quantile for 97.5% (two-sided 95%), by degrees of freedom 1..30. */
const T975 = [
  12.706,
  4.303,
  3.182,
  2.776,
  2.571,
  2.447,
  2.365,
  2.306,
  2.262,
  2.228,
  2.201,
  2.179,
  2.16,
  2.145,
  2.131,
  2.12,
  2.11,
  2.101,
  2.093,
  2.086,
  2.08,
  2.074,
  2.069,
  2.064,
  2.06,
  2.056,
  2.052,
  2.048,
  2.045,
  2.042,
];

/**
 * The 0.975 quantile of Student's t with `df` degrees of freedom: tabled up to 30, then the
 * Cornish-Fisher expansion around the normal quantile (error below 0.001 there).
 */
export function tQuantile975(df: number): number {
  if (!(df >= 1)) return Infinity;
  const n = Math.floor(df);
  if (n <= 30) return T975[n - 1];
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * n) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * n * n);
}

/** A confidence interval of paired ratios, with the number of pairs it rests on. */
export interface PairedCi extends RatioCi {
  pairs: number;
}

/**
 * The overhead from interleaved pairs: the geometric mean of the pairs' ratios b[i] / a[i],
 * with a 95% Student-t interval on their logarithms (so drift of the machine that hits both
 * runs of a pair cancels, and a few pairs give an honestly wide interval; one pair gives an
 * unbounded one). Pairs with a missing or non-positive time are left out.
 */
export function pairedRatioCi(a: readonly number[], b: readonly number[]): PairedCi {
  const logs = pairedRatios(a, b).filter((r) => Number.isFinite(r) && r > 0).map(Math.log);
  const n = logs.length;
  const mean = n ? logs.reduce((s, x) => s + x, 0) / n : NaN;
  const sd = n > 1 ? Math.sqrt(logs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : NaN;
  const half = n > 1 ? tQuantile975(n - 1) * sd / Math.sqrt(n) : Infinity;
  return {
    ratio: Math.exp(mean),
    lo: n ? Math.exp(mean - half) : NaN,
    hi: n ? Math.exp(mean + half) : NaN,
    level: 0.95,
    resamples: 0,
    pairs: n,
  };
}

/** How far the interval reaches from its estimate, the larger side (0.015 is ±1.5%). */
export function halfWidth(ci: RatioCi): number {
  return Math.max(ci.ratio - ci.lo, ci.hi - ci.ratio);
}

/**
 * Whether a cell meets an overhead goal (a fraction, 0.01 for 1%): "meets" when the interval's
 * upper bound is at or below it, "misses" when its lower bound is above it, else "undecided".
 */
export type Verdict = "meets" | "misses" | "undecided";

export function goalVerdict(ci: RatioCi, goal: number): Verdict {
  if (!Number.isFinite(ci.hi) || !Number.isFinite(ci.lo)) return "undecided";
  const eps = 1e-12; // 1.01 - 1 is 0.010000000000000009
  if (ci.hi - 1 <= goal + eps) return "meets";
  if (ci.lo - 1 > goal + eps) return "misses";
  return "undecided";
}

/** When an adaptive cell stops adding pairs. */
export interface StopRule {
  /** pairs measured before the interval is looked at */
  minPairs: number;
  /** the most pairs a cell gets */
  maxPairs: number;
  /** stop once halfWidth(interval) is at most this (0.015 for ±1.5%); Infinity: never */
  targetHalfWidth: number;
  /** the cell's time budget in ms: no new pair that would, at the mean pair's length, end past it */
  budgetMs: number;
  /**
   * With a goal (a fraction), reaching the target is not enough: pairs are added until the
   * interval also decides the goal (meets or misses), or a limit.
   */
  goal?: number;
}

export type StopReason =
  | "target reached"
  | "target reached, goal decided"
  | "max runs"
  | "time budget"
  | "fixed runs";

/**
 * Whether to stop adding pairs, and why (null: go on). `pairMs` are the lengths of the pairs
 * so far (wall time, both runs and set-up), `ci` the interval over the good pairs.
 */
export function stopReason(
  rule: StopRule,
  pairMs: readonly number[],
  ci: RatioCi,
): StopReason | null {
  const n = pairMs.length;
  if (n < rule.minPairs) return null;
  if (!Number.isFinite(rule.targetHalfWidth)) return "fixed runs";
  if (halfWidth(ci) <= rule.targetHalfWidth + 1e-12) {
    if (rule.goal === undefined) return "target reached";
    if (goalVerdict(ci, rule.goal) !== "undecided") return "target reached, goal decided";
  }
  if (n >= rule.maxPairs) return "max runs";
  const spent = pairMs.reduce((s, x) => s + x, 0);
  if (spent + spent / n > rule.budgetMs) return "time budget";
  return null;
}

/** The order of the two runs of pair i: B C, then C B, and so on (order effects cancel). */
export function pairOrder(
  i: number,
): readonly ["baseline", "capture"] | readonly ["capture", "baseline"] {
  return i % 2 === 0 ? ["baseline", "capture"] as const : ["capture", "baseline"] as const;
}

/** A median with its confidence interval (`lo`/`hi` infinite when the sample is too small). */
export interface MedianCi {
  median: number;
  lo: number;
  hi: number;
  level: number;
  n: number;
}

/**
 * The median of `xs` with a distribution-free interval from its order statistics (the sign
 * test's): [x(k), x(n-k+1)] of the sorted sample (1-based), with k the largest such that
 * P(B <= k-1) <= (1 - level) / 2 for B ~ Binomial(n, 1/2), so the interval covers the true
 * median with probability at least 1 - 2 P(B <= k-1) >= `level`, whatever the distribution. No
 * resampling, so the same values always give the same interval; fewer than 6 values give an
 * unbounded one at 95% (k = 0). Throws on a non-finite value (a broken measurement must not
 * quietly shrink n).
 */
export function medianCi(xs: readonly number[], level = 0.95): MedianCi {
  const bad = xs.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new Error(`medianCi: value ${bad} is ${xs[bad]}, not a finite number`);
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const tail = (1 - level) / 2;
  // P(B <= j) for B ~ Binomial(n, 1/2), summed in log space (2^-n underflows past ~1000)
  let logPmf = -n * Math.LN2, cdf = 0, k = 0;
  for (let j = 0; j < n; j++) {
    cdf += Math.exp(logPmf);
    if (cdf > tail + 1e-12) break;
    k = j + 1;
    logPmf += Math.log((n - j) / (j + 1));
  }
  return {
    median: median(s),
    lo: k > 0 ? s[k - 1] : -Infinity,
    hi: k > 0 ? s[n - k] : Infinity,
    level,
    n,
  };
}
