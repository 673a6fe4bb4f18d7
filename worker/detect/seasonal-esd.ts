// Seasonal outliers for curves with a daily cycle (S-H-ESD, as Twitter's AnomalyDetection): remove the
// seasonal component — for each phase of the period, the median of the values at that phase — and the
// level — the median of the whole window — then run the robust generalised ESD test on the residuals.
// The window should cover a few periods (e.g. 7 days of 5-minute points with a period of 288).
import { esdCritical, generalizedEsd, type EsdParams, DEFAULT_ESD } from './generalized-esd.js';
import { median, medianSpread } from './robust-baseline.js';

export interface SeasonalParams extends EsdParams {
  /** Points per season (a day of 5-minute points: 288). */
  readonly period: number;
}

/** The values minus their per-phase medians (phase i mod period), plus nothing else: residuals around 0. */
export function seasonalResiduals(values: ArrayLike<number>, period: number): Float64Array {
  const n = values.length;
  const residuals = new Float64Array(n);
  const phaseMedian = new Float64Array(period);
  for (let phase = 0; phase < period; phase++) {
    const same: number[] = [];
    for (let i = phase; i < n; i += period) same.push(values[i] as number);
    phaseMedian[phase] = same.length > 0 ? median(same) : 0;
  }
  for (let i = 0; i < n; i++) residuals[i] = (values[i] as number) - (phaseMedian[i % period] as number);
  const level = median(residuals);
  for (let i = 0; i < n; i++) residuals[i] = (residuals[i] as number) - level;
  return residuals;
}

/** Indices of the seasonal outliers in `values` (sorted). */
export function seasonalEsd(values: ArrayLike<number>, params: SeasonalParams): number[] {
  if (values.length < 2 * params.period) throw new Error(`a seasonal test needs at least two periods (${2 * params.period} points), got ${values.length}`);
  const { period: _period, ...esd } = params;
  return generalizedEsd(seasonalResiduals(values, params.period), { ...DEFAULT_ESD, ...esd }).sort((a, b) => a - b);
}

export interface SeasonalJudgement {
  readonly anomalous: boolean;
  /** What the same phase of the past periods (their median) and the window's level make of the newest point. */
  readonly expected: number;
  /** The limit the newest point is judged by: expected ± λ₁ robust standard deviations of the residuals. */
  readonly limit: number;
  /** The newest residual's robust z over λ₁ (1 = at the limit). */
  readonly score: number;
}

/**
 * The streaming form, as a worker runs it: judges the newest of `today` (the last points of a curve)
 * against the same points one, two, … periods back (`past[k]`, each as long as `today`). Each point's
 * residual is its value minus the median of its phase in the past periods; the residuals' median (the
 * level) is removed; the newest point is anomalous when the robust generalised ESD test on the
 * residuals finds it among the outliers.
 */
export function seasonalEsdNewest(today: ArrayLike<number>, past: readonly ArrayLike<number>[], params: EsdParams = DEFAULT_ESD): SeasonalJudgement {
  const m = today.length;
  const residuals = new Float64Array(m);
  const phase = new Float64Array(past.length);
  let seasonal = 0;
  for (let j = 0; j < m; j++) {
    for (let k = 0; k < past.length; k++) phase[k] = (past[k] as ArrayLike<number>)[j] as number;
    seasonal = median(phase);
    residuals[j] = (today[j] as number) - seasonal;
  }
  const { median: level, spread } = medianSpread(residuals);
  for (let j = 0; j < m; j++) residuals[j] = (residuals[j] as number) - level;
  const newest = residuals[m - 1] as number;
  const lambda = esdCritical(m, 1, params.alpha);
  // The newest point must be allowed to be an outlier even in a window shorter than 1 / maxShare.
  const outliers = generalizedEsd(residuals, { ...params, maxShare: Math.max(params.maxShare, 1 / m) });
  const expected = seasonal + level;
  return {
    anomalous: outliers.includes(m - 1),
    expected,
    limit: expected + (newest >= 0 ? 1 : -1) * lambda * spread,
    score: spread > 0 ? Math.abs(newest) / spread / lambda : newest !== 0 ? Infinity : 0,
  };
}
