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

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The first error among the answers, or null. */
export function firstError(answers: readonly NodeAnswer[]): string | null {
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
  /** SLIMIT / SOFFSET, applied after the series are put in order (they were removed from what nodes ran). */
  readonly slimit?: number | null;
  readonly soffset?: number | null;
  /** The statement selected `*` or a regex: every series gets the union of the columns, in InfluxDB's order. */
  readonly wildcard?: boolean;
}

/**
 * Per-measurement series from several nodes (a SELECT over several measurements, SHOW TAG KEYS, …):
 * put in InfluxDB's order, SLIMIT/SOFFSET applied, columns unified for wildcard selects.
 */
export function mergeSeries(answers: readonly NodeAnswer[], options: SeriesMergeOptions): StatementResult {
  const error = firstError(answers);
  if (error !== null) return { statement_id: options.statementId, error };
  let series: Series[] = [];
  for (const answer of answers) {
    for (const s of answer.result.series ?? []) {
      if (options.owns && s.name !== undefined && !options.owns(answer.node, s.name)) continue;
      series.push(s);
    }
  }
  series.sort((a, b) => compareBytes(seriesOrderKey(a), seriesOrderKey(b)));
  const offset = options.soffset ?? 0;
  series = series.slice(offset, options.slimit ? offset + options.slimit : undefined);
  if (options.wildcard && series.length > 1) series = unifyColumns(series);
  return result(options.statementId, series);
}

/** Gives every series the union of all columns (`time` first, the rest sorted), nulls where absent. */
function unifyColumns(series: Series[]): Series[] {
  const names = new Set<string>();
  for (const s of series) for (const column of s.columns) if (column !== 'time') names.add(column);
  const columns = [...(series.some((s) => s.columns[0] === 'time') ? ['time'] : []), ...[...names].sort(compareBytes)];
  return series.map((s) => {
    if (s.columns.length === columns.length && s.columns.every((c, i) => c === columns[i])) return s;
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
  /** Values never shown (the proxy's own probe database). */
  readonly hide?: ReadonlySet<string>;
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
  if (options.sort) values.sort(compareBytes);
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
  let total = 0;
  for (const answer of answers) {
    for (const s of answer.result.series ?? []) {
      columns ??= s.columns;
      for (const row of s.values ?? []) total += Number(row[0] ?? 0);
    }
  }
  return columns === null ? { statement_id: statementId } : { statement_id: statementId, series: [{ columns, values: [[new JsonNumber(String(total))]] }] };
}
