// SPOT and its family against the reference data in ../shared/data/spot-examples: the GPD fits of
// libspot's test vectors within libspot's tolerances; SPOT on rain.dat exactly as the corrected
// reference (same 8 alarms, thresholds along the way, final threshold within 1e-9 relative); SPOT on
// MAWI's rSYN and DSPOT on physics.dat close to it; biSPOT/biDSPOT catching both tails; the peaks kept
// bounded.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../proxy/version.js';
import { biDspotInit, biDspotStep, biDspotThresholds } from '../worker/detect/bi-dspot.js';
import { biSpotInit, biSpotStep, biSpotThresholds } from '../worker/detect/bi-spot.js';
import { dspotInit, dspotMean, dspotStep } from '../worker/detect/dspot.js';
import { fitGpd, gpdLogLikelihood } from '../worker/detect/gpd-fit.js';
import { ALARM, PEAK, spotInit, spotStep } from '../worker/detect/spot.js';

const DATA = join(projectRoot(), '..', 'shared', 'data', 'spot-examples');
const read = (file: string): string => readFileSync(join(DATA, file), 'utf8');
const numbers = (file: string): number[] => read(file).trim().split(',').map(Number);

interface FitCase {
  name: string;
  gamma: number;
  sigma: number;
  llhood: number;
  excesses: number[];
}

interface Reference {
  init: { t: number; Nt: number; n: number; gamma: number; sigma: number; z: number };
  n_alarms: number;
  alarms?: number[];
  first_alarms?: number[];
  threshold_at: Record<string, number>;
  threshold_last: number;
  final_n: number;
  final_Nt: number;
}

const reference = JSON.parse(read('spot_corrected_vectors.json')) as Record<string, Reference>;

/** A column of a MAWI file, empty and non-numeric values skipped. */
function mawiColumn(file: string, column: string): number[] {
  const [header, ...rows] = read(file).trim().split('\n');
  const at = (header as string).split(',').indexOf(column);
  return rows.map((row) => row.split(',')[at] ?? '').filter((cell) => cell !== '').map(Number).filter((value) => !Number.isNaN(value));
}

const close = (actual: number, expected: number, relative: number): void => {
  expect(Math.abs(actual - expected) / Math.abs(expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(relative);
};

describe('GPD fit', () => {
  const cases = (JSON.parse(read('gpd_fit_test_vectors.json')) as { cases: FitCase[] }).cases;
  for (const c of cases) {
    it(`${c.name}: within libspot's tolerances of the maximum-likelihood fit (γ 30%, σ 10%, log-likelihood 5%)`, () => {
      const fit = fitGpd(c.excesses);
      expect(Math.abs(fit.gamma - c.gamma)).toBeLessThanOrEqual(0.3 * Math.abs(c.gamma));
      expect(Math.abs(fit.sigma - c.sigma)).toBeLessThanOrEqual(0.1 * c.sigma);
      expect(Math.abs((fit.llhood - c.llhood) / c.llhood)).toBeLessThan(0.05);
      // the likelihood it reports is the likelihood of what it returns
      close(gpdLogLikelihood(c.excesses, c.excesses.length, fit.gamma, fit.sigma), fit.llhood, 1e-9);
    });
  }

  it('heavy tails are not collapsed to γ = 0 (the reference spot.py does that)', () => {
    const pareto = cases.find((c) => c.name === 'pareto') as FitCase;
    expect(fitGpd(pareto.excesses).gamma).toBeGreaterThan(0.3);
  });
});

describe('SPOT on rain.dat (q = 1e-4, n_init = 1000)', () => {
  const rain = numbers('rain.dat');
  const ref = reference.rain_SPOT as Reference;

  it('calibrates, streams and alarms exactly as the corrected reference', () => {
    const state = spotInit(rain.slice(0, 1000), { q: 1e-4, level: 0.98, maxPeaks: 500 });
    expect({ t: state.t, Nt: state.nt, n: state.n }).toEqual({ t: ref.init.t, Nt: ref.init.Nt, n: ref.init.n });
    close(state.gamma, ref.init.gamma, 1e-9);
    close(state.sigma, ref.init.sigma, 1e-9);
    close(state.z, ref.init.z, 1e-9);
    const alarms: number[] = [];
    const stream = rain.slice(1000);
    for (const [i, x] of stream.entries()) {
      if (spotStep(state, x) === ALARM) alarms.push(i);
      const expected = ref.threshold_at[String(i)];
      if (expected !== undefined) close(state.z, expected, 1e-9);
    }
    expect(alarms).toEqual(ref.alarms);
    close(state.z, ref.threshold_last, 1e-9);
    expect({ n: state.n, nt: state.nt }).toEqual({ n: ref.final_n, nt: ref.final_Nt });
  });
});

describe('SPOT on MAWI rSYN (q = 1e-4)', () => {
  it('agrees with the reference: the same number of alarms, the same first ones, the same final threshold', () => {
    const ref = reference.mawi_rSYN_SPOT as Reference;
    const calibration = mawiColumn('mawi_170812_50_50.csv', 'rSYN');
    const stream = mawiColumn('mawi_180812_50_50.csv', 'rSYN');
    const state = spotInit(calibration.slice(calibration.length - 1000), { q: 1e-4, level: 0.98, maxPeaks: 500 });
    close(state.z, ref.init.z, 1e-9);
    const alarms: number[] = [];
    for (const [i, x] of stream.entries()) if (spotStep(state, x) === ALARM) alarms.push(i);
    expect(Math.abs(alarms.length - ref.n_alarms)).toBeLessThanOrEqual(3);
    // (the reference numbers the stream differently after its first skipped row: compare the run before it)
    expect(alarms.slice(0, 16)).toEqual(ref.first_alarms?.slice(0, 16));
    close(state.z, ref.threshold_last, 1e-6);
  });
});

describe('DSPOT on physics.dat (q = 1e-3, depth 450, n_init = 2000)', () => {
  it('smoke test: calibration as the reference, alarms in the same regions, threshold in range', () => {
    const ref = reference.physics_DSPOT as Reference;
    const physics = numbers('physics.dat');
    const state = dspotInit(physics.slice(0, 2000), { q: 1e-3, level: 0.98, depth: 450, maxPeaks: 1000 });
    expect({ t: state.spot.t, Nt: state.spot.nt, n: state.spot.n }).toEqual({ t: ref.init.t, Nt: ref.init.Nt, n: ref.init.n });
    close(state.spot.z, ref.init.z, 1e-6);
    const alarms: number[] = [];
    for (const [i, x] of physics.slice(2000).entries()) if (dspotStep(state, x) === ALARM) alarms.push(i);
    expect(Math.abs(alarms.length - ref.n_alarms)).toBeLessThanOrEqual(ref.n_alarms * 0.1);
    expect(alarms.slice(0, 20)).toEqual(ref.first_alarms);
    close(state.spot.z + dspotMean(state), ref.threshold_last, 0.05);
  });
});

describe('both tails and bounded peaks', () => {
  /** A deterministic noisy curve (a linear congruential generator) with a daily-like wave, drifting up by 0.01 a point from `driftFrom`. */
  function curve(length: number, driftFrom: number): number[] {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    return Array.from({ length }, (_, i) => Math.max(0, (i - driftFrom) * 0.01) + 10 * Math.sin(i / 30) + (random() + random() + random() - 1.5) * 2);
  }

  it('biSPOT alarms on a spike up and on a drop, on the right side', () => {
    const values = curve(3000, 3000);
    const state = biSpotInit(values.slice(0, 2000), { q: 1e-3, level: 0.98, maxPeaks: 200 });
    const [lower, upper] = biSpotThresholds(state);
    expect(lower).toBeLessThan(-10);
    expect(upper).toBeGreaterThan(10);
    expect(biSpotStep(state, upper + 20)).toEqual({ outcome: ALARM, side: 1 });
    expect(biSpotStep(state, lower - 20)).toEqual({ outcome: ALARM, side: -1 });
    expect(biSpotStep(state, 0).outcome).not.toBe(ALARM);
  });

  it('biDSPOT follows a drift of the level and still catches spikes both ways', () => {
    const values = curve(4000, 2500);
    const state = biDspotInit(values.slice(0, 2000), { q: 1e-3, level: 0.98, depth: 20, maxPeaks: 200 });
    let alarms = 0;
    for (const x of values.slice(2000)) if (biDspotStep(state, x).outcome === ALARM) alarms++;
    // the drift correction absorbs the drift: a few alarms at most, not hundreds
    expect(alarms).toBeLessThan(20);
    const [lower, upper] = biDspotThresholds(state);
    // the level rose by 15: both thresholds moved up with it
    expect(lower).toBeGreaterThan(5);
    expect(upper).toBeLessThan(40);
    expect(biDspotStep(state, upper + 30)).toEqual({ outcome: ALARM, side: 1 });
    expect(biDspotStep(state, lower - 30)).toEqual({ outcome: ALARM, side: -1 });
  });

  it('keeps at most maxPeaks peaks (the newest) while N_t counts them all', () => {
    const rain = numbers('rain.dat');
    const state = spotInit(rain.slice(0, 1000), { q: 1e-4, level: 0.98, maxPeaks: 50 });
    let peaks = state.nt;
    for (const x of rain.slice(1000)) if (spotStep(state, x) === PEAK) peaks++;
    expect(state.peaks).toHaveLength(50);
    expect(state.nt).toBe(peaks);
    expect(state.nt).toBeGreaterThan(200);
    // the state is plain data: it survives a JSON round trip and streams on identically
    const copy = JSON.parse(JSON.stringify(state)) as typeof state;
    for (const x of [1e-4, 2e-4, 1e-3]) expect(spotStep(copy, x)).toBe(spotStep(state, x));
    expect(copy).toEqual(state);
  });
});
