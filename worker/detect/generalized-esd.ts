// Rosner's generalised ESD test: up to `maxAnomalies` outliers in roughly normal data. Repeatedly take
// the point furthest from the mean (in standard deviations, R_i), remove it, and compare R_i with the
// critical value λ_i from Student's t; the outliers are the points removed up to the last i with
// R_i > λ_i. With `robust`, the median and MAD stand in for the mean and standard deviation (the
// S-H-ESD variant: more outliers found when they are many).
import { medianSpread } from './robust-baseline.js';
import { meanStd } from './three-sigma.js';
import { studentTQuantile } from './student-t.js';

export interface EsdParams {
  /** Significance level (0.05). */
  readonly alpha: number;
  /** At most this share of the points can be outliers (0.02). */
  readonly maxShare: number;
  readonly robust: boolean;
}

export const DEFAULT_ESD: EsdParams = { alpha: 0.05, maxShare: 0.02, robust: true };

/** λ_i: the critical value of the i-th removal among n points at significance `alpha`. */
export function esdCritical(n: number, i: number, alpha: number): number {
  const m = n - i + 1;
  const t = studentTQuantile(1 - alpha / (2 * m), m - 2);
  return ((m - 1) * t) / Math.sqrt((m - 2 + t * t) * m);
}

/** Indices of the outliers among `values`, in the order they were found. */
export function generalizedEsd(values: ArrayLike<number>, params: EsdParams = DEFAULT_ESD): number[] {
  const n = values.length;
  const maxAnomalies = Math.floor(n * params.maxShare);
  if (n < 3 || maxAnomalies < 1) return [];
  const remaining = Array.from({ length: n }, (_, i) => i);
  const removed: number[] = [];
  let found = 0;
  for (let i = 1; i <= maxAnomalies; i++) {
    const current = remaining.map((index) => values[index] as number);
    const { center, spread } = params.robust ? (({ median, spread }) => ({ center: median, spread }))(medianSpread(current)) : (({ mean, std }) => ({ center: mean, spread: std }))(meanStd(current));
    if (!(spread > 0)) break;
    let worst = 0;
    let worstDeviation = -1;
    for (let j = 0; j < remaining.length; j++) {
      const deviation = Math.abs((current[j] as number) - center);
      if (deviation > worstDeviation) {
        worstDeviation = deviation;
        worst = j;
      }
    }
    const r = worstDeviation / spread;
    const lambda = esdCritical(n, i, params.alpha);
    removed.push(remaining[worst] as number);
    remaining.splice(worst, 1);
    if (r > lambda) found = i;
  }
  return removed.slice(0, found);
}
