// The detection rules a proxy matches points against, indexed by database and measurement, each with
// its compiled tag filter and field set. Rebuilt whenever the rules change.
import { parseTagFilter, tagMatcher } from '../../config/rule-filter.js';
import type { Rule } from '../../config/rule-schema.js';
import { shardKey } from '../shard-key.js';
import { seriesKey, shardOf } from './series-key.js';

/** One curve a rule makes of a series: the rule, the field, the curve's series key and shard. */
export interface Curve {
  readonly rule: string;
  readonly field: string;
  readonly key: string;
  readonly shard: number;
}

export interface CompiledRule {
  readonly rule: Rule;
  readonly matches: (tags: Readonly<Record<string, string>>) => boolean;
  readonly fields: ReadonlySet<string>;
}

export class RuleIndex {
  readonly #byDb = new Map<string, Map<string, CompiledRule[]>>();
  /** Shard keys (`db,measurement`) some rule looks at. */
  readonly #shardKeys = new Set<string>();
  /** Enabled rules by name. */
  readonly #byName = new Map<string, Rule>();
  readonly size: number;

  constructor(rules: readonly Rule[]) {
    let size = 0;
    for (const rule of rules) {
      if (!rule.enabled) continue;
      let byMeasurement = this.#byDb.get(rule.db);
      if (byMeasurement === undefined) {
        byMeasurement = new Map();
        this.#byDb.set(rule.db, byMeasurement);
      }
      const list = byMeasurement.get(rule.measurement) ?? [];
      list.push({ rule, matches: tagMatcher(parseTagFilter(rule.filter)), fields: new Set(rule.fields) });
      byMeasurement.set(rule.measurement, list);
      this.#shardKeys.add(shardKey(rule.db, rule.measurement));
      this.#byName.set(rule.name, rule);
      size++;
    }
    this.size = size;
  }

  /** Whether any rule looks at database `db` (the only check a write to another database pays). */
  hasDb(db: string): boolean {
    return this.#byDb.has(db);
  }

  /** Whether a rule looks at the measurement of shard key `key` (asked once per measurement of a write). */
  watches(key: string): boolean {
    return this.#shardKeys.has(key);
  }

  rule(name: string): Rule | undefined {
    return this.#byName.get(name);
  }

  /** The curves the rules make of a series of `db` (the rules whose filter takes its tags, each field), over `shards` shards. */
  curves(db: string, measurement: string, tags: readonly (readonly [string, string])[], shards: number): Curve[] {
    const rules = this.rulesFor(db, measurement);
    if (rules === undefined) return [];
    const byName = Object.fromEntries(tags);
    const curves: Curve[] = [];
    for (const compiled of rules) {
      if (!compiled.matches(byName)) continue;
      for (const field of compiled.fields) {
        const key = seriesKey(db, measurement, tags, field);
        curves.push({ rule: compiled.rule.name, field, key, shard: shardOf(key, shards) });
      }
    }
    return curves;
  }

  rulesFor(db: string, measurement: string): readonly CompiledRule[] | undefined {
    return this.#byDb.get(db)?.get(measurement);
  }
}
