// Which detection shards an acknowledged line goes to: the shards of the curves (series, field) the
// rules make of its series. The write path's scan has found the line's series key (measurement and
// tags, as sent); its bytes are hashed here (FNV-1a, no string made) and looked up in a cache, checked
// byte for byte. Fields and timestamps are not read: the line itself goes to those shards' queues, and
// the worker owning a shard reads it and judges the curves that are its own
// (worker/detection/point-reader.ts). So a line handed over costs a hash, a lookup and a copy.
import { parsePoint } from '../../worker/detection/point-parser.js';
import { sameRange, viewOf } from './byte-words.js';
import type { RuleIndex } from './rule-index.js';
import { SeriesCache } from './series-cache.js';
import { splitSeries } from './series-key.js';

/** Where one series' lines go: the distinct shards of its curves, and the rules that make them. */
export interface SeriesRoute {
  readonly shards: readonly number[];
  readonly rules: readonly string[];
}

const NOWHERE: SeriesRoute = { shards: [], rules: [] };

/** Series whose routes are cached (per rule set), at most. */
const SERIES_CACHE = 100_000;

/** A cached series key (its bytes) and its route; entries whose bytes hash alike are chained. */
interface Cached {
  readonly key: Buffer;
  readonly view: DataView;
  readonly route: SeriesRoute;
  readonly next: Cached | undefined;
}

/** The route of a line whose series key is [start, seriesEnd) of `body` (`view`: a DataView of it). */
export type RouteOf = (body: Buffer, view: DataView, start: number, seriesEnd: number) => SeriesRoute;

export class LineRouter {
  readonly #shards: number;
  /** Per database: series key hash → cached keys (a route depends on the database's rules). */
  readonly #cache = new SeriesCache<number, Cached>(SERIES_CACHE);

  constructor(shards: number) {
    this.#shards = shards;
  }

  /** How the lines of a write to database `db` are routed under `index` (made once per write). */
  routes(index: RuleIndex, db: string): RouteOf {
    const byHash = this.#cache.of(index, db);
    return (body, view, start, seriesEnd) => {
      let hash = 0x811c9dc5;
      for (let i = start; i < seriesEnd; i++) hash = Math.imul(hash ^ (body[i] as number), 0x01000193);
      const first = byHash.get(hash);
      for (let entry = first; entry !== undefined; entry = entry.next) if (sameRange(entry.key, entry.view, body, view, start, seriesEnd)) return entry.route;
      const series = body.toString('utf8', start, seriesEnd);
      // An escape in the series key: read it as influxd would (a line of it with a placeholder field).
      const { measurement, tags } = series.includes('\\') ? parsePoint(`${series} _=0`) : splitSeries(series);
      const route = this.#routeOf(index, db, measurement, tags);
      const key = Buffer.from(body.subarray(start, seriesEnd));
      this.#cache.set(byHash, hash, { key, view: viewOf(key), route, next: first });
      return route;
    };
  }

  /** The distinct shards and rules of the curves the rules make of a series. */
  #routeOf(index: RuleIndex, db: string, measurement: string, tags: [string, string][]): SeriesRoute {
    const curves = index.curves(db, measurement, tags, this.#shards);
    if (curves.length === 0) return NOWHERE;
    return { shards: [...new Set(curves.map((curve) => curve.shard))], rules: [...new Set(curves.map((curve) => curve.rule))] };
  }
}
