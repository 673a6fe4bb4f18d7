// Reading back what nodes hold, straight from each influxd (never through the proxy), and posting
// writes with their answer taken apart.
import { expect } from 'vitest';
import { query, type TestCluster } from './cluster.js';

interface Series {
  name: string;
  columns: string[];
  values: unknown[][];
}

interface QueryBody {
  results: { series?: Series[]; error?: string }[];
}

/** Rows of `SELECT … ` on one node: every series' values. */
export async function rows(url: string, db: string, q: string): Promise<unknown[][]> {
  const body = (await query(url, q, db)) as QueryBody;
  const result = body.results[0];
  if (result?.error) throw new Error(result.error);
  return (result?.series ?? []).flatMap((series) => series.values);
}

/** Measurement names present on one node. */
export async function measurements(url: string, db: string): Promise<string[]> {
  return (await rows(url, db, 'SHOW MEASUREMENTS')).map((row) => String(row[0]));
}

/** `count(field)` over a measurement (or regex) on one node; 0 when empty. */
export async function count(url: string, db: string, measurement: string, field = 'v'): Promise<number> {
  const values = await rows(url, db, `SELECT count("${field}") FROM ${measurement}`);
  return values.reduce<number>((sum, row) => sum + Number(row[1] ?? 0), 0);
}

export async function write(url: string, path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: Headers }> {
  const answer = await post(url, path, body, headers);
  return { status: answer.status, text: answer.body, headers: answer.headers };
}

/** A write's answer, taken apart. */
export interface Answer {
  status: number;
  /** The JSON body's `error` (v1) or `message` (v2), or null without a JSON body. */
  error: string | null;
  /** The X-Influxdb-Error header. */
  header: string | null;
  /** The body as text. */
  body: string;
  headers: Headers;
}

/** POSTs `body` to `url` + `path` (e.g. `/write?db=demo`) and takes the answer apart. */
export async function post(url: string, path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${url}${path}`, { method: 'POST', body, headers });
  const text = await response.text();
  let error: string | null = null;
  try {
    const parsed = JSON.parse(text) as { error?: string; message?: string };
    error = parsed.error ?? parsed.message ?? null;
  } catch {
    error = null;
  }
  return { status: response.status, error, header: response.headers.get('x-influxdb-error'), body: text, headers: response.headers };
}

/** A row of a SELECT: column → value. */
export type Row = Record<string, unknown>;

export interface Credentials {
  u: string;
  p: string;
}

export interface SelectOptions {
  /** The database (default demo). */
  db?: string;
  /** u/p for an auth-enabled node. */
  credentials?: Credentials;
}

/**
 * Rows of `q` on one node as objects, with nanosecond epochs. Integers of 16+ digits (times, large
 * int fields) are kept as exact strings: JSON numbers would round them.
 */
export async function selectRows(url: string, q: string, options: SelectOptions = {}): Promise<Row[]> {
  const params = new URLSearchParams({ q, db: options.db ?? 'demo', epoch: 'ns' });
  // influxd reads u/p from the URL only, not from a form body
  const auth = options.credentials ? `?${new URLSearchParams({ u: options.credentials.u, p: options.credentials.p }).toString()}` : '';
  const response = await fetch(`${url}/query${auth}`, { method: 'POST', body: params });
  const text = (await response.text()).replace(/([[,])(-?\d{16,})(?=[,\]])/g, '$1"$2"');
  const body = JSON.parse(text) as Partial<QueryBody> & { error?: string };
  const result = body.results?.[0];
  if (body.error ?? result?.error) throw new Error(body.error ?? result?.error);
  return (result?.series ?? []).flatMap((series) => series.values.map((values) => Object.fromEntries(series.columns.map((column, i) => [column, values[i]]))));
}

/** `rows` sorted by time, then by their content (a new array). */
export function sortRows(rows: readonly Row[]): Row[] {
  return [...rows].sort((a, b) => String(a.time).localeCompare(String(b.time)) || JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** The rows of `q` in each circle of `cluster` (the circle's nodes' rows together, sorted by `sortRows`). */
export async function perCircle(cluster: TestCluster, q: string, options: { db?: string } = {}): Promise<Row[][]> {
  return Promise.all(cluster.nodes.map(async (circle) => sortRows((await Promise.all(circle.map((node) => selectRows(node.url, q, { db: options.db })))).flat())));
}

/**
 * Asserts that `cluster` has `circles` circles (default 2) and that each holds exactly `expected` for
 * `q`, in `sortRows` order (pass `sortRows(expected)` when `expected` is in no particular order).
 */
export async function expectOnEveryCircle(cluster: TestCluster, q: string, expected: readonly Row[], options: { db?: string; circles?: number } = {}): Promise<void> {
  const circles = await perCircle(cluster, q, { db: options.db });
  expect(circles).toHaveLength(options.circles ?? 2);
  for (const [c, rows] of circles.entries()) expect(rows, `circle ${c}: ${q}`).toEqual(expected);
}
