// Combining the answers of several nodes into the answer one InfluxDB holding all the data would give.
// Each merge is exact because of how data is placed: a measurement lives on one node per circle, and
// InfluxQL never combines measurements — a SELECT's series and the per-measurement SHOW forms are
// per measurement, so the nodes' series only need to be put together in InfluxDB's order; the global
// SHOW lists are unions whose LIMIT/OFFSET are applied again after the union.

import { JsonNumber, type JsonValue } from './json-lossless.js';

export interface Series {
  name?: string;
  tags?: Record<string, string>;
  columns: string[];
  values?: JsonValue[][];
  partial?: boolean;
}

export interface StatementResult {
  statement_id: number;
  series?: Series[];
  messages?: { level: string; text: string }[];
  error?: string;
  partial?: boolean;
}

/** One node's answer for one statement, with the node that gave it. */
export interface NodeAnswer {
  readonly node: string;
  readonly result: StatementResult;
}

/** InfluxDB's order of series: by name, then by the tag set (keys sorted, bytewise). */
export function seriesOrderKey(series: Series): string {
  const tags = series.tags ?? {};
  const keys = Object.keys(tags).sort();
  return `${series.name ?? ''}\u0000${keys.map((k) => `${k}\u0001${tags[k] ?? ''}`).join('\u0002')}`;
}

/** A UTF-16 unit placed so that units compare as UTF-8 bytes do: surrogates (code points past U+FFFF) last. */
function utf8Rank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/** Orders strings as their UTF-8 bytes (InfluxDB's order), without encoding them. */
export function compareBytes(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return utf8Rank(x) - utf8Rank(y);
  }
  return a.length - b.length;
}

/** The first error among the answers, or null. */
function firstError(answers: readonly NodeAnswer[]): string | null {
  for (const answer of answers) if (answer.result.error !== undefined) return answer.result.error;
  return null;
}

function result(statementId: number, series: Series[]): StatementResult {
  return series.length === 0 ? { statement_id: statementId } : { statement_id: statementId, series };
}

export interface SeriesMergeOptions {
  readonly statementId: number;
  /** Keep a node's series only if this says the node owns the series' measurement (misplaced copies are ignored). */
  readonly owns?: (node: string, measurement: string) => boolean;
  /** ORDER BY time DESC: InfluxDB returns the series in reverse order too. */
  readonly descending?: boolean;
  /** The statement selected `*` or a regex: every series gets the union of the columns, in InfluxDB's order. */
  readonly wildcard?: boolean;
  /** GROUP BY * or a regex: every series gets every tag key seen (empty where it has none). */
  readonly groupByAll?: boolean;
  /** Columns and tag keys of measurements read that gave no series (from the nodes that answered nothing). */
  readonly extraColumns?: readonly string[];
  readonly extraTagKeys?: readonly string[];
}

/**
 * Per-measurement series from several nodes (a SELECT over several measurements, SHOW TAG KEYS, …):
 * put in InfluxDB's order, columns unified for wildcard selects. (SLIMIT/SOFFSET apply per measurement
 * in InfluxDB, so each node has applied them already.)
 */
export function mergeSeries(answers: readonly NodeAnswer[], options: SeriesMergeOptions): StatementResult {
  const error = firstError(answers);
  if (error !== null) return { statement_id: options.statementId, error };
  const series: Series[] = [];
  for (const answer of answers) {
    for (const s of answer.result.series ?? []) {
      if (options.owns && s.name !== undefined && !options.owns(answer.node, s.name)) continue;
      series.push(s);
    }
  }
  const shaped = options.groupByAll ? unifyTagKeys(series, options.extraTagKeys ?? []) : series;
  // Each series' order key once, not once per comparison.
  const keys = new Map(shaped.map((s) => [s, seriesOrderKey(s)]));
  shaped.sort((a, b) => compareBytes(keys.get(a) as string, keys.get(b) as string));
  if (options.descending) shaped.reverse();
  return result(options.statementId, options.wildcard ? unifyColumns(shaped, options.extraColumns ?? []) : shaped);
}

/** Gives every series every tag key seen (InfluxDB's GROUP BY * across measurements), "" where absent. */
function unifyTagKeys(series: Series[], extra: readonly string[]): Series[] {
  const keys = new Set<string>(extra);
  for (const s of series) for (const key of Object.keys(s.tags ?? {})) keys.add(key);
  if (keys.size === 0) return series;
  const sorted = [...keys].sort(compareBytes);
  return series.map((s) => ({ ...s, tags: Object.fromEntries(sorted.map((k) => [k, s.tags?.[k] ?? ''])) }));
}

/** Gives every series the union of all columns (`time` first, the rest sorted), nulls where absent. */
function unifyColumns(series: Series[], extra: readonly string[]): Series[] {
  const names = new Set<string>(extra.filter((c) => c !== 'time' && !series.some((s) => s.tags !== undefined && c in s.tags)));
  for (const s of series) for (const column of s.columns) if (column !== 'time') names.add(column);
  const columns = [...(series.some((s) => s.columns[0] === 'time') ? ['time'] : []), ...[...names].sort(compareBytes)];
  return series.map((s) => {
    // A series with every column keeps its own order (the node expanded the wildcard already).
    if (s.columns.length === columns.length) return s;
    const index = columns.map((c) => s.columns.indexOf(c));
    return {
      ...s,
      columns,
      ...(s.values === undefined ? {} : { values: s.values.map((row) => index.map((i) => (i === -1 ? null : (row[i] ?? null)))) }),
    };
  });
}

export interface ListMergeOptions {
  readonly statementId: number;
  /** Name of the one series (`measurements`), or undefined (SHOW SERIES has none). */
  readonly name?: string | undefined;
  readonly column: string;
  readonly limit?: number | null;
  readonly offset?: number | null;
  /** Sort bytewise (InfluxDB's order for measurement names and series keys). */
  readonly sort: boolean;
  /** The values are series keys, sorted as influxd's index lists them: by name, then tag by tag, unescaped. */
  readonly seriesKeys?: boolean;
  /** Values never shown (the proxy's own probe database). */
  readonly hide?: ReadonlySet<string>;
}

/** A series key's name, then each tag's key and value, unescaped. */
function seriesKeyParts(key: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < key.length; i++) {
    const c = key[i] as string;
    if (c === '\\' && i + 1 < key.length && ', ='.includes(key[i + 1] as string)) {
      current += key[++i];
    } else if ((c === ',' && parts.length % 2 === 0) || (c === '=' && parts.length % 2 === 1)) {
      // ',' ends the name or a value; '=' ends a tag key
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

function compareSeriesKeyParts(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareBytes(a[i] as string, b[i] as string);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** One-column lists from every node (SHOW MEASUREMENTS, SHOW SERIES, SHOW DATABASES): union, order, limits. */
export function mergeList(answers: readonly NodeAnswer[], options: ListMergeOptions): StatementResult {
  const error = firstError(answers);
  if (error !== null) return { statement_id: options.statementId, error };
  const seen = new Set<string>();
  let values: string[] = [];
  for (const answer of answers) {
    for (const s of answer.result.series ?? []) {
      for (const row of s.values ?? []) {
        const value = String(row[0]);
        if (seen.has(value) || options.hide?.has(value)) continue;
        seen.add(value);
        values.push(value);
      }
    }
  }
  if (options.sort) {
    if (options.seriesKeys) {
      const parsed = new Map(values.map((v) => [v, seriesKeyParts(v)]));
      values.sort((a, b) => compareSeriesKeyParts(parsed.get(a) as string[], parsed.get(b) as string[]) || compareBytes(a, b));
    } else {
      values.sort(compareBytes);
    }
  }
  const offset = options.offset ?? 0;
  values = values.slice(offset, options.limit ? offset + options.limit : undefined);
  if (values.length === 0) return { statement_id: options.statementId };
  const series: Series = { ...(options.name === undefined ? {} : { name: options.name }), columns: [options.column], values: values.map((v) => [v]) };
  return { statement_id: options.statementId, series: [series] };
}

/** A single count from every node (SHOW MEASUREMENT CARDINALITY…): the sum, as the nodes hold disjoint sets. */
export function mergeSum(answers: readonly NodeAnswer[], statementId: number): StatementResult {
  const error = firstError(answers);
  if (error !== null) return { statement_id: statementId, error };
  let columns: string[] | null = null;
  let total = 0n;
  for (const answer of answers) {
    for (const s of answer.result.series ?? []) {
      columns ??= s.columns;
      for (const row of s.values ?? []) {
        const value = row[0];
        total += BigInt(value instanceof JsonNumber ? value.text : String(value ?? 0));
      }
    }
  }
  return columns === null ? { statement_id: statementId } : { statement_id: statementId, series: [{ columns, values: [[new JsonNumber(total.toString())]] }] };
}
