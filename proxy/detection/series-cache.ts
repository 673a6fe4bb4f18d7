// What the rules make of a series, remembered per database: the proxy's line router and the worker's
// point reader each keep one (keyed by the series key's bytes' hash, or its text). It holds for one rule
// set (a new RuleIndex empties it) and at most `max` series (past that, it starts over).

export class SeriesCache<K, V> {
  readonly #max: number;
  readonly #byDb = new Map<string, Map<K, V>>();
  #size = 0;
  #index: object | null = null;

  constructor(max: number) {
    this.#max = max;
  }

  /** The series of database `db` under rule set `index` (ask once per write or batch, not per line). */
  of(index: object, db: string): Map<K, V> {
    if (this.#index !== index) {
      this.#byDb.clear();
      this.#size = 0;
      this.#index = index;
    }
    let series = this.#byDb.get(db);
    if (series === undefined) {
      series = new Map();
      this.#byDb.set(db, series);
    }
    return series;
  }

  /** Remembers `value` for `key` in `series` (a map `of` gave); past `max`, every database's are dropped first. */
  set(series: Map<K, V>, key: K, value: V): void {
    if (this.#size >= this.#max) {
      for (const map of this.#byDb.values()) map.clear();
      this.#size = 0;
    }
    series.set(key, value);
    this.#size++;
  }
}
