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

/** The k-th smallest of `a` (0-based), rearranging `a` (Hoare's selection, expected linear time). */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k] as number;
  }
  return a[k] as number;
}

/** Median of `a`, rearranging it. */
function medianInPlace(a: Float64Array): number {
  const n = a.length;
  if (n === 0) return NaN;
  const mid = n >> 1;
  const upper = select(a, mid);
  if (n % 2 === 1) return upper;
  // The largest of the lower half: after selecting `mid`, everything before it is not larger.
  let lower = -Infinity;
  for (let i = 0; i < mid; i++) if ((a[i] as number) > lower) lower = a[i] as number;
  return (lower + upper) / 2;
}

/** Median of `values` (not changed). */
export function median(values: ArrayLike<number>): number {
  return medianInPlace(Float64Array.from(values));
}

/** Median and scaled MAD of `values`, with one copy of them. */
export function medianSpread(values: ArrayLike<number>): { median: number; spread: number } {
  const work = Float64Array.from(values);
  const m = medianInPlace(work);
  for (let i = 0; i < work.length; i++) work[i] = Math.abs((work[i] as number) - m);
  return { median: m, spread: 1.4826 * medianInPlace(work) };
}

/** Judges `x` against the window `values`; `k` robust standard deviations (3.5). */
export function robustBaseline(values: ArrayLike<number>, x: number, k = 3.5): RobustJudgement {
  const { median: m, spread } = medianSpread(values);
  const deviation = Math.abs(x - m);
  const score = spread > 0 ? deviation / spread : deviation > 0 ? Infinity : 0;
  return { anomalous: score > k, score, median: m, spread };
}
