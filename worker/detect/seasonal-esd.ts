// Seasonal outliers for curves with a daily cycle (S-H-ESD, as Twitter's AnomalyDetection): remove the
// seasonal component — for each phase of the period, the median of the values at that phase — and the
// level — the median of the whole window — then run the robust generalised ESD test on the residuals.
// The window should cover a few periods (e.g. 7 days of 5-minute points with a period of 288).
import { generalizedEsd, type EsdParams, DEFAULT_ESD } from './generalized-esd.js';
import { median } from './robust-baseline.js';

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
