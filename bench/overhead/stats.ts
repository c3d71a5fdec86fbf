/**
 * Small statistics for the overhead table: median, quartiles, and a bootstrap confidence
 * interval for the ratio of medians of two samples (with capture / without), with a seeded
 * PRNG so the same measurements always give the same interval.
 */
import { seededRandom } from "../../kit/random.ts";

export function quantile(xs: readonly number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

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
