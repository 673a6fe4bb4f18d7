// Onsets only: a point is an anomaly only when its score is above every score of the `onset` points
// before it; the running maximum forgets scores older than the window; a level shift judged by biSPOT
// raises an anomaly where it starts and a few where the noise sets a new high, not one per point.
import { describe, expect, it } from 'vitest';
import { ruleSchema } from '../config/rule-schema.js';
import { onsetInit, onsetStep } from '../worker/detect/onset.js';
import { newSeriesState, observe } from '../worker/detection/series-detector.js';

describe('onsets only', () => {
  it.each([
    { scores: [1, 2, 3, 2, 1], window: 10, highs: [0, 1, 2, 3, 3] },
    { scores: [5, 1, 1, 1, 1], window: 2, highs: [0, 5, 5, 1, 1] },
    { scores: [3, 1, 2, 0, 0, 4], window: 3, highs: [0, 3, 3, 3, 2, 2] },
    { scores: [2, 2, 2], window: 1, highs: [0, 2, 2] },
  ])('the highest of the last $window scores before each of $scores', ({ scores, window, highs }) => {
    const state = onsetInit();
    expect(scores.map((score) => onsetStep(state, score, window))).toEqual(highs);
    expect(state.deque.length).toBeLessThanOrEqual(2 * (window + 1));
  });

  it('a level shift is an anomaly where it starts (and where the noise sets a new high), a higher one another', () => {
    let seed = 3;
    const noise = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648 - 0.5;
    };
    const values = [...Array.from({ length: 1200 }, () => 10 + noise()), ...Array.from({ length: 100 }, () => 30 + noise()), ...Array.from({ length: 50 }, () => 60 + noise())];
    const anomalies = (onset: number): number[] => {
      const rule = ruleSchema.parse({ name: 'r', db: 'd', measurement: 'm', fields: ['v'], algorithm: { type: 'bispot', q: 1e-3, calibration: 1000, onset } });
      const state = newSeriesState(rule);
      return values.flatMap((value, i) => (observe(state, rule, value)?.anomalous === true ? [i] : []));
    };
    expect(anomalies(0).filter((i) => i >= 1200).length).toBeGreaterThan(100);
    const onsets = anomalies(300).filter((i) => i >= 1200);
    expect(onsets.slice(0, 1)).toEqual([1200]);
    expect(onsets).toContain(1300);
    expect(onsets.length).toBeLessThan(15);
  });
});
