// Metis value and rate detection on the 150 labelled Metis windows (../shared/data/metis), and the
// pieces they are made of; the robust baseline; the generalised ESD test on NIST's Rosner example;
// seasonal ESD on a daily curve with injected outliers.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMetisWindows } from '../eval/datasets.js';
import { projectRoot } from '../proxy/version.js';
import { ewmaChart } from '../worker/detect/ewma.js';
import { generalizedEsd } from '../worker/detect/generalized-esd.js';
import { DEFAULT_METIS, metisValue } from '../worker/detect/metis-value.js';
import { metisRate } from '../worker/detect/metis-rate.js';
import { polynomialAt, polynomialFit } from '../worker/detect/polynomial-fit.js';
import { median, robustBaseline } from '../worker/detect/robust-baseline.js';
import { seasonalEsd, seasonalEsdNewest } from '../worker/detect/seasonal-esd.js';
import { studentTQuantile } from '../worker/detect/student-t.js';
import { threeSigma } from '../worker/detect/three-sigma.js';

const windows = readMetisWindows(join(projectRoot(), '..', 'shared', 'data', 'metis', 'metis_train_windows.csv'));

function f1(decisions: readonly boolean[], labels: readonly boolean[]): { precision: number; recall: number; f1: number } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  decisions.forEach((flagged, i) => {
    if (flagged && labels[i]) tp++;
    else if (flagged) fp++;
    else if (labels[i]) fn++;
  });
  const precision = tp / (tp + fp);
  const recall = tp / (tp + fn);
  return { precision, recall, f1: (2 * precision * recall) / (precision + recall) };
}

/** Deterministic noise in [-0.5, 0.5) (an LCG). */
function lcgNoise(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
}

describe('Metis value detection on the Metis windows', () => {
  it('reads 150 windows, 75 anomalous, of 361/361/181 points', () => {
    expect(windows).toHaveLength(150);
    expect(windows.filter((w) => w.anomalous)).toHaveLength(75);
    for (const w of windows) expect([w.c.length, w.b.length, w.a.length]).toEqual([361, 361, 181]);
  });

  it('F1 ≥ 0.9: two filters of three agreeing (the default) decide, and any one filter alone (Metis\' first layer) too', () => {
    const labels = windows.map((w) => w.anomalous);
    const byDefault = f1(windows.map((w) => metisValue(w.c, w.b, w.a).anomalous), labels);
    const anyFilter = f1(windows.map((w) => metisValue(w.c, w.b, w.a, { ...DEFAULT_METIS, votes: 1 }).anomalous), labels);
    console.log('Metis windows:', JSON.stringify({ byDefault, anyFilter }));
    expect(byDefault.f1).toBeGreaterThanOrEqual(0.9);
    expect(anyFilter.f1).toBeGreaterThanOrEqual(0.9);
    expect(anyFilter.recall).toBe(1);
  });

  it('scores an anomaly above 1 and says what the polynomial expected', () => {
    const anomalous = windows.find((w) => w.anomalous) as (typeof windows)[number];
    const judged = metisValue(anomalous.c, anomalous.b, anomalous.a);
    expect(judged.anomalous).toBe(true);
    expect(judged.score).toBeGreaterThan(1);
    expect(judged.fired).toContain('polynomial');
    const last = anomalous.a[anomalous.a.length - 1] as number;
    expect(Math.abs(judged.expected - last)).toBeGreaterThan(0.15 * (anomalous.a.reduce((s, v) => s + v, 0) / anomalous.a.length));
  });

  it('refuses windows of the wrong sizes', () => {
    expect(() => metisValue([1, 2], [1, 2], [1])).toThrow(/A needs 181 points/);
  });

  it('rate detection (3-sigma over the three windows) flags the anomalous windows', () => {
    const labels = windows.map((w) => w.anomalous);
    expect(f1(windows.map((w) => metisRate(w.c, w.b, w.a).anomalous), labels).f1).toBeGreaterThanOrEqual(0.9);
  });
});

describe('the filters', () => {
  it('3-sigma judges the last value against the others (population std)', () => {
    // mean 2, std 1 (population) of [1, 3, 1, 3]
    expect(threeSigma([1, 3, 1, 3, 5])).toEqual({ anomalous: false, score: 3, mean: 2, std: 1 });
    expect(threeSigma([1, 3, 1, 3, 5.01]).anomalous).toBe(true);
    expect(threeSigma([2, 2, 2, 2]).score).toBe(0);
    expect(threeSigma([2, 2, 2, 3]).score).toBe(Infinity);
  });

  it('the EWMA chart fires on a level jump at the end, not on noise', () => {
    const steady = Array.from({ length: 300 }, (_, i) => 100 + Math.sin(i));
    expect(ewmaChart(steady).anomalous).toBe(false);
    expect(ewmaChart([...steady, 160, 170, 180]).anomalous).toBe(true);
  });

  it('the polynomial fit recovers a quartic over hundreds of points', () => {
    const xs = Array.from({ length: 903 }, (_, i) => i % 361);
    const quartic = (x: number): number => 3 - 0.5 * x + 0.01 * x * x - 2e-5 * x ** 3 + 1e-8 * x ** 4;
    const coefficients = polynomialFit(xs, xs.map(quartic), 4, 360);
    for (const x of [0, 90, 180, 360]) expect(polynomialAt(coefficients, x, 360)).toBeCloseTo(quartic(x), 6);
  });
});

describe('robust baseline and ESD', () => {
  it('median/MAD: an outlier in the window does not widen the band', () => {
    const window = [10, 11, 9, 10, 12, 8, 10, 1000];
    expect(median(window)).toBe(10);
    const judged = robustBaseline(window, 16);
    expect(judged.median).toBe(10);
    expect(judged.spread).toBeCloseTo(1.4826, 4);
    expect(judged.anomalous).toBe(true);
    expect(robustBaseline(window, 13).anomalous).toBe(false);
  });

  it("Student's t quantiles", () => {
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228139, 5);
    expect(studentTQuantile(0.995, 5)).toBeCloseTo(4.032143, 5);
    expect(studentTQuantile(0.025, 3)).toBeCloseTo(-3.182446, 5);
  });

  it("generalised ESD finds NIST's three outliers in Rosner's data (up to 10, α = 0.05)", () => {
    const rosner = '-0.25 0.68 0.94 1.15 1.20 1.26 1.26 1.34 1.38 1.43 1.49 1.49 1.55 1.56 1.58 1.65 1.69 1.70 1.76 1.77 1.81 1.91 1.94 1.96 1.99 2.06 2.09 2.10 2.14 2.15 2.23 2.24 2.26 2.35 2.37 2.40 2.47 2.54 2.62 2.64 2.90 2.92 2.92 2.93 3.21 3.26 3.30 3.59 3.68 4.30 4.64 5.34 5.42 6.01'
      .split(' ')
      .map(Number);
    expect(generalizedEsd(rosner, { alpha: 0.05, maxShare: 10 / 54, robust: false }).map((i) => rosner[i])).toEqual([6.01, 5.42, 5.34]);
  });

  it('seasonal ESD finds outliers hidden inside a daily cycle, and nothing in a clean one', () => {
    const period = 288;
    const noise = lcgNoise(7);
    const day = (i: number): number => 100 + 50 * Math.sin((2 * Math.PI * (i % period)) / period) + 2 * noise();
    const clean = Array.from({ length: 7 * period }, (_, i) => day(i));
    expect(seasonalEsd(clean, { period, alpha: 0.05, maxShare: 0.02, robust: true })).toEqual([]);
    // +20 at the trough is well inside the day's range (50…150): plain 3-sigma cannot see it
    const injected = [500, 1300, 1800];
    const curve = clean.map((v, i) => (injected.includes(i) ? v + 20 : v));
    expect(threeSigma(curve.slice(0, 501)).anomalous).toBe(false);
    expect(seasonalEsd(curve, { period, alpha: 0.05, maxShare: 0.02, robust: true })).toEqual(injected);
  });

  it('seasonal ESD as the workers stream it: the newest point against the same phase of the past periods', () => {
    const period = 288;
    const noise = lcgNoise(11);
    const curve = Array.from({ length: 8 * period }, (_, i) => 100 + 50 * Math.sin((2 * Math.PI * (i % period)) / period) + 2 * noise());
    const window = 60;
    // judge every point of the last day: the windows are the last 60 points and the same 60 points 1…7 periods back
    const judge = (values: readonly number[], at: number): ReturnType<typeof seasonalEsdNewest> => {
      const today = values.slice(at - window + 1, at + 1);
      const past = Array.from({ length: 7 }, (_, k) => values.slice(at - (k + 1) * period - window + 1, at - (k + 1) * period + 1));
      return seasonalEsdNewest(today, past, { alpha: 0.05, maxShare: 0.02, robust: true });
    };
    const lastDay = Array.from({ length: period }, (_, i) => 7 * period + i);
    expect(lastDay.filter((at) => judge(curve, at).anomalous)).toEqual([]);
    // +20 at a trough, inside the day's range: found when it is the newest point, with its limit crossed
    const trough = 7 * period + Math.round(0.75 * period);
    const spiked = curve.map((v, i) => (i === trough ? v + 20 : v));
    expect(lastDay.filter((at) => judge(spiked, at).anomalous)).toEqual([trough]);
    const judged = judge(spiked, trough);
    expect(judged.score).toBeGreaterThan(1);
    expect(spiked[trough]).toBeGreaterThan(judged.limit);
    expect(Math.abs(judged.expected - (curve[trough] as number))).toBeLessThan(3);
  });
});
