// Anomaly scores of a whole curve under one streaming algorithm, as a worker would compute them point
// by point: 0 while the detector calibrates, then the judgement's score (≥ 1 where it alarms).
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
];

export function curveScores(values: readonly number[], algorithm: Record<string, unknown>): number[] {
  const rule: Rule = ruleSchema.parse({ name: 'eval', db: 'eval', measurement: 'eval', fields: ['value'], algorithm });
  const state = newSeriesState(rule);
  return values.map((value) => observe(state, rule, value)?.score ?? 0);
}
