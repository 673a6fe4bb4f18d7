// Metis value detection (Tencent Metis, DESIGN.md "Detection"): the last point of today's window A
// (181 points) judged against yesterday's B and last week's C (361 points each, centred on the same
// time of day), with three first-layer filters over C+B+A — 3-sigma, an EWMA chart (α = 0.3), and a
// degree-4 polynomial fit of the three days overlaid by time of day (a relative deviation over 0.15 of
// mean(A) fires) — combined into a decision and a score.
import { ewmaChart } from './ewma.js';
import { polynomialAt, polynomialFit } from './polynomial-fit.js';
import { threeSigma } from './three-sigma.js';

export interface MetisParams {
  /** Half-width of the windows in points (180: A has 181, B and C 361). */
  readonly window: number;
  readonly sigmas: number;
  readonly ewmaAlpha: number;
  readonly polynomialDegree: number;
  /** Relative deviation from the polynomial fit that fires (of mean(A) when mean(A) > 1). */
  readonly polynomialThreshold: number;
  /** How many filters must fire for an anomaly (1: any, as Metis' first layer). */
  readonly votes: number;
}

export const DEFAULT_METIS: MetisParams = { window: 180, sigmas: 3, ewmaAlpha: 0.3, polynomialDegree: 4, polynomialThreshold: 0.15, votes: 2 };

export interface MetisJudgement {
  readonly anomalous: boolean;
  /** The filters that fired. */
  readonly fired: readonly ('sigma' | 'ewma' | 'polynomial')[];
  /** Strength: the largest of each filter's deviation over its own limit (1 = at the limit). */
  readonly score: number;
  /** What the polynomial fit expected the last point to be. */
  readonly expected: number;
}

/** C, B and A one after the other (what the 3-sigma and EWMA filters judge). */
export function threeDays(c: ArrayLike<number>, b: ArrayLike<number>, a: ArrayLike<number>): Float64Array {
  const all = new Float64Array(c.length + b.length + a.length);
  for (let i = 0; i < c.length; i++) all[i] = c[i] as number;
  for (let i = 0; i < b.length; i++) all[c.length + i] = b[i] as number;
  for (let i = 0; i < a.length; i++) all[c.length + b.length + i] = a[i] as number;
  return all;
}

/** Judges the last point of `a` given `b` (yesterday) and `c` (last week). */
export function metisValue(c: ArrayLike<number>, b: ArrayLike<number>, a: ArrayLike<number>, params: MetisParams = DEFAULT_METIS): MetisJudgement {
  const w = params.window;
  if (a.length !== w + 1 || b.length !== 2 * w + 1 || c.length !== 2 * w + 1) {
    throw new Error(`Metis windows: A needs ${w + 1} points, B and C ${2 * w + 1}; got ${a.length}, ${b.length}, ${c.length}`);
  }
  const all = threeDays(c, b, a);
  const sigma = threeSigma(all, params.sigmas);
  const ewma = ewmaChart(all, params.ewmaAlpha, params.sigmas);

  // Polynomial: the three days by time of day (C and B at 0..2w, A at 0..w), scaled by mean(A). The
  // least-squares fit over the three days equals the fit of each time of day's mean, weighted by how
  // many days have it (3 up to w, then 2): 2w + 1 rows instead of 5w + 3.
  let meanA = 0;
  for (let i = 0; i < a.length; i++) meanA += a[i] as number;
  meanA /= a.length;
  const scale = meanA > 1 ? meanA : 1;
  const xs = new Float64Array(2 * w + 1);
  const ys = new Float64Array(2 * w + 1);
  const weights = new Float64Array(2 * w + 1);
  for (let x = 0; x <= 2 * w; x++) {
    const days = x <= w ? 3 : 2;
    const sum = (c[x] as number) + (b[x] as number) + (x <= w ? (a[x] as number) : 0);
    xs[x] = x;
    ys[x] = sum / days / scale;
    weights[x] = days;
  }
  const coefficients = polynomialFit(xs, ys, params.polynomialDegree, 2 * w, weights);
  const predicted = polynomialAt(coefficients, w, 2 * w);
  const deviation = Math.abs((a[w] as number) / scale - predicted);
  const polynomialScore = deviation / params.polynomialThreshold;

  const fired: ('sigma' | 'ewma' | 'polynomial')[] = [];
  if (sigma.anomalous) fired.push('sigma');
  if (ewma.anomalous) fired.push('ewma');
  if (deviation > params.polynomialThreshold) fired.push('polynomial');
  return {
    anomalous: fired.length >= params.votes,
    fired,
    score: Math.max(sigma.score / params.sigmas, ewma.score / params.sigmas, polynomialScore),
    expected: predicted * scale,
  };
}
