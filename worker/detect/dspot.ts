// DSPOT: SPOT on the drift-corrected value x − mean(last d normal points), for series whose level
// moves (DESIGN.md, "SPOT"). An alarm does not enter the window; the threshold in the series' own
// units is z_q + that mean.
import { ALARM, spotInit, spotStep, type SpotOutcome, type SpotParams, type SpotState } from './spot.js';

export interface DspotParams extends SpotParams {
  /** Depth d: how many recent normal points the moving mean covers. */
  readonly depth: number;
}

export interface DspotState {
  readonly spot: SpotState;
  /** The last `depth` normal points, a ring; `next` is the oldest. */
  window: number[];
  next: number;
  sum: number;
}

/** The moving mean now. */
export function dspotMean(state: DspotState): number {
  return state.sum / state.window.length;
}

/** Each calibration point from the `depth`-th on, minus the mean of the `depth` points before it. */
export function driftCorrected(calibration: ArrayLike<number>, depth: number): Float64Array {
  if (calibration.length <= depth) throw new Error(`DSPOT needs more than depth (${depth}) calibration points`);
  const drift = new Float64Array(calibration.length - depth);
  let sum = 0;
  for (let i = 0; i < depth; i++) sum += calibration[i] as number;
  for (let i = depth; i < calibration.length; i++) {
    drift[i - depth] = (calibration[i] as number) - sum / depth;
    sum += (calibration[i] as number) - (calibration[i - depth] as number);
  }
  return drift;
}

/** Calibrated on `calibration` (more than `depth` points: the first `depth` only fill the window). */
export function dspotInit(calibration: ArrayLike<number>, params: DspotParams): DspotState {
  const d = params.depth;
  const drift = driftCorrected(calibration, d);
  const window = Array.from({ length: d }, (_, i) => calibration[calibration.length - d + i] as number);
  return { spot: spotInit(drift, params), window, next: 0, sum: window.reduce((a, b) => a + b, 0) };
}

/** Streams one point (see spotStep); a point that is not an alarm enters the window. */
export function dspotStep(state: DspotState, x: number): SpotOutcome {
  const outcome = spotStep(state.spot, x - dspotMean(state));
  if (outcome !== ALARM) dspotPush(state, x);
  return outcome;
}

/** Puts a normal point into the window. */
export function dspotPush(state: DspotState, x: number): void {
  state.sum += x - (state.window[state.next] as number);
  state.window[state.next] = x;
  state.next = (state.next + 1) % state.window.length;
}
