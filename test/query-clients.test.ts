// Real clients read through the proxy: the `influx` CLI (1.6), the `influx` npm package (v1 API) and
// the queries Grafana's InfluxQL data source sends, on 2 circles × 2 nodes. Each answer is compared
// with what a node holding the data answers to the same query (the owner of a measurement holds all of
// it), or with the union of a circle's nodes for statements that span every node. Also the response
// forms: gzip, pretty=true, CSV.
import { gunzipSync } from 'node:zlib';
import { InfluxDB, type IResults } from 'influx';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from './helpers/cluster.js';
import { influxCli } from './helpers/influx-cli.js';
import { expectOnEveryCircle, measurements, post, rows } from './helpers/influx.js';
import { ownerIn } from './helpers/load.js';

let cluster: TestCluster;
let proxyPort: number;

const MINUTE = 60_000;
/** Two hours ago, on a minute: every point is inside Grafana's `now() - 6h` and a 2h retention policy's shard. */
const BASE = Math.floor(Date.now() / MINUTE) * MINUTE - 120 * MINUTE;
const HOSTS = ['h0', 'h1', 'h2'];
/** Owners (circle A / circle B): qc_cpu a1/b2, qc_mem a1/b1, qc_net a2/b2, qc_load a2/b1 — checked in beforeAll. */
const MEASUREMENTS = ['qc_cpu', 'qc_mem', 'qc_net', 'qc_load'];
const POINTS = 60;

/** The value of point i of host h in measurement m (distinct everywhere, exact as a double). */
function value(m: number, h: number, i: number): number {
  return m * 1000 + h * 100 + i + 0.25;
}

beforeAll(async () => {
  cluster = await startCluster({ circles: [2, 2] });
  proxyPort = Number(new URL(cluster.url).port);
  const owners = MEASUREMENTS.map((m) => `${ownerIn(cluster.nodes[0] ?? [], 'demo', m).name}/${ownerIn(cluster.nodes[1] ?? [], 'demo', m).name}`);
  expect(owners, 'each measurement has its own pair of owners').toEqual(['a1/b2', 'a1/b1', 'a2/b2', 'a2/b1']);
  const lines: string[] = [];
  MEASUREMENTS.forEach((m, mi) => {
    HOSTS.forEach((host, h) => {
      for (let i = 0; i < POINTS; i++) lines.push(`${m},host=${host},region=r${h % 2} v=${value(mi, h, i)},n=${i}i ${BASE + i * MINUTE}`);
    });
  });
  const answer = await post(cluster.url, '/write?db=demo&precision=ms', lines.join('\n'));
  expect(answer.status, answer.body).toBe(204);
});

afterAll(async () => {
  await cluster?.stop();
});

// ---------------------------------------------------------------------------------------------------
// helpers

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as sent (not decompressed). */
  raw: Buffer;
  text: string;
}

/** GET /query with the parameters in the URL, as Grafana sends it; the body is not decompressed. */
async function getQuery(url: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await request(`${url}/query?${new URLSearchParams(params).toString()}`, { method: 'GET', headers });
  const raw = Buffer.from(await response.body.arrayBuffer());
  return { status: response.statusCode, headers: response.headers, raw, text: raw.toString('utf8') };
}

/** POST /query with the parameters in a form body. */
async function postQuery(url: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await request(`${url}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
  const raw = Buffer.from(await response.body.arrayBuffer());
  return { status: response.statusCode, headers: response.headers, raw, text: raw.toString('utf8') };
}

function nodeUrl(name: string): string {
  return cluster.node(name).url;
}

/** The owners of `demo,m` in circle A and in circle B. */
function owners(m: string): [string, string] {
  return [ownerIn(cluster.nodes[0] ?? [], 'demo', m).url, ownerIn(cluster.nodes[1] ?? [], 'demo', m).url];
}

/**
 * Sends `params` to the proxy and to the owners of `m` in both circles (GET, as Grafana does) and
 * expects the same status and JSON. A query relative to now() may change between two answers when a
 * minute boundary passes: the owners are asked before and after the proxy, and the comparison is
 * made once both agree.
 */
async function expectSameAsOwners(m: string, params: Record<string, string>): Promise<unknown> {
  for (let attempt = 1; ; attempt++) {
    const [a, b] = owners(m);
    const before = await getQuery(a, params);
    const proxied = await getQuery(cluster.url, params);
    const after = await getQuery(b, params);
    if (before.text !== after.text && attempt < 3) continue;
    expect(after.text, 'both owners answer the same').toBe(before.text);
    expect(proxied.status).toBe(before.status);
    expect(JSON.parse(proxied.text), `${params.q}`).toEqual(JSON.parse(before.text));
    return JSON.parse(proxied.text);
  }
}

/** The sorted union of a one-column SHOW answer over the nodes of one circle. */
async function unionOnCircle(c: number, db: string, q: string): Promise<string[]> {
  const all = new Set<string>();
  for (const node of cluster.nodes[c] ?? []) for (const row of await rows(node.url, db, q)) all.add(String(row[0]));
  return [...all].sort();
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

// ---------------------------------------------------------------------------------------------------

describe('the influx CLI (1.6) against the proxy', () => {
  it('-execute SELECT (column format) prints what the owner node prints', async () => {
    const args = ['-database', 'demo', '-execute', `SELECT "v", "n" FROM qc_cpu WHERE host = 'h1'`];
    const proxied = await influxCli(proxyPort, args);
    expect(proxied.code, JSON.stringify(proxied)).toBe(0);
    expect(proxied.stderr).toBe('');
    const lines = proxied.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('name: qc_cpu');
    expect(lines[1]?.split(/\s+/)).toEqual(['time', 'v', 'n']);
    const data = lines.slice(3).map((line) => line.trim().split(/\s+/));
    expect(data).toEqual(Array.from({ length: POINTS }, (_, i) => [`${BASE + i * MINUTE}000000`, String(value(0, 1, i)), String(i)]));
    for (const url of owners('qc_cpu')) expect(proxied).toEqual(await influxCli(Number(new URL(url).port), args));
  });

  it('-execute SHOW MEASUREMENTS lists the measurements of every node', async () => {
    const proxied = await influxCli(proxyPort, ['-database', 'demo', '-execute', 'SHOW MEASUREMENTS']);
    expect(proxied.code, JSON.stringify(proxied)).toBe(0);
    const names = proxied.stdout.trimEnd().split('\n').slice(3);
    expect(names).toEqual(await unionOnCircle(0, 'demo', 'SHOW MEASUREMENTS'));
    expect(names).toEqual(expect.arrayContaining(MEASUREMENTS));
  });

  it('-format json: SHOW MEASUREMENTS and a SELECT', async () => {
    const shown = await influxCli(proxyPort, ['-database', 'demo', '-format', 'json', '-execute', 'SHOW MEASUREMENTS']);
    expect(shown.code, JSON.stringify(shown)).toBe(0);
    const body = JSON.parse(shown.stdout) as { results: { series: { name: string; columns: string[]; values: string[][] }[] }[] };
    expect(body.results[0]?.series).toEqual([{ name: 'measurements', columns: ['name'], values: (await unionOnCircle(1, 'demo', 'SHOW MEASUREMENTS')).map((m) => [m]) }]);

    const args = ['-database', 'demo', '-format', 'json', '-execute', `SELECT count("v"), sum("n") FROM qc_load GROUP BY "host"`];
    const proxied = await influxCli(proxyPort, args);
    // the CLI asks for chunks and prints each series (one chunk each) as a result of its own
    const selected = JSON.parse(proxied.stdout) as { results: { series: { tags: { host: string }; values: number[][] }[] }[] };
    const series = selected.results.flatMap((r) => r.series);
    expect(series.map((s) => [s.tags.host, s.values[0]?.[1], s.values[0]?.[2]])).toEqual(HOSTS.map((h) => [h, POINTS, (POINTS * (POINTS - 1)) / 2]));
    const [owner] = owners('qc_load');
    expect(proxied).toEqual(await influxCli(Number(new URL(owner).port), args));
  });

  it('-format csv -precision rfc3339: a query of two measurements on different nodes', async () => {
    const q = `SELECT "v" FROM qc_cpu, qc_net WHERE host = 'h2' AND time < ${BASE + 3 * MINUTE}ms`;
    const proxied = await influxCli(proxyPort, ['-database', 'demo', '-format', 'csv', '-precision', 'rfc3339', '-execute', q]);
    expect(proxied.code, JSON.stringify(proxied)).toBe(0);
    const expected = ['qc_cpu', 'qc_net'].flatMap((m) => ['name,time,v', ...[0, 1, 2].map((i) => `${m},${rfc3339(BASE + i * MINUTE)},${value(MEASUREMENTS.indexOf(m), 2, i)}`)]);
    expect(proxied.stdout.trimEnd().split('\n')).toEqual(expected);
  });

  it('-precision rfc3339 (column format) on one measurement', async () => {
    const args = ['-database', 'demo', '-precision', 'rfc3339', '-execute', `SELECT "v" FROM qc_mem WHERE host = 'h0' LIMIT 2`];
    const proxied = await influxCli(proxyPort, args);
    expect(proxied.stdout).toContain(`${rfc3339(BASE)} ${value(1, 0, 0)}`);
    expect(proxied.stdout).toContain(`${rfc3339(BASE + MINUTE)} ${value(1, 0, 1)}`);
    expect(proxied).toEqual(await influxCli(Number(new URL(owners('qc_mem')[1]).port), args));
  });

  it('queries sent by GET, by POST form and by POST with the parameters in the URL (as the CLI does) get the same answer', async () => {
    const params = { db: 'demo', q: `SELECT * FROM qc_net WHERE host = 'h0' LIMIT 5`, epoch: 'ns' };
    const [owner] = owners('qc_net');
    const expected = (await getQuery(owner, params)).text;
    expect(JSON.parse(expected).results[0].series[0].values).toHaveLength(5);
    expect((await getQuery(cluster.url, params)).text).toBe(expected);
    expect((await postQuery(cluster.url, params)).text).toBe(expected);
    // the CLI's way: POST, every parameter in the query string, no body and no Content-Type
    const response = await request(`${cluster.url}/query?${new URLSearchParams({ ...params, chunked: 'true' }).toString()}`, { method: 'POST' });
    const chunked = await response.body.text();
    expect(response.statusCode).toBe(200);
    expect(chunked).toBe(await (await request(`${owner}/query?${new URLSearchParams({ ...params, chunked: 'true' }).toString()}`, { method: 'POST' })).body.text());
    // the form body wins over the query string, as in influxd
    const both = await request(`${cluster.url}/query?q=${encodeURIComponent('SHOW DATABASES')}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
    });
    expect(await both.body.text()).toBe(expected);
  });
});

describe('the influx npm package (v1 client) against the proxy', () => {
  const client = (port: number, database = 'demo'): InfluxDB => new InfluxDB({ host: '127.0.0.1', port, database });

  it('getDatabaseNames lists the databases of the nodes, without the proxy\'s own', async () => {
    const names = await client(proxyPort).getDatabaseNames();
    const onNode = await client(cluster.nodes[0]?.[0]?.port ?? 0).getDatabaseNames();
    expect(onNode).toContain('_influxring');
    expect(names).toContain('demo');
    expect(names).not.toContain('_influxring');
    expect(names).toEqual(onNode.filter((db) => db !== '_influxring'));
  });

  it('getMeasurements lists the measurements of every node', async () => {
    expect(await client(proxyPort).getMeasurements()).toEqual(await unionOnCircle(0, 'demo', 'SHOW MEASUREMENTS'));
  });

  it('query: SELECT with GROUP BY a tag, by GET and by POST, equals the owner node\'s answer', async () => {
    const q = `SELECT mean("v") AS "mean", max("n") AS "max" FROM qc_mem GROUP BY "region"`;
    const expectedRows = await client(ownerIn(cluster.nodes[0] ?? [], 'demo', 'qc_mem').port).query(q);
    expect(expectedRows.groups().map((g) => g.tags)).toEqual([{ region: 'r0' }, { region: 'r1' }]);
    for (const method of ['GET', 'POST'] as const) {
      const got = await client(proxyPort).query(q, { method });
      expect(got, method).toEqual(expectedRows);
      expect(got.groups(), method).toEqual(expectedRows.groups());
    }
    // r1 is host h1 only
    expect(expectedRows.group({ region: 'r1' })).toEqual([expect.objectContaining({ max: POINTS - 1, mean: value(1, 1, 0) + (POINTS - 1) / 2 })]);
  });

  it('query: one statement over two measurements, and two statements at once', async () => {
    const q = `SELECT "v", "host" FROM qc_cpu, qc_load WHERE time < ${BASE + 2 * MINUTE}ms`;
    const got = await client(proxyPort).query<{ v: number; host: string }>(q);
    const cpu = await client(ownerIn(cluster.nodes[0] ?? [], 'demo', 'qc_cpu').port).query(`SELECT "v", "host" FROM qc_cpu WHERE time < ${BASE + 2 * MINUTE}ms`);
    const load = await client(ownerIn(cluster.nodes[1] ?? [], 'demo', 'qc_load').port).query(`SELECT "v", "host" FROM qc_load WHERE time < ${BASE + 2 * MINUTE}ms`);
    expect(got.length).toBe(12);
    expect([...got]).toEqual([...cpu, ...load]);
    expect(got.map((row) => row.v).sort()).toEqual([0, 3].flatMap((m) => HOSTS.flatMap((_, h) => [value(m, h, 0), value(m, h, 1)])).sort());

    const both = await client(proxyPort).query<{ count: number }>([`SELECT count("v") FROM qc_cpu`, `SELECT count("v") FROM qc_net WHERE host = 'h2'`]);
    expect(both).toHaveLength(2);
    const [first, second] = both as unknown as IResults<{ count: number }>[];
    expect(first?.[0]?.count).toBe(POINTS * HOSTS.length);
    expect(second?.[0]?.count).toBe(POINTS);
  });

  it('createDatabase, then writePoints into it and query it, all through the proxy', async () => {
    const proxy = client(proxyPort, 'qc_npm_db');
    await proxy.createDatabase('qc_npm_db');
    for (const node of cluster.nodes.flat()) expect(await client(node.port).getDatabaseNames(), node.name).toContain('qc_npm_db');
    await proxy.writePoints(
      [
        { measurement: 'npm_new', tags: { host: 'x' }, fields: { v: 1.5 }, timestamp: new Date(BASE) },
        { measurement: 'npm_new', tags: { host: 'y' }, fields: { v: 2.5 }, timestamp: new Date(BASE + MINUTE) },
      ],
      { precision: 'ms' },
    );
    const got = await proxy.query<{ host: string; v: number }>('SELECT "host", "v" FROM npm_new');
    expect(got.map((row) => [row.time.getTime(), row.host, row.v])).toEqual([
      [BASE, 'x', 1.5],
      [BASE + MINUTE, 'y', 2.5],
    ]);
    await expectOnEveryCircle(cluster, 'SELECT * FROM npm_new', [
      { time: `${BASE}000000`, host: 'x', v: 1.5 },
      { time: `${BASE + MINUTE}000000`, host: 'y', v: 2.5 },
    ], { db: 'qc_npm_db' });
  });

  it('createRetentionPolicy, then writePoints and query with that retention policy', async () => {
    const proxy = client(proxyPort, 'qc_npm_rp');
    await proxy.createDatabase('qc_npm_rp');
    await proxy.createRetentionPolicy('qc_short', { database: 'qc_npm_rp', duration: '3h', replication: 1 });
    for (const node of cluster.nodes.flat()) {
      const policies = await rows(node.url, 'qc_npm_rp', 'SHOW RETENTION POLICIES ON "qc_npm_rp"');
      expect(policies.map((p) => [p[0], p[1]]), node.name).toEqual([
        ['autogen', '0s'],
        ['qc_short', '3h0m0s'],
      ]);
    }
    expect((await proxy.showRetentionPolicies('qc_npm_rp')).map((p) => p.name)).toEqual(['autogen', 'qc_short']);
    await proxy.writePoints([{ measurement: 'npm_rp', tags: { host: 'x' }, fields: { v: 7 }, timestamp: new Date(BASE + 5 * MINUTE) }], {
      retentionPolicy: 'qc_short',
      precision: 'ms',
    });
    const got = await proxy.query<{ v: number }>('SELECT "v" FROM npm_rp', { retentionPolicy: 'qc_short' });
    expect(got.map((row) => [row.time.getTime(), row.v])).toEqual([[BASE + 5 * MINUTE, 7]]);
    const qualified = await proxy.query<{ v: number }>('SELECT "v" FROM "qc_npm_rp"."qc_short"."npm_rp"');
    expect(qualified.map((row) => row.v)).toEqual([7]);
    // nothing in the default retention policy
    expect(await proxy.query('SELECT "v" FROM npm_rp')).toHaveLength(0);
    await expectOnEveryCircle(cluster, 'SELECT * FROM "qc_short"."npm_rp"', [{ time: `${BASE + 5 * MINUTE}000000`, host: 'x', v: 7 }], { db: 'qc_npm_rp' });
  });

  it('dropMeasurement removes the measurement from every node', async () => {
    const proxy = client(proxyPort);
    const points = ['qc_drop', 'qc_keep'].flatMap((measurement) => HOSTS.map((host, h) => ({ measurement, tags: { host }, fields: { v: h }, timestamp: new Date(BASE + h * MINUTE) })));
    await proxy.writePoints(points, { precision: 'ms' });
    const holders = cluster.nodes.map((circle) => ownerIn(circle, 'demo', 'qc_drop'));
    for (const node of holders) expect(await measurements(node.url, 'demo'), node.name).toContain('qc_drop');
    await proxy.dropMeasurement('qc_drop');
    for (const node of cluster.nodes.flat()) expect(await measurements(node.url, 'demo'), node.name).not.toContain('qc_drop');
    expect(await proxy.getMeasurements()).not.toContain('qc_drop');
    expect(await proxy.query('SELECT * FROM qc_drop')).toHaveLength(0);
    await expectOnEveryCircle(cluster, 'SELECT "v" FROM qc_keep', HOSTS.map((_, h) => ({ time: `${BASE + h * MINUTE}000000`, v: h })));
  });
});

describe("the queries of Grafana's InfluxQL data source (GET /query, epoch=ms)", () => {
  const grafana = (q: string): Record<string, string> => ({ db: 'demo', q, epoch: 'ms' });

  it('SHOW MEASUREMENTS WITH MEASUREMENT =~ /…/ LIMIT 100: the measurements of every node', async () => {
    const proxied = await getQuery(cluster.url, grafana('SHOW MEASUREMENTS WITH MEASUREMENT =~ /qc_(cpu|net|load)/ LIMIT 100'));
    expect(proxied.status).toBe(200);
    const expected = { results: [{ statement_id: 0, series: [{ name: 'measurements', columns: ['name'], values: [['qc_cpu'], ['qc_load'], ['qc_net']] }] }] };
    expect(JSON.parse(proxied.text)).toEqual(expected);
    // each circle's nodes together hold exactly these
    for (const c of [0, 1]) expect(await unionOnCircle(c, 'demo', 'SHOW MEASUREMENTS WITH MEASUREMENT =~ /qc_(cpu|net|load)/')).toEqual(['qc_cpu', 'qc_load', 'qc_net']);
    // LIMIT applies to the union, not per node
    const limited = await getQuery(cluster.url, grafana('SHOW MEASUREMENTS WITH MEASUREMENT =~ /qc_(cpu|mem|net|load)/ LIMIT 2 OFFSET 1'));
    expect(JSON.parse(limited.text).results[0].series[0].values).toEqual([['qc_load'], ['qc_mem']]);
  });

  it('SHOW TAG KEYS FROM m', async () => {
    const body = await expectSameAsOwners('qc_net', grafana('SHOW TAG KEYS FROM "qc_net"'));
    expect(body).toEqual({ results: [{ statement_id: 0, series: [{ name: 'qc_net', columns: ['tagKey'], values: [['host'], ['region']] }] }] });
  });

  it('SHOW TAG VALUES FROM m WITH KEY = "host"', async () => {
    const body = await expectSameAsOwners('qc_mem', grafana('SHOW TAG VALUES FROM "qc_mem" WITH KEY = "host"'));
    expect((body as { results: { series: { values: string[][] }[] }[] }).results[0]?.series[0]?.values).toEqual(HOSTS.map((h) => ['host', h]));
  });

  it('SHOW FIELD KEYS FROM m', async () => {
    const body = await expectSameAsOwners('qc_cpu', grafana('SHOW FIELD KEYS FROM "qc_cpu"'));
    expect((body as { results: { series: { values: string[][] }[] }[] }).results[0]?.series[0]?.values).toEqual([
      ['n', 'integer'],
      ['v', 'float'],
    ]);
  });

  it('SELECT mean("v") … WHERE time >= now() - 6h GROUP BY time(1m), "host" fill(null)', async () => {
    const q = 'SELECT mean("v") FROM "qc_load" WHERE time >= now() - 6h GROUP BY time(1m), "host" fill(null)';
    const body = (await expectSameAsOwners('qc_load', grafana(q))) as { results: { series: { tags: { host: string }; values: [number, number | null][] }[] }[] };
    const series = body.results[0]?.series ?? [];
    expect(series.map((s) => s.tags.host)).toEqual(HOSTS);
    for (const [h, s] of series.entries()) {
      const filled = s.values.filter(([, v]) => v !== null);
      expect(filled).toEqual(Array.from({ length: POINTS }, (_, i) => [BASE + i * MINUTE, value(3, h, i)]));
      expect(s.values.length).toBeGreaterThan(300);
    }
  });

  it('two panel targets in one request (q1;q2): each statement equals its owner\'s answer', async () => {
    const q1 = `SELECT mean("v") FROM "qc_cpu" WHERE time >= ${BASE}ms AND time < ${BASE + 10 * MINUTE}ms GROUP BY time(5m) fill(null)`;
    const q2 = `SELECT max("n") FROM "qc_net" WHERE time >= ${BASE}ms AND time < ${BASE + 10 * MINUTE}ms GROUP BY time(5m), "host" fill(none)`;
    const proxied = JSON.parse((await getQuery(cluster.url, grafana(`${q1};${q2}`))).text) as { results: { statement_id: number }[] };
    const one = JSON.parse((await getQuery(owners('qc_cpu')[0], grafana(q1))).text) as { results: { statement_id: number }[] };
    const two = JSON.parse((await getQuery(owners('qc_net')[1], grafana(q2))).text) as { results: { statement_id: number }[] };
    expect(proxied).toEqual({ results: [one.results[0], { ...two.results[0], statement_id: 1 }] });
  });
});

describe('response forms', () => {
  const single = { db: 'demo', q: `SELECT * FROM qc_mem WHERE host = 'h2' LIMIT 4` };
  const merged = { db: 'demo', q: `SELECT "v" FROM qc_mem, qc_net WHERE host = 'h2' LIMIT 4` };

  it('Accept-Encoding: gzip gets a gzip body that decodes to the same JSON (one node, merged, several statements)', async () => {
    for (const params of [single, merged, { db: 'demo', q: 'SHOW MEASUREMENTS' }, { db: 'demo', q: `${single.q}; ${merged.q}` }]) {
      const plain = await getQuery(cluster.url, params);
      const gzipped = await getQuery(cluster.url, params, { 'accept-encoding': 'gzip' });
      expect(gzipped.status, params.q).toBe(200);
      expect(gzipped.headers['content-encoding'], params.q).toBe('gzip');
      expect(gzipped.raw.subarray(0, 2).toString('hex'), params.q).toBe('1f8b');
      expect(plain.headers['content-encoding'], params.q).toBeUndefined();
      const decoded = gunzipSync(gzipped.raw).toString('utf8');
      expect(JSON.parse(decoded), params.q).toEqual(JSON.parse(plain.text));
      expect(JSON.parse(plain.text).results[0].series.length, params.q).toBeGreaterThan(0);
    }
    // a POST gets it the same way
    const posted = await postQuery(cluster.url, single, { 'accept-encoding': 'gzip, deflate' });
    expect(JSON.parse(gunzipSync(posted.raw).toString('utf8'))).toEqual(JSON.parse((await getQuery(owners('qc_mem')[0], single)).text));
  });

  it('pretty=true on a one-node statement: valid JSON, byte for byte what influxd sends (statement_id was printed as [object Object])', async () => {
    const [owner] = owners('qc_mem');
    const expected = await getQuery(owner, { ...single, pretty: 'true' });
    expect(expected.text).toContain('\n    "results": [');
    const proxied = await getQuery(cluster.url, { ...single, pretty: 'true' });
    expect(proxied.status).toBe(200);
    expect(proxied.text).toContain('"statement_id": 0,');
    expect(() => JSON.parse(proxied.text), proxied.text.slice(0, 120)).not.toThrow();
    expect(proxied.text).toBe(expected.text);
  });

  it('pretty=true on merged statements: indented like influxd, same content as compact', async () => {
    for (const params of [merged, { db: 'demo', q: 'SHOW MEASUREMENTS' }]) {
      const compact = await getQuery(cluster.url, params);
      const pretty = await getQuery(cluster.url, { ...params, pretty: 'true' });
      expect(pretty.text, params.q).toContain('\n    "results": [\n        {\n            "statement_id": 0,');
      expect(JSON.parse(pretty.text), params.q).toEqual(JSON.parse(compact.text));
    }
  });

  it('Accept: application/csv: CSV as influxd writes it, for one node and for a merge', async () => {
    const csv = { accept: 'application/csv' };
    const [owner] = owners('qc_mem');
    const expected = await getQuery(owner, single, csv);
    expect(expected.text.split('\n')[0]).toBe('name,tags,time,host,n,region,v');
    const proxied = await getQuery(cluster.url, single, csv);
    expect(proxied.status).toBe(200);
    expect(proxied.headers['content-type']).toMatch(/^text\/csv/);
    expect(proxied.text).toBe(expected.text);

    // two measurements: influxd's CSV of each, one after the other under one header
    const parts = await Promise.all(
      ['qc_mem', 'qc_net'].map(async (m) => (await getQuery(owners(m)[1], { db: 'demo', q: `SELECT "v" FROM ${m} WHERE host = 'h2' LIMIT 4` }, csv)).text),
    );
    const [memCsv, netCsv] = parts as [string, string];
    const both = await getQuery(cluster.url, merged, csv);
    expect(both.text.trimEnd().split('\n')).toEqual([...memCsv.trimEnd().split('\n'), ...netCsv.trimEnd().split('\n').slice(1)]);

    // a one-column list merged over every node
    const list = await postQuery(cluster.url, { db: 'demo', q: 'SHOW MEASUREMENTS WITH MEASUREMENT =~ /qc_(mem|load)/' }, csv);
    expect(list.text.trimEnd().split('\n')).toEqual(['name,tags,name', 'measurements,,qc_load', 'measurements,,qc_mem']);
  });
});
