// `influxring import` against a real cluster (redis-server, two influxd, a proxy): CSV files written to
// the test's directory are loaded through the proxy's /write by the built CLI, and the points are read
// back through the proxy's /query — tags, quoted fields with commas, quotes and newlines, inferred and
// forced field types, mixed time formats, stdin, many batches; and the bad row that stops an import
// (with its line number) or is skipped with --skip-invalid.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from './helpers/cli.js';
import { query, startCluster, type TestCluster } from './helpers/cluster.js';

let cluster: TestCluster;
const dir = mkdtempSync(join(tmpdir(), 'influxring-cli-import-'));

beforeAll(async () => {
  cluster = await startCluster({ circles: [2] });
});

afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function csv(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function importCsv(file: string, ...args: string[]): Promise<CliResult> {
  return runCli(['import', file, '--db', 'demo', '--proxy', cluster.url, ...args]);
}

interface Series {
  name: string;
  columns: string[];
  values: unknown[][];
}

/** The rows of a query through the proxy, as objects keyed by column. */
async function select(q: string): Promise<Record<string, unknown>[]> {
  const body = (await query(cluster.url, q, 'demo')) as { results: { series?: Series[]; error?: string }[] };
  const result = body.results[0];
  if (result?.error !== undefined) throw new Error(result.error);
  return (result?.series ?? []).flatMap((series) => series.values.map((values) => Object.fromEntries(series.columns.map((column, i) => [column, values[i]]))));
}

/** The value of `key:` in the summary. */
function summary(stdout: string, key: string): string {
  const match = new RegExp(`^  ${key}:\\s+(.*)$`, 'm').exec(stdout);
  if (match === null) throw new Error(`no "${key}" in the summary:\n${stdout}`);
  return match[1] as string;
}

const METRICS = [
  'time,host,region,usage,note,ok,count',
  '2024-05-01T12:00:00Z,server01,"eu, west",12.5,"hello, ""world""",true,3',
  '2024-05-01T12:01:00Z,server02,us,13,plain,false,4',
  '1714564980,server01,"eu, west",14.25,"two',
  'lines",t,5',
  '2024-05-01T12:03:00.5+00:00,server03,us,-1e3,,F,6',
  '',
].join('\n');

describe('influxring import', () => {
  it('loads a CSV file: tags, quoted fields, inferred and forced types, mixed time formats', async () => {
    const file = csv('metrics.csv', METRICS);
    const result = await importCsv(file, '--measurement', 'metrics', '--tag', 'host', '--tag', 'region', '--precision', 's', '--field-type', 'count=integer');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Imported .*metrics\.csv into demo$/m);
    expect(summary(result.stdout, 'lines read')).toBe('6');
    expect(summary(result.stdout, 'rows read')).toBe('4');
    expect(summary(result.stdout, 'points written')).toBe('4');
    expect(summary(result.stdout, 'rows skipped')).toBe('0');
    expect(summary(result.stdout, 'elapsed')).toMatch(/^\d+\.\d\d s$/);
    expect(summary(result.stdout, 'points/s')).toMatch(/^[\d,]+$/);
    expect(summary(result.stdout, 'field types')).toBe('usage float (inferred), note string (inferred), ok boolean (inferred), count integer');

    expect(await select('SELECT * FROM metrics')).toEqual([
      { time: '2024-05-01T12:00:00Z', count: 3, host: 'server01', note: 'hello, "world"', ok: true, region: 'eu, west', usage: 12.5 },
      { time: '2024-05-01T12:01:00Z', count: 4, host: 'server02', note: 'plain', ok: false, region: 'us', usage: 13 },
      { time: '2024-05-01T12:03:00Z', count: 5, host: 'server01', note: 'two\nlines', ok: true, region: 'eu, west', usage: 14.25 },
      { time: '2024-05-01T12:03:00.5Z', count: 6, host: 'server03', note: null, ok: false, region: 'us', usage: -1000 },
    ]);
    const types = await select('SHOW FIELD KEYS FROM metrics');
    expect(types.map((row) => [row.fieldKey, row.fieldType])).toEqual([
      ['count', 'integer'],
      ['note', 'string'],
      ['ok', 'boolean'],
      ['usage', 'float'],
    ]);
  });

  it('stops at a bad row with its line number; the rows before it are written', async () => {
    const file = csv(
      'bad.csv',
      ['ts,host,note,value', '2024-05-01T12:00:00Z,a,x,1', '2024-05-01T12:01:00Z,b,"two', 'lines",2', '2024-05-01T12:02:00Z,d,y,abc', '2024-05-01T12:03:00Z,e,z,4', ''].join('\n'),
    );
    const result = await importCsv(file, '--measurement', 'bad_stop', '--time', 'ts', '--tag', 'host');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `influxring import: ${file} line 5: field "value": 'abc' is not a number (its type, float, was inferred from the column's first values; set another with --field-type value=string); the rows before it are written, nothing from it on (fix the row, or skip such rows with --skip-invalid)\n`,
    );
    expect(result.stdout).toMatch(/^Stopped importing /);
    expect(summary(result.stdout, 'points written')).toBe('2');
    expect((await select('SELECT * FROM bad_stop')).map((row) => [row.host, row.note])).toEqual([
      ['a', 'x'],
      ['b', 'two\nlines'],
    ]);
  });

  it('names a bad cell with a newline in one line', async () => {
    const file = csv('newline.csv', 'time,host,value\n2024-05-01T12:00:00Z,"a\nb",1\n');
    const result = await importCsv(file, '--measurement', 'newline', '--tag', 'host');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `influxring import: ${file} line 2: tag "host" value 'a\\nb' contains a newline; the rows before it are written, nothing from it on (fix the row, or skip such rows with --skip-invalid)\n`,
    );
  });

  it('skips bad rows with --skip-invalid, counting them and saying why', async () => {
    const file = csv(
      'skip.csv',
      ['time,value', '2024-05-01T12:00:00Z,1', 'yesterday,2', '2024-05-01T12:02:00Z,x', '2024-05-01T12:03:00Z,4,extra', '2024-05-01T12:04:00Z,5', ''].join('\n'),
    );
    const result = await importCsv(file, '--measurement', 'bad_skip', '--skip-invalid');
    expect(result.code).toBe(0);
    expect(summary(result.stdout, 'rows read')).toBe('5');
    expect(summary(result.stdout, 'points written')).toBe('2');
    expect(summary(result.stdout, 'rows skipped')).toBe('3');
    expect(result.stdout).toContain("line 3: time 'yesterday' is not RFC3339 or an integer");
    expect(result.stdout).toContain(`line 4: field "value": 'x' is not a number`);
    expect(result.stdout).toContain('line 5: 3 cells, but the header has 2');
    expect((await select('SELECT * FROM bad_skip')).map((row) => row.value)).toEqual([1, 5]);
  });

  it('reads stdin, and many batches a few at a time', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `${1714564800000 + i},h${i % 10},${i}`);
    const result = await runCli(['import', '-', '--db', 'demo', '--measurement', 'many', '--tag', 'host', '--precision', 'ms', '--batch-lines', '1000', '--concurrency', '3', '--proxy', cluster.url], {
      input: `time,host,seq\n${rows.join('\n')}\n`,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Imported stdin into demo$/m);
    expect(summary(result.stdout, 'points written')).toBe('20,000');
    const counted = await select('SELECT count(seq) FROM many');
    expect(counted[0]?.count).toBe(20_000);
  });

  it('refuses options that do not fit the header before sending anything', async () => {
    const file = csv('header.csv', 'when,host,value\n2024-05-01T12:00:00Z,a,1\n');
    const noTime = await importCsv(file, '--measurement', 'header');
    expect(noTime.code).toBe(2);
    expect(noTime.stdout).toBe('');
    expect(noTime.stderr).toBe(`influxring import: time column "time": no such column in ${file} (its columns: when, host, value); name the time column with --time COL\n`);
    const noTag = await importCsv(file, '--measurement', 'header', '--time', 'when', '--tag', 'hots');
    expect(noTag.code).toBe(2);
    expect(noTag.stderr).toBe(`influxring import: --tag "hots": no such column in ${file} (its columns: when, host, value)\n`);
    const noDb = await runCli(['import', file, '--measurement', 'header', '--proxy', cluster.url]);
    expect(noDb.code).toBe(2);
    expect(noDb.stderr).toBe('influxring import: --db is required: the database to write to; see influxring import --help\n');
    expect(await select('SELECT * FROM header')).toEqual([]);
  });

  it("says so when the database does not exist, with InfluxDB's words", async () => {
    const file = csv('nodb.csv', 'time,value\n2024-05-01T12:00:00Z,1\n');
    const result = await runCli(['import', file, '--db', 'nosuchdb', '--measurement', 'x', '--proxy', cluster.url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('influxring import: the proxy refused line 2 with 404: database not found: "nosuchdb"; create it first (CREATE DATABASE through the proxy\'s /query)\n');
  });
});
