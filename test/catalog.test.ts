// The catalog through the proxy, on 2 circles × 2 nodes: CREATE/DROP DATABASE and CREATE/ALTER/DROP
// RETENTION POLICY run on one up-to-date node, are recorded in Redis and applied to every node; a node
// that was down gets them when it returns, before it is active (serves reads, takes writes live); a
// statement influxd refuses gets influxd's error and is not recorded; the proxy's own database is not
// shown. Every node is checked directly.
import { describe, expect, it } from 'vitest';
import type { InfluxdServer } from '../deploy/local/influxd.js';
import type { TestCluster } from './helpers/cluster.js';
import { expectOnEveryCircle, post, rows, sortRows } from './helpers/influx.js';
import { faultTest, nodeHealth, ownerIn, waitActive, waitUntil } from './helpers/load.js';

const t = faultTest();

interface QueryAnswer {
  status: number;
  body: string;
}

/** A statement sent to `url` (the proxy or a node) by POST form. */
async function send(url: string, q: string, db?: string): Promise<QueryAnswer> {
  const params = new URLSearchParams({ q });
  if (db !== undefined) params.set('db', db);
  const response = await fetch(`${url}/query`, { method: 'POST', body: params });
  return { status: response.status, body: await response.text() };
}

/** Expects influxd's answer to a statement that succeeded. */
async function expectOk(url: string, q: string, db?: string): Promise<void> {
  const answer = await send(url, q, db);
  expect(answer, q).toEqual({ status: 200, body: '{"results":[{"statement_id":0}]}\n' });
}

async function databases(url: string): Promise<string[]> {
  return (await rows(url, '', 'SHOW DATABASES')).map((row) => String(row[0]));
}

/** SHOW RETENTION POLICIES on one node: name, duration, shard duration, replication, default. */
async function policies(url: string, db: string): Promise<unknown[][]> {
  return rows(url, db, `SHOW RETENTION POLICIES ON "${db}"`);
}

function allNodes(c: TestCluster): InfluxdServer[] {
  return c.nodes.flat();
}

describe('the catalog through the proxy', () => {
  it('CREATE DATABASE while a node is down: 200, the others have it at once, the down node gets it before it is active again', async () => {
    const c = await t.startCluster({ circles: [2, 2] });
    const down = c.node('a2');
    await down.stop();
    await waitUntil('a2 down in /health', async () => !(await nodeHealth(c.url, 'a2')).healthy, 10_000);

    await expectOk(c.url, 'CREATE DATABASE "cat_new"');
    for (const node of allNodes(c)) if (node !== down) expect(await databases(node.url), node.name).toContain('cat_new');
    expect(await databases(c.url)).toContain('cat_new');

    // Writes to the new database: a2's share is buffered.
    const names = Array.from({ length: 8 }, (_, i) => `cat_m${i}`);
    const ofA2 = names.filter((m) => ownerIn(c.nodes[0] ?? [], 'cat_new', m).name === 'a2');
    expect(ofA2.length, 'some measurements belong on a2').toBeGreaterThan(0);
    const lines = names.flatMap((m, i) => [`${m},host=x v=${i} 1700000000000000000`, `${m},host=y v=${i + 0.5} 1700000001000000000`]);
    const written = await post(c.url, '/write?db=cat_new', lines.join('\n'));
    expect(written.status, written.body).toBe(204);
    expect((await nodeHealth(c.url, 'a2')).active).toBe(false);

    await down.restart();
    // Until /health shows a2 active, it may lack the database; once active, it must have it (and its data).
    let sawUpWithout = false;
    await waitUntil(
      'a2 active',
      async () => {
        const health = await nodeHealth(c.url, 'a2');
        const has = (await databases(down.url)).includes('cat_new');
        if (health.active) {
          expect(has, 'a2 is active in /health but lacks cat_new').toBe(true);
          return health.buffered.points === 0 && !health.buffering;
        }
        if (!has) sawUpWithout = true;
        return false;
      },
      30_000,
      async () => JSON.stringify(await nodeHealth(c.url, 'a2')),
    );
    console.log(`catalog: a2 seen running without cat_new (and not active) before converging: ${sawUpWithout}`);
    expect(await databases(down.url)).toContain('cat_new');

    // More writes once it is back; then every circle holds every point.
    const more = names.map((m, i) => `${m},host=z v=${i + 0.25} 1700000002000000000`);
    const again = await post(c.url, '/write?db=cat_new', more.join('\n'));
    expect(again.status, again.body).toBe(204);
    const expected = names.flatMap((m, i) => [
      { time: '1700000000000000000', host: 'x', v: i },
      { time: '1700000001000000000', host: 'y', v: i + 0.5 },
      { time: '1700000002000000000', host: 'z', v: i + 0.25 },
    ]);
    await expectOnEveryCircle(c, `SELECT "host", "v" FROM ${names.join(', ')}`, sortRows(expected), { db: 'cat_new' });
    // and the proxy reads it back whole
    const count = JSON.parse((await send(c.url, `SELECT count("v") FROM /cat_m.*/`, 'cat_new')).body) as { results: { series: { values: number[][] }[] }[] };
    expect(count.results[0]?.series.map((s) => s.values[0]?.[1])).toEqual(names.map(() => 3));
  });

  it('CREATE, ALTER and DROP RETENTION POLICY reach every node, also one that was down during a change', async () => {
    const c = await t.startCluster({ circles: [2, 2] });
    await expectOk(c.url, 'CREATE DATABASE "cat_rps"');
    await expectOk(c.url, 'CREATE RETENTION POLICY "cat_rp" ON "cat_rps" DURATION 2h REPLICATION 1 SHARD DURATION 1h');
    for (const node of allNodes(c)) {
      expect(await policies(node.url, 'cat_rps'), node.name).toEqual([
        ['autogen', '0s', '168h0m0s', 1, true],
        ['cat_rp', '2h0m0s', '1h0m0s', 1, false],
      ]);
    }

    // b2 misses the ALTER and a second CREATE; it gets both, in order, when it returns.
    await c.node('b2').stop();
    await waitUntil('b2 down in /health', async () => !(await nodeHealth(c.url, 'b2')).healthy, 10_000);
    await expectOk(c.url, 'ALTER RETENTION POLICY "cat_rp" ON "cat_rps" DURATION 4h DEFAULT');
    await expectOk(c.url, 'CREATE RETENTION POLICY "cat_rp2" ON "cat_rps" DURATION 1d REPLICATION 1');
    const altered = [
      ['autogen', '0s', '168h0m0s', 1, false],
      ['cat_rp', '4h0m0s', '1h0m0s', 1, true],
      ['cat_rp2', '24h0m0s', '1h0m0s', 1, false],
    ];
    for (const node of allNodes(c)) if (node.name !== 'b2') expect(await policies(node.url, 'cat_rps'), node.name).toEqual(altered);
    // through the proxy too
    expect(JSON.parse((await send(c.url, 'SHOW RETENTION POLICIES ON "cat_rps"')).body).results[0].series[0].values).toEqual(altered);
    await c.node('b2').restart();
    await waitActive(c.url, 'b2');
    expect(await policies(c.node('b2').url, 'cat_rps'), 'b2 after its return').toEqual(altered);

    await expectOk(c.url, 'DROP RETENTION POLICY "cat_rp2" ON "cat_rps"');
    for (const node of allNodes(c)) expect(await policies(node.url, 'cat_rps'), node.name).toEqual(altered.slice(0, 2));
    // a write to the dropped policy is refused as influxd refuses it
    const refused = await post(c.url, '/write?db=cat_rps&rp=cat_rp2', 'm v=1');
    expect(refused.status).toBe(500);
    expect(refused.error).toContain('retention policy not found');
  });

  it('DROP DATABASE removes it from every node', async () => {
    const c = await t.startCluster({ circles: [2, 2] });
    await expectOk(c.url, 'CREATE DATABASE "cat_drop"');
    const written = await post(c.url, '/write?db=cat_drop', Array.from({ length: 10 }, (_, i) => `cat_d${i} v=${i} 1700000000000000000`).join('\n'));
    expect(written.status, written.body).toBe(204);
    for (const node of allNodes(c)) expect(await databases(node.url), node.name).toContain('cat_drop');

    await expectOk(c.url, 'DROP DATABASE "cat_drop"');
    for (const node of allNodes(c)) expect(await databases(node.url), node.name).not.toContain('cat_drop');
    expect(await databases(c.url)).not.toContain('cat_drop');
    const after = await post(c.url, '/write?db=cat_drop', 'cat_d0 v=1');
    expect({ status: after.status, error: after.error }).toEqual({ status: 404, error: 'database not found: "cat_drop"' });
    // created again, it is empty
    await expectOk(c.url, 'CREATE DATABASE "cat_drop"');
    for (const node of allNodes(c)) expect(await rows(node.url, 'cat_drop', 'SHOW MEASUREMENTS'), node.name).toEqual([]);
  });

  it('a statement influxd refuses gets influxd\'s error and is not recorded: a node that returns later does not get it', async () => {
    const c = await t.startCluster({ circles: [2, 2] });
    // A database only b2 has (made directly on it): a retention policy on it fails on every other node,
    // and would succeed on b2 if the failed statement were recorded and replayed to it.
    await expectOk(c.node('b2').url, 'CREATE DATABASE "cat_lonely"');
    await c.node('b2').stop();
    await waitUntil('b2 down in /health', async () => !(await nodeHealth(c.url, 'b2')).healthy, 10_000);

    const statement = 'CREATE RETENTION POLICY "cat_ghost" ON "cat_lonely" DURATION 1h REPLICATION 1';
    const direct = await send(c.node('a1').url, statement);
    expect(direct.body).toContain('database not found: cat_lonely');
    const proxied = await send(c.url, statement);
    expect(proxied).toEqual(direct);
    // Also a statement influxd cannot parse.
    const unparsable = 'CREATE RETENTION POLICY "x" ON "demo" DURATION REPLICATION 1';
    const parseDirect = await send(c.node('a1').url, unparsable);
    expect(parseDirect.status).toBe(400);
    expect(await send(c.url, unparsable)).toEqual(parseDirect);
    for (const node of [c.node('a1'), c.node('a2'), c.node('b1')]) expect(await policies(node.url, 'demo'), node.name).toEqual([['autogen', '0s', '168h0m0s', 1, true]]);

    // A valid change after the refused ones is recorded; b2 gets that one only.
    await expectOk(c.url, 'CREATE RETENTION POLICY "cat_real" ON "demo" DURATION 1h REPLICATION 1');
    await c.node('b2').restart();
    await waitActive(c.url, 'b2');
    expect(await policies(c.node('b2').url, 'cat_lonely'), 'b2 got the refused statement').toEqual([['autogen', '0s', '168h0m0s', 1, true]]);
    expect(await policies(c.node('b2').url, 'demo')).toEqual([
      ['autogen', '0s', '168h0m0s', 1, true],
      ['cat_real', '1h0m0s', '1h0m0s', 1, false],
    ]);
  });

  it("the proxy's own database _influxring is not shown by SHOW DATABASES through the proxy", async () => {
    const c = await t.startCluster({ circles: [2, 2], databases: ['demo', 'cat_other'] });
    for (const node of allNodes(c)) expect(await databases(node.url), node.name).toEqual(['demo', 'cat_other', '_influxring']);
    const shown = JSON.parse((await send(c.url, 'SHOW DATABASES')).body) as unknown;
    expect(shown).toEqual({ results: [{ statement_id: 0, series: [{ name: 'databases', columns: ['name'], values: [['demo'], ['cat_other']] }] }] });
    // also as CSV, and in a query of several statements
    const csv = await fetch(`${c.url}/query?q=SHOW+DATABASES`, { headers: { accept: 'application/csv' } });
    expect((await csv.text()).trimEnd().split('\n')).toEqual(['name,tags,name', 'databases,,demo', 'databases,,cat_other']);
    const two = JSON.parse((await send(c.url, 'SHOW DATABASES; SHOW DATABASES')).body) as { results: { series: { values: string[][] }[] }[] };
    for (const result of two.results) expect(result.series[0]?.values).toEqual([['demo'], ['cat_other']]);
  });

  it('CREATE DATABASE right after the first node died, before its health check: the statement runs on another node', async () => {
    // No health check after the first: the proxy still believes a1 (the first node) is healthy.
    const c = await t.startCluster({ circles: [2, 2], config: { health: { interval: '1h' } } });
    await c.node('a1').kill();
    expect((await nodeHealth(c.url, 'a1')).healthy).toBe(true);
    await expectOk(c.url, 'CREATE DATABASE "cat_after_death"');
    for (const node of allNodes(c)) if (node.name !== 'a1') expect(await databases(node.url), node.name).toContain('cat_after_death');
  });
});
