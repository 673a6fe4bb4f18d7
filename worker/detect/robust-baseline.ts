// A robust baseline: the median and the median absolute deviation (MAD, scaled by 1.4826 so it equals
// the standard deviation for normal data) of a recent window; a point further than k robust standard
// deviations from the median is anomalous. Unlike 3-sigma, the anomalies in the window do not widen
// the band they are judged by.

export interface RobustJudgement {
  readonly anomalous: boolean;
  /** |x − median| / (1.4826·MAD); ∞ when the window is constant and x differs. */
  readonly score: number;
  readonly median: number;
  /** 1.4826·MAD. */
  readonly spread: number;
}

/** Median of a copy of `values`. */
export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Median and scaled MAD of `values`. */
export function medianSpread(values: ArrayLike<number>): { median: number; spread: number } {
  const m = median(values);
  const deviations = Float64Array.from(values, (v) => Math.abs(v - m));
  return { median: m, spread: 1.4826 * median(deviations) };
}

/** Judges `x` against the window `values`; `k` robust standard deviations (3.5). */
export function robustBaseline(values: ArrayLike<number>, x: number, k = 3.5): RobustJudgement {
  const { median: m, spread } = medianSpread(values);
  const deviation = Math.abs(x - m);
  const score = spread > 0 ? deviation / spread : deviation > 0 ? Infinity : 0;
  return { anomalous: score > k, score, median: m, spread };
}
