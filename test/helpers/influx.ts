// Reading back what nodes hold, straight from each influxd (never through the proxy).
import { query } from './cluster.js';

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
  const response = await fetch(`${url}${path}`, { method: 'POST', body, headers });
  return { status: response.status, text: await response.text(), headers: response.headers };
}
