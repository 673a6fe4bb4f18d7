// Real clients write through the proxy: the `influx` CLI (INSERT and -import), the `influx` npm package
// (v1 API) and @influxdata/influxdb-client (v2 API, which influxd 1.6 lacks and the proxy implements).
// Every point is read back from every node directly (never through the proxy), with exact timestamps.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpError, InfluxDB as InfluxDBv2, Point, setLogger } from '@influxdata/influxdb-client';
import { FieldType, InfluxDB, toNanoDate } from 'influx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from './helpers/cluster.js';
import { influxCli } from './helpers/influx-cli.js';
import { expectOnEveryCircle, perCircle, type Row } from './helpers/influx.js';

let cluster: TestCluster;
let proxyPort: number;

beforeAll(async () => {
  cluster = await startCluster({ circles: [1, 1] });
  proxyPort = Number(new URL(cluster.url).port);
});

afterAll(async () => {
  await cluster?.stop();
});

function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

describe('the influx CLI (1.6)', () => {
  it('INSERT goes through the proxy: the CLI pings /ping, then POSTs /write (no /query needed)', async () => {
    const before = nowNs() - 1_000_000_000n;
    const result = await influxCli(proxyPort, ['-database', 'demo', '-execute', 'INSERT cli_insert,host=a v=1,s="two words",b=true,i=7i']);
    const after = nowNs() + 1_000_000_000n;
    // the CLI exits 0 even when the write fails; it prints `ERR: <body>` on stdout then
    expect(result, JSON.stringify(result)).toEqual({ code: 0, stdout: '', stderr: '' });

    const circles = await perCircle(cluster, 'SELECT * FROM cli_insert');
    expect(circles[0]).toHaveLength(1);
    const row = circles[0]?.[0] as Row;
    expect(row).toMatchObject({ host: 'a', v: 1, s: 'two words', b: true, i: 7 });
    // the CLI sends no timestamp: the proxy stamps the line with its receive time, the same in every circle
    const time = BigInt(String(row.time));
    expect(time >= before && time <= after, `time ${time} within [${before}, ${after}]`).toBe(true);
    expect(circles[1]).toEqual(circles[0]);
  });

  it('INSERT with -precision s and an explicit timestamp stores that second', async () => {
    const result = await influxCli(proxyPort, ['-database', 'demo', '-precision', 's', '-execute', 'INSERT cli_precision,host=b v=2.5 1700000000']);
    expect(result, JSON.stringify(result)).toEqual({ code: 0, stdout: '', stderr: '' });
    await expectOnEveryCircle(cluster, 'SELECT * FROM cli_precision', [{ time: '1700000000000000000', host: 'b', v: 2.5 }]);
  });

  it('-import of a DML file with -precision s stores every line with its timestamp', async () => {
    const lines: string[] = [];
    const expected: Row[] = [];
    for (let i = 0; i < 250; i++) {
      lines.push(`cli_import,host=h${i % 5} v=${i}.25,n=${i}i ${1_700_000_000 + i}`);
      expected.push({ time: `${1_700_000_000 + i}000000000`, host: `h${i % 5}`, v: i + 0.25, n: i });
    }
    const file = join(cluster.dir, 'import.txt');
    writeFileSync(file, ['# DML', '# CONTEXT-DATABASE: demo', '# CONTEXT-RETENTION-POLICY: autogen', '', ...lines.slice(0, 100), '# a comment between lines', ...lines.slice(100), ''].join('\n'));
    const result = await influxCli(proxyPort, ['-import', '-path', file, '-precision', 's']);
    expect(result.code, JSON.stringify(result)).toBe(0);
    expect(result.stderr + result.stdout).toContain('Processed 250 inserts');
    expect(result.stderr + result.stdout).toContain('Failed 0 inserts');
    await expectOnEveryCircle(cluster, 'SELECT * FROM cli_import', expected);
  });

  it('shows the same error through the proxy as against a node (unknown database)', async () => {
    const node = cluster.nodes[0]?.[0];
    if (!node) throw new Error('no node');
    const args = ['-database', 'cli_nope', '-execute', 'INSERT cli_nope v=1'];
    const direct = await influxCli(node.port, args);
    const proxied = await influxCli(proxyPort, args);
    expect(direct.stdout).toContain('ERR: {"error":"database not found: \\"cli_nope\\""}');
    // (influxd ends its JSON error body with a newline, which the CLI prints; compared in bad-input.test.ts)
    expect({ ...proxied, stdout: proxied.stdout.trimEnd() }).toEqual({ ...direct, stdout: direct.stdout.trimEnd() });
  });
});

describe('the influx npm package (v1 client)', () => {
  it('ping() reports the nodes\' InfluxDB version', async () => {
    const node = cluster.nodes[0]?.[0];
    if (!node) throw new Error('no node');
    const nodeVersion = (await fetch(`${node.url}/ping`)).headers.get('x-influxdb-version');
    expect(nodeVersion).toMatch(/^1\.6\./);
    const influx = new InfluxDB({ host: '127.0.0.1', port: proxyPort, database: 'demo' });
    const hosts = await influx.ping(5000);
    expect(hosts).toHaveLength(1);
    expect(hosts[0]).toMatchObject({ online: true, version: nodeVersion });
  });

  it('writePoints: tags, every field type and nanosecond timestamps', async () => {
    const influx = new InfluxDB({
      host: '127.0.0.1',
      port: proxyPort,
      database: 'demo',
      schema: [
        {
          measurement: 'npm_types',
          fields: { f: FieldType.FLOAT, i: FieldType.INTEGER, s: FieldType.STRING, b: FieldType.BOOLEAN },
          tags: ['host', 'region'],
        },
      ],
    });
    await influx.writePoints([
      { measurement: 'npm_types', tags: { host: 'a', region: 'eu west' }, fields: { f: 1.5, i: 42, s: 'hello, "world"', b: true }, timestamp: toNanoDate('1700000000123456789') },
      { measurement: 'npm_types', tags: { host: 'b', region: 'us=east' }, fields: { f: -0.25, i: -9007199254740993, s: 'x', b: false }, timestamp: toNanoDate('1700000000123456790') },
      { measurement: 'npm_types', tags: { host: 'c', region: 'ap' }, fields: { f: 1e-10, i: 0, s: '', b: true }, timestamp: new Date('2023-11-14T22:13:21.5Z') },
    ]);
    await expectOnEveryCircle(cluster, 'SELECT * FROM npm_types', [
      { time: '1700000000123456789', b: true, f: 1.5, host: 'a', i: 42, region: 'eu west', s: 'hello, "world"' },
      // -9007199254740993 is not a double: the client writes the double's digits, -9007199254740992
      { time: '1700000000123456790', b: false, f: -0.25, host: 'b', i: '-9007199254740992', region: 'us=east', s: 'x' },
      { time: '1700000001500000000', b: true, f: 1e-10, host: 'c', i: 0, region: 'ap', s: '' },
    ]);
  });

  it('writePoints with the precision option (s, ms, u) stores the right instants', async () => {
    const influx = new InfluxDB({ host: '127.0.0.1', port: proxyPort, database: 'demo' });
    await influx.writePoints([{ measurement: 'npm_precision', tags: { p: 's' }, fields: { v: 1 }, timestamp: 1_700_000_100 }], { precision: 's' });
    await influx.writePoints([{ measurement: 'npm_precision', tags: { p: 'ms' }, fields: { v: 2 }, timestamp: 1_700_000_100_123 }], { precision: 'ms' });
    await influx.writePoints([{ measurement: 'npm_precision', tags: { p: 'u' }, fields: { v: 3 }, timestamp: 1_700_000_100_123_456 }], { precision: 'u' });
    await influx.writePoints([{ measurement: 'npm_precision', tags: { p: 'date-s' }, fields: { v: 4 }, timestamp: new Date('2023-11-14T22:15:01.999Z') }], { precision: 's' });
    await expectOnEveryCircle(cluster, 'SELECT * FROM npm_precision', [
      { time: '1700000100000000000', p: 's', v: 1 },
      { time: '1700000100123000000', p: 'ms', v: 2 },
      { time: '1700000100123456000', p: 'u', v: 3 },
      { time: '1700000101000000000', p: 'date-s', v: 4 },
    ]);
  });

  it('writePoints without a timestamp: the proxy stamps the point, identically on both circles', async () => {
    const influx = new InfluxDB({ host: '127.0.0.1', port: proxyPort, database: 'demo' });
    const before = nowNs() - 1_000_000_000n;
    await influx.writePoints([
      { measurement: 'npm_now', tags: { k: '1' }, fields: { v: 1 } },
      { measurement: 'npm_now', tags: { k: '2' }, fields: { v: 2 } },
    ]);
    const after = nowNs() + 1_000_000_000n;
    const circles = await perCircle(cluster, 'SELECT * FROM npm_now');
    expect(circles[0]).toHaveLength(2);
    for (const row of circles[0] ?? []) {
      const time = BigInt(String(row.time));
      expect(time >= before && time <= after, `time ${time}`).toBe(true);
    }
    expect(circles[1]).toEqual(circles[0]);
  });

  it('writePoints to an unknown database fails with the same error as against a node', async () => {
    const node = cluster.nodes[0]?.[0];
    if (!node) throw new Error('no node');
    const attempt = async (port: number): Promise<string> => {
      const influx = new InfluxDB({ host: '127.0.0.1', port, database: 'npm_nope' });
      try {
        await influx.writePoints([{ measurement: 'npm_nope', fields: { v: 1 } }]);
        return 'no error';
      } catch (err) {
        return (err as Error).message;
      }
    };
    const direct = await attempt(node.port);
    expect(direct).toContain('database not found: \\"npm_nope\\"');
    // (influxd ends its JSON error body with a newline, which this client keeps; compared in bad-input.test.ts)
    expect((await attempt(proxyPort)).trimEnd()).toBe(direct.trimEnd());
  });
});

describe('@influxdata/influxdb-client (v2 write API at the proxy)', () => {
  it('writePoint and writeRecords to bucket demo/autogen, ns precision; flush and close', async () => {
    const api = new InfluxDBv2({ url: cluster.url, token: '' }).getWriteApi('', 'demo/autogen', 'ns', { maxRetries: 0, batchSize: 1000, flushInterval: 0 });
    api.writePoint(
      new Point('v2_types')
        .tag('host', 'a b')
        .tag('rack', 'r,1')
        .floatField('f', 2.75)
        .intField('i', -12)
        .stringField('s', 'line\nbreak "quoted"')
        .booleanField('b', false)
        .timestamp('1700000200000000001'),
    );
    api.writeRecords(['v2_types,host=c,rack=r2 f=1,i=1i,s="z",b=t 1700000200000000002', 'v2_types,host=d,rack=r3 f=0.5 1700000200000000003']);
    await api.flush();
    // more lines after a flush, and enough of them (> 1000 bytes) for the client to gzip the body
    const records: string[] = [];
    for (let i = 0; i < 60; i++) records.push(`v2_bulk,host=h${i % 3} v=${i}i,pad="${'x'.repeat(20)}" ${1_700_000_300_000_000_000n + BigInt(i)}`);
    api.writeRecords(records);
    await api.close();

    await expectOnEveryCircle(cluster, 'SELECT * FROM v2_types', [
      { time: '1700000200000000001', b: false, f: 2.75, host: 'a b', i: -12, rack: 'r,1', s: 'line\nbreak "quoted"' },
      { time: '1700000200000000002', b: true, f: 1, host: 'c', i: 1, rack: 'r2', s: 'z' },
      { time: '1700000200000000003', b: null, f: 0.5, host: 'd', i: null, rack: 'r3', s: null },
    ]);
    const bulk = await perCircle(cluster, 'SELECT count(v), sum(v) FROM v2_bulk');
    for (const rows of bulk) expect(rows).toEqual([{ time: 0, count: 60, sum: (59 * 60) / 2 }]);
  });

  it('bucket demo (no retention policy) with precision s', async () => {
    const api = new InfluxDBv2({ url: cluster.url, token: '' }).getWriteApi('', 'demo', 's', { maxRetries: 0 });
    api.writePoint(new Point('v2_seconds').tag('host', 'a').floatField('v', 1.25).timestamp(1_700_000_400));
    api.writePoint(new Point('v2_seconds').tag('host', 'b').intField('n', 3).timestamp(new Date('2023-11-14T22:20:01.750Z')));
    await api.close();
    await expectOnEveryCircle(cluster, 'SELECT * FROM v2_seconds', [
      { time: '1700000400000000000', host: 'a', n: null, v: 1.25 },
      { time: '1700000401000000000', host: 'b', n: 3, v: null },
    ]);
  });

  it('a bad line comes back as a v2 error (400, code "invalid") and the good lines are stored', async () => {
    // the client logs failed writes to the console: keep the test output clean, the error is checked below
    const logged: string[] = [];
    const previous = setLogger({ error: (message) => logged.push(message), warn: (message) => logged.push(message) });
    const api = new InfluxDBv2({ url: cluster.url, token: '' }).getWriteApi('', 'demo', 'ns', { maxRetries: 0 });
    api.writeRecords(['v2_partial,host=a v=1 1700000500000000000', 'v2_partial v=', 'v2_partial,host=b v=2 1700000500000000001']);
    const err = await api.close().then(
      () => null,
      (e: unknown) => e,
    );
    setLogger(previous);
    expect(err).toBeInstanceOf(HttpError);
    const httpError = err as HttpError;
    expect(httpError.statusCode).toBe(400);
    expect(JSON.parse(httpError.body ?? '')).toEqual({ code: 'invalid', message: "partial write: unable to parse 'v2_partial v=': missing field value dropped=0" });
    await expectOnEveryCircle(cluster, 'SELECT * FROM v2_partial', [
      { time: '1700000500000000000', host: 'a', v: 1 },
      { time: '1700000500000000001', host: 'b', v: 2 },
    ]);
  });
});
