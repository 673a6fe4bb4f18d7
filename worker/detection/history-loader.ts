// Loads past points from the cluster, through the proxy's /query — the windows the history plans need,
// and the last points a streaming rule's curves start from — with one bulk query per rule (a
// measurement) and window — `SELECT <fields> FROM <measurement> WHERE <the rule's
// tag equalities> AND <the window's time range> GROUP BY *`, chunked — never one per series. What
// was loaded is known per shard: a query serves the shards that need the same windows, and its
// answer's series whose curves belong to them get the points. The windows days back are loaded
// `detection.historyPrefetch` buckets ahead, so a curve moving forward in time needs a query per
// window only every so many buckets; today's window is loaded once (the bootstrap), then the points
// the worker judges keep it. A shard taken over with the windows its last owner saved (`restore`)
// needs no query. A streaming rule's curves that have no state (a new rule, or state
// lost) start from their last `calibration` (or `window`) points: one query per rule, LIMIT per series.
import type { Logger } from 'pino';
import { parseTagFilter, tagMatcher } from '../../config/rule-filter.js';
import { algorithmKey, type Rule } from '../../config/rule-schema.js';
import { seriesKey, shardOf } from '../../proxy/detection/series-key.js';
import { answerChunks, chunkSeries, type AnswerChunk, type AnswerSeries } from '../../proxy/chunked-answer.js';
import { quoteIdent, quoteLiteral } from '../../proxy/influxql-tokens.js';
import { CurveHistory, type BucketRing } from './curve-history.js';
import { historyPlan, recentPoints, type HistoryPlan } from './history-plan.js';

export interface HistoryLoaderOptions {
  readonly proxyUrl: string;
  /** Headers of every query (the proxy's credentials). */
  readonly headers: Readonly<Record<string, string>>;
  readonly shards: number;
  /** Buckets loaded ahead of need in the windows days back. */
  readonly prefetch: number;
  /** Time limit of one query. */
  readonly timeout: number;
  /** Whether this worker owns `shard` (the curves of other shards are not kept). */
  readonly owns: (shard: number) => boolean;
  /** A streaming rule's curve of `shard` with its last points, oldest first; `since`: just after the newest (ms). */
  readonly feed: (shard: number, rule: Rule, key: string, values: readonly number[], since: number) => void;
}

/** What one shard's curves of a rule have loaded (saved with its windows as JSON). */
export interface ShardLoaded {
  today: boolean;
  /** Taken back from a save: today's newest bucket, checked against the first point that asks (then gone). */
  todayNewest?: number;
  /** Per window of the plan: the first bucket not loaded yet (null: nothing loaded). */
  until: (number | null)[];
}

/** A shard's saved windows of one rule: its ShardLoaded, and each curve's rings by number. */
export interface SavedWindows {
  readonly algorithm: string;
  readonly loaded: ShardLoaded;
  readonly curves: readonly { readonly key: string; readonly rings: readonly (Buffer | null)[] }[];
}

/** One rule's curves and how far each shard's have been loaded. */
class RuleHistory {
  readonly algorithm: string;
  readonly plan: HistoryPlan;
  readonly matches: (tags: Readonly<Record<string, string>>) => boolean;
  readonly curves = new Map<string, CurveHistory>();
  readonly loaded = new Map<number, ShardLoaded>();
  /** Shards whose ShardLoaded changed since their last save. */
  readonly loadedChanged = new Set<number>();
  loading: Promise<void> | null = null;
  /** After a failed query: no new one before this time (ms). */
  retryAt = 0;

  constructor(rule: Rule, algorithm: string, plan: HistoryPlan) {
    this.algorithm = algorithm;
    this.plan = plan;
    this.matches = tagMatcher(parseTagFilter(rule.filter));
  }

  loadedOf(shard: number): ShardLoaded {
    let loaded = this.loaded.get(shard);
    if (loaded === undefined) {
      loaded = { today: false, until: this.plan.windows.map(() => null) };
      this.loaded.set(shard, loaded);
    }
    return loaded;
  }
}

/** A query of one window: buckets [from, to]; `window` −1 is today's. */
interface Load {
  readonly window: number;
  readonly from: number;
  readonly to: number;
}


type Series = AnswerSeries<number | string | boolean | null>;

const RETRY_MS = 5000;

export class HistoryLoader {
  readonly #options: HistoryLoaderOptions;
  readonly #log: Logger;
  readonly #rules = new Map<string, RuleHistory>();
  readonly #byRule = new WeakMap<Rule, RuleHistory | null>();
  /** Streaming rules whose curves' recent points were loaded since the last shard was taken over (by algorithm). */
  readonly #recentLoaded = new Map<string, string>();
  readonly #recentLoading = new Map<string, Promise<void>>();
  /** Bumped by reload(): a recent-points load that started before does not mark anything loaded. */
  #generation = 0;
  /** Bulk queries made, and the points they brought. */
  queries = 0;
  pointsLoaded = 0;

  constructor(options: HistoryLoaderOptions, log: Logger) {
    this.#options = options;
    this.#log = log;
  }

  /** The history plan of `rule` (null: a streaming algorithm). */
  planOf(rule: Rule): HistoryPlan | null {
    return this.#history(rule)?.plan ?? null;
  }

  /** The history of curve `key` (made empty when new). */
  curve(rule: Rule, key: string, shard: number): CurveHistory {
    const history = this.#history(rule) as RuleHistory;
    let curve = history.curves.get(key);
    if (curve === undefined) {
      curve = new CurveHistory(history.plan, shard, this.#options.prefetch);
      history.curves.set(key, curve);
    }
    return curve;
  }

  /**
   * Null when the windows for a point of `rule` in `bucket` of `shard` are loaded (or a query failed a
   * moment ago); else a promise that loads what is missing (ask again when it settles). A query of a
   * window serves every owned shard that needs it for this bucket, from the earliest bucket one of
   * them misses, so shards that loaded differently (one taken over with saved windows) come into step.
   */
  ensure(rule: Rule, bucket: number, shard: number): Promise<void> | null {
    const history = this.#history(rule);
    if (history === null) return null;
    const plan = history.plan;
    const loaded = history.loadedOf(shard);
    if (loaded.todayNewest !== undefined) {
      // A saved today's window a few buckets behind is kept (the points since fill it); older, loaded again.
      if (loaded.todayNewest < bucket - Math.max(2, Math.floor(plan.today / 20))) loaded.today = false;
      delete loaded.todayNewest;
    }
    const needed = plan.windows.map((w) => bucket - w.offset + w.after);
    if (loaded.today && loaded.until.every((until, i) => until !== null && until > (needed[i] as number))) return null;
    if (history.loading !== null) return history.loading;
    if (Date.now() < history.retryAt) return null;
    // The owned shards (a shard that had no point of the rule yet has loaded nothing).
    const owned = new Map<number, ShardLoaded>();
    for (let other = 0; other < this.#options.shards; other++) if (other === shard || this.#options.owns(other)) owned.set(other, history.loadedOf(other));
    const loads: { load: Load; targets: [number, ShardLoaded][] }[] = [];
    const today = [...owned].filter(([, theirs]) => !theirs.today);
    if (!loaded.today) loads.push({ load: { window: -1, from: bucket - plan.today + 1, to: bucket }, targets: today });
    for (const [i, w] of plan.windows.entries()) {
      const need = needed[i] as number;
      if ((loaded.until[i] ?? -Infinity) > need) continue;
      const targets = [...owned].filter(([, theirs]) => (theirs.until[i] ?? -Infinity) <= need);
      const from = Math.max(Math.min(...targets.map(([, theirs]) => theirs.until[i] ?? -Infinity)), bucket - w.offset - w.before);
      // Ahead, but not past the newest point's bucket: later buckets have no points yet.
      loads.push({ load: { window: i, from, to: Math.min(need + this.#options.prefetch, bucket) }, targets });
    }
    history.loading = (async () => {
      try {
        for (const { load, targets } of loads) {
          await this.#load(rule, history, load, new Set(targets.map(([target]) => target)));
          for (const [done, theirs] of targets) {
            // A shard given up meanwhile lost its curves and what they loaded (and, taken again, starts over).
            if (history.loaded.get(done) !== theirs) continue;
            if (load.window === -1) theirs.today = true;
            else theirs.until[load.window] = load.to + 1;
            history.loadedChanged.add(done);
          }
        }
      } catch (err) {
        history.retryAt = Date.now() + RETRY_MS;
        this.#log.warn({ rule: rule.name, err: (err as Error).message }, 'cannot load the history of a rule from the cluster; its curves are judged when it is loaded');
      } finally {
        history.loading = null;
      }
    })();
    return history.loading;
  }

  /**
   * A shard was taken over: the streaming rules' curves without state start from the cluster again.
   * (Windows are known per shard: a shard new here has loaded none, unless `restore` gives it them.)
   */
  reload(): void {
    this.#generation++;
    this.#recentLoaded.clear();
    for (const history of this.#rules.values()) history.retryAt = 0;
  }

  /**
   * The windows of `shard` changed since the last call, per rule, to save: each changed ring's
   * encoding by curve and ring number (null: unchanged), and what the shard has loaded.
   */
  changed(shard: number): Map<string, SavedWindows> {
    const out = new Map<string, SavedWindows>();
    for (const [name, history] of this.#rules) {
      const curves: { key: string; rings: (Buffer | null)[] }[] = [];
      for (const [key, curve] of history.curves) {
        if (curve.shard !== shard) continue;
        const rings = curve.rings;
        if (!rings.some((ring) => ring.changed)) continue;
        curves.push({ key, rings: rings.map((ring) => (ring.changed ? ring.encode() : null)) });
        for (const ring of rings) ring.changed = false;
      }
      if (curves.length === 0 && !history.loadedChanged.has(shard)) continue;
      history.loadedChanged.delete(shard);
      out.set(name, { algorithm: history.algorithm, loaded: structuredClone(history.loadedOf(shard)), curves });
    }
    return out;
  }

  /**
   * Takes the windows a shard's last owner saved for `rule`; false when they were made for another
   * algorithm (nothing taken: they are to be deleted). A window whose saved ring does not fit (another
   * `historyPrefetch`) counts as not loaded, and today's only when its newest bucket is within a few
   * buckets of the first point that asks (`ensure`): else they are loaded from the cluster.
   */
  restore(rule: Rule, shard: number, saved: SavedWindows): boolean {
    const history = this.#history(rule);
    if (history === null || saved.algorithm !== history.algorithm) return false;
    if (!this.#options.owns(shard)) return true;
    const plan = history.plan;
    const fits = [true, ...plan.windows.map(() => true)];
    let newest = -1;
    for (const { key, rings } of saved.curves) {
      const curve = this.curve(rule, key, shard);
      for (const [i, ring] of curve.rings.entries()) {
        const data = rings[i];
        if (data !== null && data !== undefined && !ring.decode(data)) fits[i] = false;
        ring.changed = false;
      }
      newest = Math.max(newest, curve.today.newest());
    }
    const until = saved.loaded.until.length === plan.windows.length ? saved.loaded.until : plan.windows.map(() => null);
    history.loaded.set(shard, {
      today: saved.loaded.today && fits[0] === true,
      todayNewest: newest,
      until: until.map((at, i) => (fits[i + 1] === true ? at : null)),
    });
    return true;
  }

  /** A save of `windows` (from `changed`) failed: they are to be saved again. */
  unsaved(shard: number, ruleName: string, windows: SavedWindows): void {
    const history = this.#rules.get(ruleName);
    if (history === undefined || history.algorithm !== windows.algorithm) return;
    history.loadedChanged.add(shard);
    for (const { key, rings } of windows.curves) {
      const curve = history.curves.get(key);
      if (curve !== undefined) for (const [i, ring] of curve.rings.entries()) if (rings[i] !== null) ring.changed = true;
    }
  }

  /** Forgets the past windows of the rules not in `live` (deleted). */
  forgetRulesExcept(live: ReadonlySet<string>): void {
    for (const name of this.#rules.keys()) if (!live.has(name)) this.#rules.delete(name);
    for (const name of this.#recentLoaded.keys()) if (!live.has(name)) this.#recentLoaded.delete(name);
  }

  /** Forgets the past windows of the curves of `shard` that got no point since `cutoff` (wall clock, ms); returns them (rule, key, rings). */
  forgetIdle(shard: number, cutoff: number): [string, string, number][] {
    const forgotten: [string, string, number][] = [];
    for (const [name, history] of this.#rules) {
      for (const [key, curve] of history.curves) {
        if (curve.shard !== shard || curve.seenAt >= cutoff) continue;
        history.curves.delete(key);
        forgotten.push([name, key, curve.rings.length]);
      }
    }
    return forgotten;
  }

  /** A shard was given up: forget its curves and what they loaded. */
  forget(shard: number): void {
    for (const history of this.#rules.values()) {
      for (const [key, curve] of history.curves) if (curve.shard === shard) history.curves.delete(key);
      history.loaded.delete(shard);
      history.loadedChanged.delete(shard);
    }
  }

  /** The rule's history (a new one when its algorithm changed), or null when its algorithm has no plan. */
  #history(rule: Rule): RuleHistory | null {
    // Asked for every point: answered from the rule object once it was seen (a changed rule is a new object).
    const seen = this.#byRule.get(rule);
    if (seen !== undefined && (seen === null || this.#rules.get(rule.name) === seen)) return seen;
    const algorithm = algorithmKey(rule);
    const existing = this.#rules.get(rule.name);
    let history: RuleHistory | null = existing !== undefined && existing.algorithm === algorithm ? existing : null;
    if (history === null) {
      const plan = historyPlan(rule);
      if (plan !== null) {
        history = new RuleHistory(rule, algorithm, plan);
        this.#rules.set(rule.name, history);
      }
    }
    this.#byRule.set(rule, history);
    return history;
  }

  async #load(rule: Rule, history: RuleHistory, load: Load, shards: ReadonlySet<number>): Promise<void> {
    const { interval } = history.plan;
    const offset = load.window === -1 ? 0 : (history.plan.windows[load.window]?.offset ?? 0);
    const time = `time >= ${load.from * interval}000000 AND time < ${(load.to + 1) * interval}000000`;
    const { series, points, ms } = await this.#bulkQuery(rule, time, '', (s) => this.#keep(rule, history, s, load.window, shards));
    this.#log.info({ rule: rule.name, window: load.window === -1 ? 'today' : `${offset} buckets back`, from: new Date(load.from * interval).toISOString(), buckets: load.to - load.from + 1, shards: shards.size, series, points, ms }, 'history loaded');
  }

  /**
   * One bulk query of the rule's fields in its measurement — `WHERE <the filter's tag equalities> AND
   * <time>`, `GROUP BY *` then `suffix` — through the proxy, chunked; each answered series goes to
   * `take`, which returns the points it kept.
   */
  async #bulkQuery(rule: Rule, time: string, suffix: string, take: (series: Series) => number, chunkSize = 10_000): Promise<{ series: number; points: number; ms: number }> {
    const equalities = parseTagFilter(rule.filter)
      .filter((condition) => condition.op === '=' || condition.op === '!=')
      .map((condition) => `${quoteIdent(condition.tag)} ${condition.op} ${quoteLiteral(condition.value)}`);
    // Times as nanoseconds since the epoch; regex conditions are applied by `take` (JavaScript's syntax).
    const q = `SELECT ${rule.fields.map(quoteIdent).join(',')} FROM ${quoteIdent(rule.measurement)} WHERE ${[...equalities, time].join(' AND ')} GROUP BY *${suffix}`;
    const started = performance.now();
    const response = await fetch(`${this.#options.proxyUrl}/query`, {
      method: 'POST',
      headers: this.#options.headers,
      body: new URLSearchParams({ db: rule.db, q, epoch: 'ms', chunked: 'true', chunk_size: String(chunkSize) }),
      signal: AbortSignal.timeout(this.#options.timeout),
    });
    if (response.status !== 200 || response.body === null) throw new Error(`${q}: HTTP ${response.status} ${(await response.text()).slice(0, 200)}`);
    this.queries++;
    let points = 0;
    let series = 0;
    for await (const chunk of answerChunks(response.body, (text) => JSON.parse(text) as AnswerChunk<number | string | boolean | null>)) {
      for (const s of chunkSeries(chunk, q)) {
        series++;
        points += take(s);
      }
    }
    this.pointsLoaded += points;
    return { series, points, ms: Math.round(performance.now() - started) };
  }

  /**
   * Null when the curves of streaming rule `rule` need no start from the cluster (done since the last
   * shard was taken over, or an algorithm that starts from nothing); else a promise that loads each
   * curve's last points before `before` (ms) with one bulk query (`ORDER BY time DESC LIMIT n`, per
   * series) and hands the curves this worker owns to `options.feed`.
   */
  ensureRecent(rule: Rule, before: number): Promise<void> | null {
    const length = recentPoints(rule);
    if (length === 0) return null;
    const algorithm = algorithmKey(rule);
    if (this.#recentLoaded.get(rule.name) === algorithm) return null;
    const loading = this.#recentLoading.get(rule.name);
    if (loading !== undefined) return loading;
    const generation = this.#generation;
    const until = Math.floor(before);
    const started = (async () => {
      try {
        const matches = tagMatcher(parseTagFilter(rule.filter));
        // A series longer than a chunk would come in pieces: one chunk holds a whole series here.
        const { series, points, ms } = await this.#bulkQuery(rule, `time < ${until}000000`, ` ORDER BY time DESC LIMIT ${length}`, (s) => this.#feed(rule, matches, s), Math.max(10_000, length));
        this.#log.info({ rule: rule.name, window: 'recent', before: new Date(before).toISOString(), series, points, ms }, 'history loaded');
      } catch (err) {
        // The curves start from their stream, as without the cluster's points.
        this.#log.warn({ rule: rule.name, err: (err as Error).message }, "cannot load a rule's recent points from the cluster; its new curves calibrate on the points to come");
      } finally {
        if (generation === this.#generation) this.#recentLoaded.set(rule.name, algorithm);
        this.#recentLoading.delete(rule.name);
      }
    })();
    this.#recentLoading.set(rule.name, started);
    return started;
  }

  /** The curves (a column each) of one answered series that the rule's filter takes and this worker owns. */
  *#ownedCurves(rule: Rule, matches: (tags: Readonly<Record<string, string>>) => boolean, series: Series): Generator<{ column: number; key: string; shard: number }> {
    const tags = Object.entries(series.tags ?? {}).filter(([, value]) => value !== '');
    if (!matches(Object.fromEntries(tags))) return;
    for (const [column, field] of series.columns.entries()) {
      if (field === 'time') continue;
      const key = seriesKey(rule.db, rule.measurement, tags, field);
      const shard = shardOf(key, this.#options.shards);
      if (this.#options.owns(shard)) yield { column, key, shard };
    }
  }

  /**
   * One answered series' newest-first rows, oldest first, to `options.feed` per field this worker
   * owns, with the time just after its newest row (its stream's points before that were among them).
   */
  #feed(rule: Rule, matches: (tags: Readonly<Record<string, string>>) => boolean, series: Series): number {
    let fed = 0;
    for (const { column, key, shard } of this.#ownedCurves(rule, matches, series)) {
      const values: number[] = [];
      let newest = -Infinity;
      for (let row = series.values.length - 1; row >= 0; row--) {
        const cells = series.values[row] as (number | string | boolean | null)[];
        const value = cells[column];
        if (typeof value !== 'number') continue;
        values.push(value);
        newest = Math.max(newest, cells[0] as number);
      }
      if (values.length === 0) continue;
      this.#options.feed(shard, rule, key, values, newest + 1);
      fed += values.length;
    }
    return fed;
  }

  /** The points of one answered series into the curves of `shards` (owned here); returns how many were kept. */
  #keep(rule: Rule, history: RuleHistory, series: Series, window: number, shards: ReadonlySet<number>): number {
    const interval = history.plan.interval;
    let kept = 0;
    for (const { column, key, shard } of this.#ownedCurves(rule, history.matches, series)) {
      if (!shards.has(shard)) continue;
      const curve = this.curve(rule, key, shard);
      const ring: BucketRing = window === -1 ? curve.today : (curve.windows[window] as BucketRing);
      for (const row of series.values) {
        const value = row[column];
        if (typeof value !== 'number') continue;
        ring.set(Math.floor((row[0] as number) / interval), value);
        kept++;
      }
    }
    return kept;
  }
}
