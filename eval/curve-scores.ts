// Anomaly scores of a whole curve under one streaming algorithm, as a worker would compute them point
// by point: 0 while the detector calibrates, then the judgement's score (≥ 1 where it alarms); with
// `onset` on, how far the score is above the highest of the `onset` points before (0 when not above).
import { ruleSchema, type Rule } from '../config/rule-schema.js';
import { newSeriesState, observe } from '../worker/detection/series-detector.js';

export interface EvalAlgorithm {
  readonly name: string;
  /** The rule's algorithm, with the calibration length filled in per curve. */
  readonly algorithm: (calibration: number) => Record<string, unknown>;
}

/** The algorithms evaluated, with one set of parameters each (not tuned per file). */
export const EVAL_ALGORITHMS: readonly EvalAlgorithm[] = [
  { name: 'spot (q 1e-3)', algorithm: (calibration) => ({ type: 'spot', q: 1e-3, calibration }) },
  { name: 'bispot (q 1e-3)', algorithm: (calibration) => ({ type: 'bispot', q: 1e-3, calibration }) },
  { name: 'bidspot (q 1e-3, depth 10)', algorithm: (calibration) => ({ type: 'bidspot', q: 1e-3, depth: 10, calibration }) },
  { name: 'robust (window 360, k 3.5)', algorithm: () => ({ type: 'robust', window: 360, k: 3.5 }) },
  { name: 'spot (q 1e-3, onset 300)', algorithm: (calibration) => ({ type: 'spot', q: 1e-3, calibration, onset: 300 }) },
  { name: 'bispot (q 1e-3, onset 300)', algorithm: (calibration) => ({ type: 'bispot', q: 1e-3, calibration, onset: 300 }) },
  { name: 'bidspot (q 1e-3, depth 10, onset 300)', algorithm: (calibration) => ({ type: 'bidspot', q: 1e-3, depth: 10, calibration, onset: 300 }) },
  { name: 'robust (window 360, k 3.5, onset 300)', algorithm: () => ({ type: 'robust', window: 360, k: 3.5, onset: 300 }) },
  { name: 'context (levels 4, maxContext 7, seasonal)', algorithm: (calibration) => ({ type: 'context', calibration }) },
];

/** Per point: the score the NAB sweep thresholds, and whether the detector called it an anomaly. */
export function curveScores(values: readonly number[], algorithm: Record<string, unknown>): { scores: number[]; alarms: boolean[] } {
  const rule: Rule = ruleSchema.parse({ name: 'eval', db: 'eval', measurement: 'eval', fields: ['value'], algorithm });
  const state = newSeriesState(rule);
  const scores: number[] = [];
  const alarms: boolean[] = [];
  for (const value of values) {
    const judged = observe(state, rule, value);
    // (∞ − ∞ is NaN: a constant window that stays broken is no new high.)
    const score = judged === null ? 0 : judged.previousHigh === undefined ? judged.score : Math.max(0, judged.score - judged.previousHigh);
    scores.push(Number.isNaN(score) ? 0 : score);
    alarms.push(judged?.anomalous === true);
  }
  return { scores, alarms };
}
