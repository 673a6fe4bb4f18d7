// biSPOT: SPOT on both tails — the upper on x, the lower on −x — so a curve that drops is caught as
// well as one that spikes. The lower threshold in the series' units is −z of the lower tail.
import { ALARM, DEFAULT_SPOT, spotInit, spotStep, type SpotOutcome, type SpotParams, type SpotState } from './spot.js';

export interface BiSpotState {
  readonly upper: SpotState;
  readonly lower: SpotState;
}

export interface BiOutcome {
  readonly outcome: SpotOutcome;
  /** Which tail alarmed (or learned a peak): 1 upper, −1 lower, 0 none. */
  readonly side: 1 | -1 | 0;
}

export function biSpotInit(calibration: ArrayLike<number>, params: SpotParams = DEFAULT_SPOT): BiSpotState {
  return { upper: spotInit(calibration, params), lower: spotInit(Float64Array.from(calibration, (x) => -x), params) };
}

/** The thresholds in the series' units: [lower, upper]. */
export function biSpotThresholds(state: BiSpotState): [number, number] {
  return [-state.lower.z, state.upper.z];
}

export function biSpotStep(state: BiSpotState, x: number): BiOutcome {
  const up = spotStep(state.upper, x);
  const down = spotStep(state.lower, -x);
  if (up === ALARM) return { outcome: ALARM, side: 1 };
  if (down === ALARM) return { outcome: ALARM, side: -1 };
  return up > down ? { outcome: up, side: 1 } : down > 0 ? { outcome: down, side: -1 } : { outcome: up, side: 0 };
}
