// The NAB score as NAB's sweeper computes it, on small made-up files: detecting every window at its
// start scores 100 and detecting nothing 0; a late detection is worth less than an early one; a false
// positive costs fpWeight (more before any window than after one); the probationary rows do not count.
import { describe, expect, it } from 'vitest';
import { nabSweep, probationLength, scaledSigmoid } from '../eval/nab-score.js';

const STANDARD = { tpWeight: 1, fnWeight: 1, fpWeight: 0.11 };

/** Scores of a 1000-row file: 1 at the given rows, 0 elsewhere. */
function flags(rows: readonly number[], length = 1000): number[] {
  return Array.from({ length }, (_, i) => (rows.includes(i) ? 1 : 0));
}

describe('NAB score', () => {
  const windows: [number, number][] = [
    [300, 399],
    [600, 699],
  ];

  it('a NaN score is refused, naming the row (it would stop the sweep)', () => {
    const scores = flags([300]);
    scores[500] = NaN;
    expect(() => nabSweep([{ scores, windows }], STANDARD)).toThrow(/file 0, row 500: the anomaly score is NaN/);
  });

  it('probation: 15% of the rows, at most 750', () => {
    expect(probationLength(1000)).toBe(150);
    expect(probationLength(10_000)).toBe(750);
  });

  it('detecting each window at its first row scores 100; nothing scores 0', () => {
    expect(nabSweep([{ scores: flags([300, 600]), windows }], STANDARD).score).toBeCloseTo(100, 6);
    expect(nabSweep([{ scores: flags([]), windows }], STANDARD)).toMatchObject({ score: 0 });
  });

  it('a detection late in its window is worth less; one at its last row is worth ~nothing', () => {
    const early = nabSweep([{ scores: flags([300]), windows: [[300, 399]] }], STANDARD).raw;
    const middle = nabSweep([{ scores: flags([350]), windows: [[300, 399]] }], STANDARD).raw;
    expect(early).toBeCloseTo(scaledSigmoid(-1), 9);
    expect(middle).toBeCloseTo(scaledSigmoid(-50 / 100), 9);
    expect(middle).toBeLessThan(early);
    const last = nabSweep([{ scores: flags([399]), windows: [[300, 399]] }], STANDARD).raw;
    expect(last).toBeCloseTo(scaledSigmoid(-1 / 100), 9);
  });

  it('false positives cost fpWeight: fully before any window, less and less after one', () => {
    // a window found at its start, plus a false positive far after it: the best threshold keeps both
    const withFp = nabSweep([{ scores: flags([300, 900]), windows: [[300, 399]] }], STANDARD);
    expect(withFp.raw).toBeCloseTo(scaledSigmoid(-1) + 0.11 * scaledSigmoid((900 - 399) / 99), 9);
    // a false positive before every window, scored higher than the true detection: taking it costs 0.11
    const before = nabSweep([{ scores: flags([200]).map((v, i) => (i === 300 ? 0.5 : v)), windows: [[300, 399]] }], STANDARD);
    expect(before.raw).toBeCloseTo(scaledSigmoid(-1) - 0.11, 9);
  });

  it('detections in the probationary rows are not counted', () => {
    expect(nabSweep([{ scores: flags([100]), windows: [[100, 199]] }], STANDARD).score).toBe(0);
  });
});
