// biDSPOT: DSPOT on both tails of the drift-corrected value, with one shared moving window: a point
// enters the window only when neither tail alarms.
import type { BiOutcome } from './bi-spot.js';
import { driftCorrected, dspotInit, dspotMean, dspotPush, type DspotParams, type DspotState } from './dspot.js';
import { ALARM, spotInit, spotStep, type SpotState } from './spot.js';

export interface BiDspotState {
  /** The upper tail and the shared window. */
  readonly drift: DspotState;
  /** The lower tail, on the negated drift-corrected values. */
  readonly lower: SpotState;
}

export function biDspotInit(calibration: ArrayLike<number>, params: DspotParams): BiDspotState {
  // The lower tail calibrates on the same drift-corrected values, negated.
  const negated = driftCorrected(calibration, params.depth).map((v) => -v);
  return { drift: dspotInit(calibration, params), lower: spotInit(negated, params) };
}

/** The thresholds in the series' units now: [lower, upper]. */
export function biDspotThresholds(state: BiDspotState): [number, number] {
  const mean = dspotMean(state.drift);
  return [mean - state.lower.z, mean + state.drift.spot.z];
}

export function biDspotStep(state: BiDspotState, x: number): BiOutcome {
  const v = x - dspotMean(state.drift);
  const up = spotStep(state.drift.spot, v);
  const down = spotStep(state.lower, -v);
  if (up === ALARM) return { outcome: ALARM, side: 1 };
  if (down === ALARM) return { outcome: ALARM, side: -1 };
  dspotPush(state.drift, x);
  return up > down ? { outcome: up, side: 1 } : down > 0 ? { outcome: down, side: -1 } : { outcome: up, side: 0 };
}
