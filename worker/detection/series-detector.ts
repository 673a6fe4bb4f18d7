// One curve's detector: its state (plain data, bounded, checkpointed as JSON) and how a point is
// judged under a rule's algorithm. The streaming algorithms keep their state here: the SPOT family
// calibrates on the curve's first `calibration` points, the robust baseline judges each point against
// its last `window` points, context novelty learns the contexts of the curve's shape. Metis and seasonal ESD judge a point against the curve's past windows
// (curve-history.ts, loaded from the cluster): `judgeWithHistory`; their state here is the cooldown.
import { algorithmKey, type Rule } from '../../config/rule-schema.js';
import { biDspotInit, biDspotStep, biDspotThresholds, type BiDspotState } from '../detect/bi-dspot.js';
import { biSpotInit, biSpotStep, biSpotThresholds, type BiSpotState } from '../detect/bi-spot.js';
import { dspotInit, dspotMean, dspotStep, type DspotState } from '../detect/dspot.js';
import { DEFAULT_METIS, metisValue } from '../detect/metis-value.js';
import { seasonalEsdNewest } from '../detect/seasonal-esd.js';
import { metisRate } from '../detect/metis-rate.js';
import { contextInit, contextStep, type ContextState } from '../detect/context-novelty.js';
import { onsetInit, onsetStep, type OnsetState } from '../detect/onset.js';
import type { HistoryWindows } from './curve-history.js';
import { robustBaseline } from '../detect/robust-baseline.js';
import { ALARM, spotInit, spotStep, type SpotState } from '../detect/spot.js';

export interface SeriesState {
  /** JSON of the rule's algorithm the state was made for (a changed algorithm starts over). */
  readonly algorithm: string;
  /** Points gathered before the detector is calibrated (SPOT family), or the recent window (robust, a ring). */
  recent: number[];
  /** Robust: where the next point goes in `recent` once it is full (the oldest). */
  next?: number;
  detector: SpotState | BiSpotState | DspotState | BiDspotState | ContextState | null;
  /** Time (ms) of the last alert of this curve (for the rule's cooldown), 0 when none. */
  lastAlertAt: number;
  /** The recent scores, when the algorithm's `onset` is on. */
  onset?: OnsetState;
  /** Time (ms) before which the curve's points came from the cluster when it started (its stream's older points are those). */
  since?: number;
  /** When (wall clock, ms) the worker last got a point of the curve: idle curves are forgotten. */
  seenAt?: number;
}

export interface Judgement {
  readonly anomalous: boolean;
  /** The limit crossed (the nearer one for two-sided detectors). */
  readonly threshold: number;
  /** How far past the limit: value / threshold for one-sided, deviation over the band for others. */
  readonly score: number;
  /** With `onset` on: the highest score of the `onset` points before (an anomaly must be above it). */
  readonly previousHigh?: number;
}

export function newSeriesState(rule: Rule): SeriesState {
  return { algorithm: algorithmKey(rule), recent: [], detector: null, lastAlertAt: 0 };
}

/** Judges `value` (null while the detector calibrates, or when the algorithm is not a streaming one). */
export function observe(state: SeriesState, rule: Rule, value: number): Judgement | null {
  const judged = observeStreaming(state, rule, value);
  const window = 'onset' in rule.algorithm ? rule.algorithm.onset : 0;
  if (judged === null || window === 0) return judged;
  state.onset ??= onsetInit();
  const previousHigh = onsetStep(state.onset, judged.score, window);
  return { ...judged, anomalous: judged.anomalous && judged.score > previousHigh, previousHigh };
}

function observeStreaming(state: SeriesState, rule: Rule, value: number): Judgement | null {
  const algorithm = rule.algorithm;
  switch (algorithm.type) {
    case 'spot':
    case 'bispot':
    case 'dspot':
    case 'bidspot': {
      if (state.detector === null) {
        state.recent.push(value);
        if (state.recent.length < algorithm.calibration) return null;
        const params = { q: algorithm.q, level: algorithm.level, maxPeaks: algorithm.maxPeaks };
        const depth = 'depth' in algorithm ? algorithm.depth : 0;
        state.detector =
          algorithm.type === 'spot' ? spotInit(state.recent, params)
          : algorithm.type === 'bispot' ? biSpotInit(state.recent, params)
          : algorithm.type === 'dspot' ? dspotInit(state.recent, { ...params, depth })
          : biDspotInit(state.recent, { ...params, depth });
        state.recent = [];
        return null;
      }
      return stepSpotFamily(algorithm.type, state.detector, value);
    }
    case 'robust': {
      const judged = state.recent.length >= Math.min(30, algorithm.window) ? robustBaseline(state.recent, value, algorithm.k) : null;
      // The window as a ring (order does not matter to a median): the point overwrites the oldest.
      if (state.recent.length < algorithm.window) state.recent.push(value);
      else {
        state.recent[state.next ?? 0] = value;
        state.next = ((state.next ?? 0) + 1) % algorithm.window;
      }
      if (judged === null) return null;
      const limit = judged.median + Math.sign(value - judged.median) * algorithm.k * judged.spread;
      return { anomalous: judged.anomalous, threshold: limit, score: judged.score / algorithm.k };
    }
    case 'context': {
      // Its calibration points are in its own state; a point is reported with its rarity (≥ threshold: an anomaly).
      state.detector ??= contextInit();
      const judged = contextStep(state.detector as ContextState, algorithm, value);
      if (judged === null) return null;
      return { anomalous: judged.rarity >= algorithm.threshold, threshold: algorithm.threshold, score: judged.rarity / algorithm.threshold };
    }
    default:
      return null;
  }
}

/** Judges the newest point of `history.today` against the past windows, under a rule whose algorithm has a history plan. */
export function judgeWithHistory(rule: Rule, history: HistoryWindows): Judgement | null {
  const algorithm = rule.algorithm;
  const { today, windows } = history;
  switch (algorithm.type) {
    case 'metis-value': {
      const [lastWeek, yesterday] = windows as [Float64Array, Float64Array];
      const judged = metisValue(lastWeek, yesterday, today, { ...DEFAULT_METIS, votes: algorithm.votes, polynomialThreshold: algorithm.polynomialThreshold });
      // The threshold reported is what the polynomial fit expected.
      return { anomalous: judged.anomalous, threshold: judged.expected, score: judged.score };
    }
    case 'metis-rate': {
      const [lastWeek, yesterday] = windows as [Float64Array, Float64Array];
      const judged = metisRate(lastWeek, yesterday, today, algorithm.sigmas);
      const value = today[today.length - 1] as number;
      return { anomalous: judged.anomalous, threshold: judged.mean + Math.sign(value - judged.mean) * algorithm.sigmas * judged.std, score: judged.score / algorithm.sigmas };
    }
    case 'seasonal-esd': {
      const judged = seasonalEsdNewest(today, windows, { alpha: algorithm.alpha, maxShare: algorithm.maxShare, robust: true });
      return { anomalous: judged.anomalous, threshold: judged.limit, score: judged.score };
    }
    default:
      return null;
  }
}

function stepSpotFamily(type: 'spot' | 'bispot' | 'dspot' | 'bidspot', detector: NonNullable<SeriesState['detector']>, value: number): Judgement {
  if (type === 'spot') {
    const state = detector as SpotState;
    const outcome = spotStep(state, value);
    return { anomalous: outcome === ALARM, threshold: state.z, score: state.z !== 0 ? value / state.z : 0 };
  }
  if (type === 'dspot') {
    const state = detector as DspotState;
    const mean = dspotMean(state);
    const outcome = dspotStep(state, value);
    const threshold = state.spot.z + mean;
    return { anomalous: outcome === ALARM, threshold, score: state.spot.z !== 0 ? (value - mean) / state.spot.z : 0 };
  }
  const two = type === 'bispot' ? biSpotThresholds(detector as BiSpotState) : biDspotThresholds(detector as BiDspotState);
  const outcome = type === 'bispot' ? biSpotStep(detector as BiSpotState, value) : biDspotStep(detector as BiDspotState, value);
  const [lower, upper] = two;
  const middle = (lower + upper) / 2;
  const half = (upper - lower) / 2;
  const threshold = value >= middle ? upper : lower;
  return { anomalous: outcome.outcome === ALARM, threshold, score: half > 0 ? Math.abs(value - middle) / half : 0 };
}
