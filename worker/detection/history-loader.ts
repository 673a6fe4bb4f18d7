// Loads the past points the history plans need from the cluster, through the proxy's /query: one bulk
// query per rule (a measurement) and window — `SELECT <fields> FROM <measurement> WHERE <the rule's
// tag equalities> AND <the window's time range> GROUP BY *`, chunked — never one per series. Every
// series of the answer whose curve belongs to a shard this worker owns gets the points. The windows
// days back are loaded `detection.historyPrefetch` buckets ahead, so a curve moving forward in time needs
// a query per window only every so many buckets; today's window is loaded once (the bootstrap), then the
// points the worker judges keep it.
import type { Logger } from 'pino';
import { parseTagFilter, tagMatcher } from '../../config/rule-filter.js';
import type { Rule } from '../../config/rule-schema.js';
import { seriesKey, shardOf } from '../../proxy/detection/series-key.js';
import { quoteIdent, quoteLiteral } from '../../proxy/influxql-tokens.js';
import { CurveHistory, type BucketRing } from './curve-history.js';
import { historyPlan, type HistoryPlan } from './history-plan.js';

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
}

/** One rule's curves and how far each window has been loaded. */
class RuleHistory {
  readonly algorithm: string;
  readonly plan: HistoryPlan;
  readonly matches: (tags: Readonly<Record<string, string>>) => boolean;
  readonly curves = new Map<string, CurveHistory>();
  /** Per window of the plan: the first bucket not loaded yet (−∞: nothing loaded). */
  readonly loadedUntil: number[];
  todayLoaded = false;
  loading: Promise<void> | null = null;
  /** After a failed query: no new one before this time (ms). */
  retryAt = 0;

  constructor(rule: Rule, plan: HistoryPlan) {
    this.algorithm = JSON.stringify(rule.algorithm);
    this.plan = plan;
    this.matches = tagMatcher(parseTagFilter(rule.filter));
    this.loadedUntil = plan.windows.map(() => -Infinity);
  }
}

/** A query of one window: buckets [from, to]; `window` −1 is today's. */
interface Load {
  readonly window: number;
  readonly from: number;
  readonly to: number;
}

interface Series {
  readonly tags?: Record<string, string>;
  readonly columns: string[];
  readonly values: (number | string | boolean | null)[][];
}

const RETRY_MS = 5000;

export class HistoryLoader {
  readonly #options: HistoryLoaderOptions;
  readonly #log: Logger;
  readonly #rules = new Map<string, RuleHistory>();
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
   * Null when the windows for a point of `rule` in `bucket` are loaded (or a query failed a moment ago);
   * else a promise that loads what is missing (ask again when it settles).
   */
  ensure(rule: Rule, bucket: number): Promise<void> | null {
    const history = this.#history(rule);
    if (history === null) return null;
    if (history.loading !== null) return history.loading;
    if (Date.now() < history.retryAt) return null;
    const loads: Load[] = [];
    const plan = history.plan;
    if (!history.todayLoaded) loads.push({ window: -1, from: bucket - plan.today + 1, to: bucket });
    for (const [i, w] of plan.windows.entries()) {
      const needed = bucket - w.offset + w.after;
      const until = history.loadedUntil[i] as number;
      if (until > needed) continue;
      loads.push({ window: i, from: Math.max(until, bucket - w.offset - w.before), to: needed + this.#options.prefetch });
    }
    if (loads.length === 0) return null;
    history.loading = (async () => {
      try {
        for (const load of loads) {
          await this.#load(rule, history, load);
          if (load.window === -1) history.todayLoaded = true;
          else history.loadedUntil[load.window] = load.to + 1;
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

  /** A shard was taken over: its curves have no history here, so every rule loads its windows again. */
  reload(): void {
    for (const history of this.#rules.values()) {
      history.todayLoaded = false;
      history.loadedUntil.fill(-Infinity);
      history.retryAt = 0;
    }
  }

  /** A shard was given up: forget its curves. */
  forget(shard: number): void {
    for (const history of this.#rules.values()) for (const [key, curve] of history.curves) if (curve.shard === shard) history.curves.delete(key);
  }

  /** The rule's history (a new one when its algorithm changed), or null when its algorithm has no plan. */
  #history(rule: Rule): RuleHistory | null {
    const existing = this.#rules.get(rule.name);
    if (existing !== undefined && existing.algorithm === JSON.stringify(rule.algorithm)) return existing;
    const plan = historyPlan(rule);
    if (plan === null) return null;
    const history = new RuleHistory(rule, plan);
    this.#rules.set(rule.name, history);
    return history;
  }

  async #load(rule: Rule, history: RuleHistory, load: Load): Promise<void> {
    const { interval } = history.plan;
    const offset = load.window === -1 ? 0 : (history.plan.windows[load.window]?.offset ?? 0);
    const equalities = parseTagFilter(rule.filter)
      .filter((condition) => condition.op === '=' || condition.op === '!=')
      .map((condition) => `${quoteIdent(condition.tag)} ${condition.op} ${quoteLiteral(condition.value)}`);
    // Times as nanoseconds since the epoch; regex conditions are applied here (JavaScript's syntax).
    const where = [...equalities, `time >= ${load.from * interval}000000`, `time < ${(load.to + 1) * interval}000000`].join(' AND ');
    const q = `SELECT ${rule.fields.map(quoteIdent).join(',')} FROM ${quoteIdent(rule.measurement)} WHERE ${where} GROUP BY *`;
    const started = performance.now();
    const response = await fetch(`${this.#options.proxyUrl}/query`, {
      method: 'POST',
      headers: this.#options.headers,
      body: new URLSearchParams({ db: rule.db, q, epoch: 'ms', chunked: 'true', chunk_size: '10000' }),
      signal: AbortSignal.timeout(this.#options.timeout),
    });
    if (response.status !== 200 || response.body === null) throw new Error(`${q}: HTTP ${response.status} ${(await response.text()).slice(0, 200)}`);
    this.queries++;
    let points = 0;
    let series = 0;
    const decoder = new TextDecoder();
    let rest = '';
    const take = (line: string): void => {
      if (line.trim() === '') return;
      const chunk = JSON.parse(line) as { results?: { series?: Series[]; error?: string }[]; error?: string };
      const error = chunk.error ?? chunk.results?.find((result) => result.error !== undefined)?.error;
      if (error !== undefined) throw new Error(`${q}: ${error}`);
      for (const result of chunk.results ?? []) {
        for (const s of result.series ?? []) {
          series++;
          points += this.#keep(rule, history, s, load.window);
        }
      }
    };
    for await (const bytes of response.body) {
      const text = rest + decoder.decode(bytes as Uint8Array, { stream: true });
      const lines = text.split('\n');
      rest = lines.pop() as string;
      for (const line of lines) take(line);
    }
    take(rest + decoder.decode());
    this.pointsLoaded += points;
    this.#log.info({ rule: rule.name, window: load.window === -1 ? 'today' : `${offset} buckets back`, from: new Date(load.from * interval).toISOString(), buckets: load.to - load.from + 1, series, points, ms: Math.round(performance.now() - started) }, 'history loaded');
  }

  /** The points of one answered series into the curves this worker owns; returns how many were kept. */
  #keep(rule: Rule, history: RuleHistory, series: Series, window: number): number {
    const tags = Object.entries(series.tags ?? {}).filter(([, value]) => value !== '');
    if (!history.matches(Object.fromEntries(tags))) return 0;
    const interval = history.plan.interval;
    let kept = 0;
    for (const [column, field] of series.columns.entries()) {
      if (field === 'time') continue;
      const key = seriesKey(rule.db, rule.measurement, tags, field);
      const shard = shardOf(key, this.#options.shards);
      if (!this.#options.owns(shard)) continue;
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
