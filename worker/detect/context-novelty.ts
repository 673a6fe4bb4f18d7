// Context novelty: how new the curve's recent shape is. Values are quantised into a few levels; the
// last 1…maxContext levels are "contexts", and a point's novelty is the share of its contexts never
// seen before on this curve (they are learnt as they come). With a season (found by autocorrelation
// over the calibration points), a second view uses the pairs (level now, level one season ago), so a
// shape that is usual at another time of the cycle still counts as new. The raw novelty is made a
// rarity per curve, 1 − (earlier novelties at least as high + 1) / (novelties counted + 1), and is
// reported only when above every raw novelty of the last `rest` points: one report where an episode
// starts. After a point judged an anomaly (rarity ≥ `threshold`), the next `rest` points are not
// reported: one alarm per episode, even when its novelty keeps rising.
//
// Calibration: the first `calibration` points fix the value range [lo, hi] (levels over it, and up to
// EXTRA_LEVELS more of the same width either side) and the season, then are replayed to learn their
// contexts; the rarity counts the novelties from half-way through that replay on, and the rest period
// sees the whole replay (the first points after calibration are compared with its last ones).
//
// State: plain data (JSON), bounded: each context table holds at most `maxEntries` contexts (past that,
// those seen once are dropped and the counts halved), a season of values (< calibration / 2), a
// histogram of 421 counts, the onset deque of the rest period and a countdown of quiet points.
import { onsetInit, onsetStep, type OnsetState } from './onset.js';

export interface ContextParams {
  readonly calibration: number;
  readonly levels: number;
  readonly maxContext: number;
  readonly seasonal: boolean;
  /** Points of the rest period; 0: calibration / 5. */
  readonly rest: number;
  /** Rarity at which a point is an anomaly; the `rest` points after one are not reported. */
  readonly threshold: number;
  readonly maxEntries: number;
}

/** Levels of the range's width beyond each end of the calibration range (further out: clamped). */
const EXTRA_LEVELS = 4;
/** Contexts of the seasonal view: the last 1…3 (level, level a season ago) pairs. */
const SEASON_CONTEXT = 3;
/** A season is used only when its autocorrelation reaches this. */
const MIN_AUTOCORRELATION = 0.3;
/** The rarity counts the novelties of the calibration replay from this share of it on. */
const RARITY_FROM = 0.5;
/** Buckets of the rarity histogram over [0, 1]: a multiple of 1…7, so shares of up to 7 contexts land exactly (of 8, rounded). */
const BUCKETS = 420;
/** Calibration points the season is looked for in, at most (the newest). */
const SEASON_POINTS = 2000;

interface ContextTable {
  recent: number[];
  seen: Record<number, number>;
  entries: number;
}

export interface ContextState {
  seen: number;
  /** The calibration points, until the detector is calibrated. */
  calibrating: number[];
  lo: number;
  hi: number;
  /** Points per season; 0: none. */
  season: number;
  /** The last season of values (a ring). */
  ring: number[];
  ringAt: number;
  values: ContextTable;
  pairs: ContextTable;
  histogram: number[];
  counted: number;
  onset: OnsetState;
  /** Points still to be kept quiet after the last anomaly. */
  quiet: number;
}

export interface ContextJudgement {
  /** The rarity of the point's novelty: 0 while calibrating or when it is not a new high of the rest period. */
  readonly rarity: number;
  /** The raw novelty (share of new contexts). */
  readonly novelty: number;
}

const newTable = (): ContextTable => ({ recent: [], seen: {}, entries: 0 });

export function contextInit(): ContextState {
  return { seen: 0, calibrating: [], lo: 0, hi: 1, season: 0, ring: [], ringAt: 0, values: newTable(), pairs: newTable(), histogram: new Array<number>(BUCKETS + 1).fill(0), counted: 0, onset: onsetInit(), quiet: 0 };
}

function levelOf(state: ContextState, levels: number, value: number): number {
  const width = state.hi - state.lo;
  const level = width > 0 ? Math.floor(((value - state.lo) / width) * levels) : value > state.hi ? levels : value < state.lo ? -1 : 0;
  return Math.max(-EXTRA_LEVELS, Math.min(levels - 1 + EXTRA_LEVELS, level)) + EXTRA_LEVELS;
}

/** Share of the contexts (the last 1…length symbols) never seen before (0 until there are `length`); learns them. */
function novelty(table: ContextTable, symbol: number, length: number, radix: number, maxEntries: number): number {
  const recent = table.recent;
  recent.push(symbol);
  if (recent.length > length) recent.shift();
  const n = recent.length;
  let key = 0;
  let weight = 1;
  let unseen = 0;
  for (let k = 1; k <= n; k++) {
    // Newest symbol first, digits 1…radix−1: contexts of different lengths never share a key.
    key += ((recent[n - k] as number) + 1) * weight;
    weight *= radix;
    const count = table.seen[key];
    if (count === undefined) {
      unseen++;
      table.seen[key] = 1;
      table.entries++;
    } else table.seen[key] = count + 1;
  }
  if (table.entries > maxEntries) {
    const kept: Record<number, number> = {};
    table.entries = 0;
    for (const [key, count] of Object.entries(table.seen)) {
      if (count > 1) {
        kept[Number(key)] = count >> 1;
        table.entries++;
      }
    }
    table.seen = kept;
  }
  return n === length ? unseen / n : 0;
}

/** The lag (≥ 4) of the highest local maximum of the autocorrelation reaching MIN_AUTOCORRELATION; 0: none. */
export function seasonOf(values: readonly number[]): number {
  const n = values.length;
  const mean = values.reduce((sum, x) => sum + x, 0) / n;
  let variance = 0;
  for (const x of values) variance += (x - mean) ** 2;
  if (!(variance > 0)) return 0;
  const acf: number[] = [];
  for (let lag = 0; lag <= Math.floor(n / 2); lag++) {
    let sum = 0;
    for (let i = lag; i < n; i++) sum += ((values[i] as number) - mean) * ((values[i - lag] as number) - mean);
    acf.push(sum / variance);
  }
  let best = 0;
  let bestAcf = MIN_AUTOCORRELATION;
  for (let lag = 4; lag < acf.length - 1; lag++) {
    const here = acf[lag] as number;
    if (here > (acf[lag - 1] as number) && here >= (acf[lag + 1] as number) && here > bestAcf) {
      best = lag;
      bestAcf = here;
    }
  }
  return best;
}

function rawNovelty(state: ContextState, params: ContextParams, value: number): number {
  const radix = params.levels + 2 * EXTRA_LEVELS;
  const level = levelOf(state, params.levels, value);
  let score = novelty(state.values, level, params.maxContext, radix + 1, params.maxEntries);
  if (state.season > 0) {
    if (state.ring.length === state.season) {
      const ago = levelOf(state, params.levels, state.ring[state.ringAt] as number);
      score = Math.max(score, novelty(state.pairs, level * radix + ago, SEASON_CONTEXT, radix * radix + 1, params.maxEntries));
      state.ring[state.ringAt] = value;
      state.ringAt = (state.ringAt + 1) % state.season;
    } else state.ring.push(value);
  }
  return score;
}

/** Counts a novelty into the histogram; returns how many earlier ones were at least as high. */
function countNovelty(state: ContextState, novelty: number): number {
  const bucket = Math.round(novelty * BUCKETS);
  const histogram = state.histogram;
  let atLeast = 0;
  for (let i = bucket; i <= BUCKETS; i++) atLeast += histogram[i] as number;
  histogram[bucket] = (histogram[bucket] as number) + 1;
  state.counted++;
  return atLeast;
}

const restOf = (params: ContextParams): number => (params.rest > 0 ? params.rest : Math.max(1, Math.floor(params.calibration / 5)));

/** Judges `value`; null while the detector calibrates. */
export function contextStep(state: ContextState, params: ContextParams, value: number): ContextJudgement | null {
  state.seen++;
  const rest = restOf(params);
  if (state.seen <= params.calibration) {
    state.calibrating.push(value);
    if (state.seen < params.calibration) return null;
    const points = state.calibrating;
    state.lo = points.reduce((low, x) => Math.min(low, x), Infinity);
    state.hi = points.reduce((high, x) => Math.max(high, x), -Infinity);
    // The season from the last SEASON_POINTS points at most: the autocorrelation costs their square.
    state.season = params.seasonal ? seasonOf(points.length > SEASON_POINTS ? points.slice(-SEASON_POINTS) : points) : 0;
    points.forEach((point, i) => {
      const raw = rawNovelty(state, params, point);
      if (i >= RARITY_FROM * params.calibration) countNovelty(state, raw);
      onsetStep(state.onset, raw, rest);
    });
    state.calibrating = [];
    return null;
  }
  const raw = rawNovelty(state, params, value);
  const atLeast = countNovelty(state, raw);
  const previousHigh = onsetStep(state.onset, raw, rest);
  let rarity = raw > previousHigh ? 1 - (atLeast + 1) / (state.counted + 1) : 0;
  if (state.quiet > 0) {
    state.quiet--;
    rarity = 0;
  } else if (rarity >= params.threshold) state.quiet = rest;
  return { rarity, novelty: raw };
}
