// Context novelty: the season is found by autocorrelation; a curve repeating its shape is not new, a
// shape never seen is (once, where it starts), and so is a value of the range out of place; a one-point
// spike survives the two-point aggregate; a context one level off a seen one counts `nearSeen`; the
// context tables stay within maxEntries; the state resumes from its JSON, and one of the earlier
// version calibrates afresh.
import { describe, expect, it } from 'vitest';
import { ruleSchema } from '../config/rule-schema.js';
import { contextInit, contextStep, seasonOf, type ContextParams } from '../worker/detect/context-novelty.js';
import { newSeriesState, observe } from '../worker/detection/series-detector.js';

const PARAMS: ContextParams = { calibration: 200, levels: 4, maxContext: 7, seasonal: true, rest: 0, threshold: 0.99, maxEntries: 2000 };

function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

/** A sawtooth of period 24 over [0, 1), with `noise` (× a uniform draw; with noise, a point above the calibration's highest is new). */
function sawtooth(points: number, noise = 0, seed = 1): number[] {
  const draw = lcg(seed);
  return Array.from({ length: points }, (_, i) => (i % 24) / 24 + noise * draw());
}

/** The indices whose judgement is an anomaly under `algorithm`, as a worker judges them. */
function anomalies(values: readonly number[], algorithm: Record<string, unknown>): number[] {
  const rule = ruleSchema.parse({ name: 'r', db: 'd', measurement: 'm', fields: ['v'], algorithm: { type: 'context', ...algorithm } });
  const state = newSeriesState(rule);
  return values.flatMap((value, i) => (observe(state, rule, value)?.anomalous === true ? [i] : []));
}

describe('context novelty', () => {
  it('finds the season by autocorrelation, and none in noise or a constant', () => {
    expect(seasonOf(sawtooth(200, 0.05))).toBe(24);
    const noise = lcg(5);
    expect(seasonOf(Array.from({ length: 200 }, noise))).toBe(0);
    expect(seasonOf(new Array<number>(200).fill(3))).toBe(0);
  });

  it('judges nothing while calibrating, then nothing on a curve that repeats its shape', () => {
    const state = contextInit();
    const judged = sawtooth(1000).map((value) => contextStep(state, PARAMS, value));
    expect(judged.slice(0, 200).every((j) => j === null)).toBe(true);
    expect(state.season).toBe(24);
    expect(judged.slice(200).every((j) => j !== null && j.novelty === 0 && j.rarity === 0)).toBe(true);
  });

  it('a shape never seen is an anomaly where it starts, once', () => {
    const values = sawtooth(1000);
    for (let i = 700; i < 720; i++) values[i] = 3; // far above the range, for 20 points
    expect(anomalies(values, { calibration: 200 })).toEqual([700]);
  });

  it('a value within the range but out of place is found, once', () => {
    const values = sawtooth(1000);
    values[710] = values[700] as number; // a low value where the sawtooth is high
    expect(anomalies(values, { calibration: 200 })).toEqual([710]);
  });

  it('reports one anomaly per episode within the rest period; with a short one, each new high', () => {
    const values = sawtooth(1000);
    values[700] = values[690] as number;
    values[705] = 5; // a second, larger jump of the same episode
    expect(anomalies(values, { calibration: 200 })).toEqual([700]);
    expect(anomalies(values, { calibration: 200, rest: 3 })).toEqual([700, 705, 724, 729]);
  });

  it('looks for the season in the last 2000 calibration points', () => {
    // 3000 points of period 50, then 2000 of period 24: the season is the newer one
    const values = Array.from({ length: 5000 }, (_, i) => (i < 3000 ? (i % 50) / 50 : (i % 24) / 24));
    const state = contextInit();
    values.forEach((value) => contextStep(state, { ...PARAMS, calibration: 5000 }, value));
    expect(state.season).toBe(24);
  });

  it('refuses a threshold it cannot reach (1) and calibrations or tables past their bounds', () => {
    const parse = (algorithm: Record<string, unknown>) => ruleSchema.safeParse({ name: 'r', db: 'd', measurement: 'm', fields: ['v'], algorithm: { type: 'context', ...algorithm } }).success;
    expect(parse({})).toBe(true);
    expect(parse({ threshold: 1 })).toBe(false);
    expect(parse({ calibration: 10_001 })).toBe(false);
    expect(parse({ calibration: 19 })).toBe(false);
    expect(parse({ maxEntries: 100_001 })).toBe(false);
  });

  it('a one-point spike in noise is found where it is: the two-point aggregate keeps the value further from the mean', () => {
    const draw = lcg(9);
    const values = Array.from({ length: 1000 }, () => draw());
    values[700] = 1.5;
    expect(anomalies(values, { calibration: 200 })).toEqual([700]);
  });

  it('a new context one level off a seen one counts nearSeen; a level never seen in the newest aggregate counts fully', () => {
    const draw = lcg(3);
    const values = sawtooth(800).map((v) => v + 0.05 * draw());
    values[500] = 1.6;
    const novelties = (nearSeen: number): number[] => {
      const state = contextInit();
      return values.flatMap((value) => {
        const judged = contextStep(state, { ...PARAMS, nearSeen }, value);
        return judged === null ? [] : [judged.novelty];
      });
    };
    const half = novelties(0.5);
    const full = novelties(1);
    expect(half).toHaveLength(600);
    expect(half.every((novelty, i) => novelty <= (full[i] as number))).toBe(true);
    expect(half.reduce((a, b) => a + b, 0)).toBeLessThan(full.reduce((a, b) => a + b, 0) - 0.5);
    expect([half[300], full[300]]).toEqual([1, 1]);
  });

  it('a state saved by the earlier version (no last value) calibrates afresh', () => {
    const old = { ...contextInit(), seen: 5000 } as Partial<ReturnType<typeof contextInit>>;
    delete old.previous;
    const state = old as ReturnType<typeof contextInit>;
    for (let i = 0; i < PARAMS.calibration - 1; i++) expect(contextStep(state, PARAMS, i % 24)).toBeNull();
    expect(state.seen).toBe(PARAMS.calibration - 1);
    expect(contextStep(state, PARAMS, 0)).toBeNull(); // the last calibration point
    expect(contextStep(state, PARAMS, 1)).not.toBeNull();
  });

  it('keeps each context table within maxEntries', () => {
    const state = contextInit();
    const noise = lcg(9);
    const params = { ...PARAMS, levels: 16, maxEntries: 300 };
    for (let i = 0; i < 5000; i++) {
      contextStep(state, params, noise());
      expect(Object.keys(state.values.seen).length).toBeLessThanOrEqual(300);
      expect(state.values.entries).toBe(Object.keys(state.values.seen).length);
    }
  });

  it('resumes from its JSON exactly as it would have gone on', () => {
    const values = sawtooth(900, 0.01, 4);
    values[600] = -2;
    values[800] = 2;
    const straight = contextInit();
    const expected = values.map((value) => contextStep(straight, PARAMS, value));
    let state = contextInit();
    const resumed = values.map((value, i) => {
      if (i % 97 === 0) state = JSON.parse(JSON.stringify(state)) as typeof state;
      return contextStep(state, PARAMS, value);
    });
    expect(resumed).toEqual(expected);
    expect(expected.filter((j) => j !== null && j.rarity > 0.99).length).toBeGreaterThan(0);
  });
});
