// SPOT (Siffer et al., KDD 2017): a threshold z_q that the series exceeds with probability q, from the
// Generalised Pareto tail of its peaks (DESIGN.md, "SPOT"). Calibrated on n_init points, then each
// point streamed: above z_q → alarm (not learned); between t and z_q → a new peak, refit, new z_q;
// below t → just counted. The state is a plain object (numbers and one array) so it can be
// checkpointed as JSON; the step changes it in place (it runs for every point of every series).
import { fitGpd } from './gpd-fit.js';

export interface SpotParams {
  /** Risk: the probability of a false alarm per point (e.g. 1e-4). */
  readonly q: number;
  /** Quantile of the calibration points taken as the peak threshold t (0.98). */
  readonly level: number;
  /** Peaks kept for the fit (the newest); the count N_t goes on beyond it. */
  readonly maxPeaks: number;
}

export const DEFAULT_SPOT: SpotParams = { q: 1e-4, level: 0.98, maxPeaks: 200 };

export interface SpotState {
  readonly q: number;
  readonly maxPeaks: number;
  /** Peak threshold. */
  t: number;
  /** Points seen (calibration and normal points, not alarms). */
  n: number;
  /** Peaks seen. */
  nt: number;
  /** The newest peaks (excesses over t), a ring of at most maxPeaks; `next` is where the next goes. */
  peaks: number[];
  next: number;
  gamma: number;
  sigma: number;
  /** The alarm threshold z_q. */
  z: number;
}

export const NORMAL = 0;
export const PEAK = 1;
export const ALARM = 2;
export type SpotOutcome = typeof NORMAL | typeof PEAK | typeof ALARM;

/** z_q from the current fit: t + (σ/γ)·((q·n/N_t)^(−γ) − 1), or t − σ·ln(q·n/N_t) when γ = 0. */
function threshold(state: SpotState): number {
  if (state.nt === 0) return state.t;
  const r = (state.q * state.n) / state.nt;
  if (state.gamma === 0) return state.t - state.sigma * Math.log(r);
  return state.t + (state.sigma / state.gamma) * (Math.pow(r, -state.gamma) - 1);
}

function refit(state: SpotState): void {
  const fit = fitGpd(state.peaks);
  state.gamma = fit.gamma;
  state.sigma = fit.sigma;
  state.z = threshold(state);
}

/** A SPOT calibrated on `calibration` (at least a few hundred points for q = 1e-4). */
export function spotInit(calibration: ArrayLike<number>, params: SpotParams = DEFAULT_SPOT): SpotState {
  const sorted = Float64Array.from(calibration).sort();
  const n = sorted.length;
  if (n === 0) throw new Error('SPOT needs calibration points');
  const t = sorted[Math.min(n - 1, Math.floor(params.level * n))] as number;
  const peaks: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = calibration[i] as number;
    if (x > t) peaks.push(x - t);
  }
  const nt = peaks.length;
  const kept = peaks.length > params.maxPeaks ? peaks.slice(peaks.length - params.maxPeaks) : peaks;
  const state: SpotState = { q: params.q, maxPeaks: params.maxPeaks, t, n, nt, peaks: kept, next: kept.length % params.maxPeaks, gamma: 0, sigma: 0, z: t };
  refit(state);
  return state;
}

/** Streams one point: ALARM (above z_q; not learned), PEAK (learned, threshold refitted) or NORMAL. */
export function spotStep(state: SpotState, x: number): SpotOutcome {
  if (x > state.z) return ALARM;
  if (x > state.t) {
    const excess = x - state.t;
    if (state.peaks.length < state.maxPeaks) state.peaks.push(excess);
    else state.peaks[state.next] = excess;
    state.next = (state.next + 1) % state.maxPeaks;
    state.nt++;
    state.n++;
    refit(state);
    return PEAK;
  }
  state.n++;
  return NORMAL;
}
