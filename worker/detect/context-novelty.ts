// Context novelty: how new the curve's recent shape is. Each point makes an aggregate of the last
// AGGREGATE points: of them, the value furthest from a running mean (so a spike survives, while most
// noise is halved). Aggregates are quantised into a few levels; the aggregates now, STRIDE points
// before, 2·STRIDE before… (1…ceil(maxContext / STRIDE) of them: contexts spanning up to maxContext
// points) are "contexts", and a point's novelty is the share of its contexts never seen before on this
// curve (they are learnt as they come); a new context that differs from a seen one by one level in one
// of its older aggregates counts only `nearSeen`. With a season (found by autocorrelation over the
// calibration points), a second view uses the pairs (aggregate level now, aggregate level one season
// ago), so a shape that is usual at another time of the cycle still counts as new. The raw novelty is
// made a rarity per curve, 1 − (earlier novelties at least as high + 1) / (novelties counted + 1), and
// is reported only when above every raw novelty of the last `rest` points: one report where an episode
// starts. After a point judged an anomaly (rarity ≥ `threshold`), the next `rest` points are not
// reported: one alarm per episode, even when its novelty keeps rising.
//
// Calibration: the first `calibration` points fix the value range [lo, hi] (levels over it, and up to
// EXTRA_LEVELS more of the same width either side) and the season, then are replayed to learn their
// contexts; the rarity counts the novelties from half-way through that replay on, and the rest period
// sees the whole replay (the first points after calibration are compared with its last ones).
//
// State: plain data (JSON), bounded: each context table holds at most `maxEntries` contexts (past that,
// those seen once are dropped and the counts halved), a season of aggregates (< calibration / 2), a
// histogram of 421 counts, the onset deque of the rest period, a countdown of quiet points, the last
// value and the running mean. A state saved by the earlier version (contexts of single levels, no
// `previous`) is not reused: the detector calibrates afresh from the next point.
import { onsetInit, onsetStep, type OnsetState } from './onset.js';

export interface ContextParams {
  readonly calibration: number;
  readonly levels: number;
  /** Longest context, in points: up to ceil(maxContext / STRIDE) aggregates, STRIDE points apart. */
  readonly maxContext: number;
  readonly seasonal: boolean;
  /** Points of the rest period; 0: calibration / 5. */
  readonly rest: number;
  /** Rarity at which a point is an anomaly; the `rest` points after one are not reported. */
  readonly threshold: number;
  readonly maxEntries: number;
  /** Weight (0…1) of a new context one level off a seen one in an older aggregate; default NEAR_SEEN. */
  readonly nearSeen?: number;
}

/** Levels of the range's width beyond each end of the calibration range (further out: clamped). */
const EXTRA_LEVELS = 6;
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
/** Points per aggregate (the newest and the one before). */
const AGGREGATE = 2;
/** Points between the aggregates of a context (one aggregate's span: they do not overlap). */
const STRIDE = AGGREGATE;
/** Weight of the newest aggregate mean in the running mean the aggregate's extreme is taken against. */
const MEAN_WEIGHT = 0.2;
/** Default weight of a new context one level off a seen one (in an aggregate other than the newest). */
const NEAR_SEEN = 0.5;

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
  /** The last season of aggregates (a ring). */
  ring: number[];
  ringAt: number;
  values: ContextTable;
  pairs: ContextTable;
  histogram: number[];
  counted: number;
  onset: OnsetState;
  /** Points still to be kept quiet after the last anomaly. */
  quiet: number;
  /** The last value (null before the first). */
  previous: number | null;
  /** Running mean of the aggregates' means (null before the first). */
  mean: number | null;
}

export interface ContextJudgement {
  /** The rarity of the point's novelty: 0 while calibrating or when it is not a new high of the rest period. */
  readonly rarity: number;
  /** The raw novelty (share of new contexts, near-seen ones weighted). */
  readonly novelty: number;
}

const newTable = (): ContextTable => ({ recent: [], seen: {}, entries: 0 });

export function contextInit(): ContextState {
  return {
    seen: 0,
    calibrating: [],
    lo: 0,
    hi: 1,
    season: 0,
    ring: [],
    ringAt: 0,
    values: newTable(),
    pairs: newTable(),
    histogram: new Array<number>(BUCKETS + 1).fill(0),
    counted: 0,
    onset: onsetInit(),
    quiet: 0,
    previous: null,
    mean: null,
  };
}

function levelOf(state: ContextState, levels: number, value: number): number {
  const width = state.hi - state.lo;
  const level = width > 0 ? Math.floor(((value - state.lo) / width) * levels) : value > state.hi ? levels : value < state.lo ? -1 : 0;
  return Math.max(-EXTRA_LEVELS, Math.min(levels - 1 + EXTRA_LEVELS, level)) + EXTRA_LEVELS;
}

/** The aggregate of the last AGGREGATE (= 2) points: the one further from the running mean of their means (the higher on a tie). */
function aggregateOf(state: ContextState, value: number): number {
  const previous = state.previous ?? value;
  state.previous = value;
  const mean = (previous + value) / 2;
  state.mean = state.mean === null ? mean : state.mean + MEAN_WEIGHT * (mean - state.mean);
  const high = Math.max(previous, value);
  const low = Math.min(previous, value);
  return Math.abs(high - state.mean) < Math.abs(low - state.mean) ? low : high;
}

/**
 * Share of the contexts (the newest symbol, then every `stride`-th before it: 1…length of them) never
 * seen before, those one step (±1) off a seen context in an older symbol counting `near` (0 until there
 * are `length`); learns them.
 */
function novelty(table: ContextTable, symbol: number, length: number, radix: number, maxEntries: number, stride: number, near: number): number {
  const recent = table.recent;
  recent.push(symbol);
  const span = (length - 1) * stride + 1;
  while (recent.length > span) recent.shift();
  const n = recent.length;
  let key = 0;
  let weight = 1;
  let unseen = 0;
  let found = 0;
  for (let k = 1; k <= length; k++) {
    const at = n - 1 - (k - 1) * stride;
    if (at < 0) break;
    found++;
    // Newest symbol first, digits 1…radix−1: contexts of different lengths never share a key.
    key += ((recent[at] as number) + 1) * weight;
    const count = table.seen[key];
    if (count === undefined) {
      let isNear = false;
      if (near < 1) {
        // The older symbols one step off (a digit of the same key range: symbols 0…radix−2).
        let place = 1;
        for (let i = 1; i < k && !isNear; i++) {
          place *= radix;
          const old = recent[n - 1 - i * stride] as number;
          isNear = (old + 1 < radix - 1 && table.seen[key + place] !== undefined) || (old > 0 && table.seen[key - place] !== undefined);
        }
      }
      unseen += isNear ? near : 1;
      table.seen[key] = 1;
      table.entries++;
    } else table.seen[key] = count + 1;
    weight *= radix;
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
  return found === length ? unseen / length : 0;
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
  const aggregate = aggregateOf(state, value);
  const level = levelOf(state, params.levels, aggregate);
  const length = Math.max(1, Math.ceil(params.maxContext / STRIDE));
  const near = Math.max(0, Math.min(1, params.nearSeen ?? NEAR_SEEN));
  let score = novelty(state.values, level, length, radix + 1, params.maxEntries, STRIDE, near);
  if (state.season > 0) {
    if (state.ring.length === state.season) {
      const ago = levelOf(state, params.levels, state.ring[state.ringAt] as number);
      score = Math.max(score, novelty(state.pairs, level * radix + ago, SEASON_CONTEXT, radix * radix + 1, params.maxEntries, 1, 1));
      state.ring[state.ringAt] = aggregate;
      state.ringAt = (state.ringAt + 1) % state.season;
    } else state.ring.push(aggregate);
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

/** A state saved by the earlier version (no `previous`: contexts of single levels, 4 extra levels) calibrates afresh. */
function upgrade(state: ContextState): void {
  if (state.previous === undefined) Object.assign(state, contextInit());
}

/** Judges `value`; null while the detector calibrates. */
export function contextStep(state: ContextState, params: ContextParams, value: number): ContextJudgement | null {
  const rest = restOf(params);
  upgrade(state);
  state.seen++;
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
