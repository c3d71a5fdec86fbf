/** Order statistics shared by the benchmarks and the reports: quantiles and the median. */

/**
 * The `q` quantile (0 to 1) of `xs`, interpolated linearly between the two nearest values of
 * the sorted sample; NaN when empty.
 */
export function quantile(xs: readonly number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** The median (the mean of the middle two for an even count); NaN when empty. */
export const median = (xs: readonly number[]): number => quantile(xs, 0.5);
