// Which detection shards an acknowledged line goes to: the shards of the curves (series, field) the
// rules make of its series. The proxy only finds the line's series text (up to the first space) and
// looks it up in a cache; it does not read fields or timestamps. The line itself goes to those shards'
// queues, and the worker owning a shard reads it and judges the curves that are its own
// (worker/detection/point-reader.ts). So a write pays a Map lookup and a copy per line it hands over.
import { parsePoint } from '../../worker/detection/point-parser.js';
import type { RuleIndex } from './rule-index.js';
import { seriesKey, shardOf } from './series-key.js';

/** Where one series' lines go: the distinct shards of its curves, and the rules that make them. */
export interface SeriesRoute {
  readonly shards: readonly number[];
  readonly rules: readonly string[];
}

const NOWHERE: SeriesRoute = { shards: [], rules: [] };

/** Series whose routes are cached (per rule set), at most. */
const SERIES_CACHE = 100_000;

const SPACE = 0x20;
const BACKSLASH = 0x5c;

export class LineRouter {
  readonly #shards: number;
  readonly #cache = new Map<string, SeriesRoute>();
  #cacheIndex: RuleIndex | null = null;

  constructor(shards: number) {
    this.#shards = shards;
  }

  /** The route of the line at [start, end) of `body` in database `db`. */
  route(index: RuleIndex, db: string, body: Buffer, start: number, end: number): SeriesRoute {
    if (this.#cacheIndex !== index) {
      this.#cache.clear();
      this.#cacheIndex = index;
    }
    const space = body.indexOf(SPACE, start);
    if (space === -1 || space >= end) return NOWHERE;
    // latin1: one char per byte, the cheapest string to make; a key only (decoded as UTF-8 on a miss).
    const head = body.toString('latin1', start, space);
    const cached = this.#cache.get(head);
    if (cached !== undefined) return cached;
    // An escape in the series part (an escaped space would end `head` early): read the line fully.
    if (head.includes('\\') || body[space - 1] === BACKSLASH) return this.#describeEscaped(index, db, body.toString('utf8', start, end));
    const route = this.#describe(index, db, body.toString('utf8', start, space));
    if (this.#cache.size >= SERIES_CACHE) this.#cache.clear();
    this.#cache.set(head, route);
    return route;
  }

  /** A series part without escapes: `measurement,k=v,…`. */
  #describe(index: RuleIndex, db: string, series: string): SeriesRoute {
    const parts = series.split(',');
    const measurement = parts[0] as string;
    const tags: [string, string][] = parts.slice(1).map((pair) => {
      const eq = pair.indexOf('=');
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    });
    return this.#routeOf(index, db, measurement, tags);
  }

  #describeEscaped(index: RuleIndex, db: string, line: string): SeriesRoute {
    const point = parsePoint(line);
    return this.#routeOf(index, db, point.measurement, point.tags);
  }

  #routeOf(index: RuleIndex, db: string, measurement: string, tags: [string, string][]): SeriesRoute {
    const rules = index.rulesFor(db, measurement);
    if (rules === undefined) return NOWHERE;
    const byName = Object.fromEntries(tags);
    const shards = new Set<number>();
    const names: string[] = [];
    for (const compiled of rules) {
      if (!compiled.matches(byName)) continue;
      names.push(compiled.rule.name);
      for (const field of compiled.fields) shards.add(shardOf(seriesKey(db, measurement, tags, field), this.#shards));
    }
    return names.length === 0 ? NOWHERE : { shards: [...shards], rules: names };
  }
}
