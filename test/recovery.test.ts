// Recovery and resync with real influxd nodes, Redis, the proxy and a worker process: a node wiped
// while out for maintenance is rebuilt from the other circle under write load, serving no reads until
// it is whole; a circle added under load is filled the same way; circles that missed writes behind the
// proxy's back are made identical again.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { admin } from './helpers/admin.js';
import type { TestCluster } from './helpers/cluster.js';
import { selectRows, sortRows } from './helpers/influx.js';
import { expectAckedEverywhere, waitUntil } from './helpers/load.js';
import { operationsTest, runJob } from './helpers/worker.js';

const t = operationsTest();

const MEASUREMENTS = Array.from({ length: 12 }, (_, i) => `rc_${i}`);

async function startOperable(circles: number[]): Promise<TestCluster> {
  return (await t.startOperable(circles)).cluster;
}

async function write(url: string, body: string): Promise<void> {
  const response = await fetch(`${url}/write?db=demo`, { method: 'POST', body });
  expect(response.status, await response.text()).toBe(204);
}

describe('recovery', () => {
  it('a node wiped while out for maintenance is rebuilt from the other circle under load, then serves reads again', async () => {
    const c = await startOperable([2, 2]);
    const load = t.startLoad({ url: c.url, name: 'recover', measurements: MEASUREMENTS, writers: 3, batchLines: 200 });
    await load.progress(60);
    expect((await admin(c.url, 'PATCH', '/admin/nodes/b1', { maintenance: true })).status).toBe(200);
    const b1 = c.node('b1');
    await b1.stop();
    for (const part of ['meta', 'data', 'wal']) rmSync(join(b1.dir, part), { recursive: true, force: true });
    await b1.restart();
    await load.progress(30);

    const recovered = await runJob(c.url, { type: 'recovery', node: 'b1' });
    console.log('recovery:', JSON.stringify({ result: recovered.job.result, logs: recovered.logs }));
    expect(recovered.job.result).toMatchObject({ nodes: ['b1'], source: 'circle-a' });
    const node = await admin<{ writeOnly: boolean; maintenance: boolean }>(c.url, 'GET', '/admin/nodes/b1');
    expect(node.body).toMatchObject({ writeOnly: false, maintenance: false });
    await waitUntil('b1 active', async () => (await admin<{ active: boolean }>(c.url, 'GET', '/admin/nodes/b1')).body.active, 20_000);
    await load.progress(30);
    await expectAckedEverywhere(load, [c.nodes[0] ?? [], c.nodes[1] ?? []], { noFailedAttempts: true });
  });
});

describe('a new circle', () => {
  it('added under load: write-only until a recovery of the circle fills it, then a full second copy that serves reads', async () => {
    const c = await startOperable([2]);
    const load = t.startLoad({ url: c.url, name: 'second-copy', measurements: MEASUREMENTS, writers: 3, batchLines: 200 });
    await load.progress(40);
    const extra = await t.startExtraNode(c, 'x1');
    const added = await admin<{ name: string; nodes: { name: string; writeOnly: boolean }[] }>(c.url, 'POST', '/admin/circles', { name: 'circle-x', nodes: [{ name: 'x1', url: extra.url }] });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body.nodes).toMatchObject([{ name: 'x1', writeOnly: true }]);
    await load.progress(40);
    const recovered = await runJob(c.url, { type: 'recovery', circle: 'circle-x' });
    expect(recovered.job.result).toMatchObject({ nodes: ['x1'], source: 'circle-a' });
    await waitUntil('x1 active', async () => (await admin<{ active: boolean }>(c.url, 'GET', '/admin/nodes/x1')).body.active, 20_000);
    await load.progress(30);
    await expectAckedEverywhere(load, [c.nodes[0] ?? [], [extra]], { noFailedAttempts: true });
  });
});

describe('resync', () => {
  it('circles that missed writes (made behind the proxy) become identical: the union on every circle', async () => {
    const c = await startOperable([1, 1]);
    await write(c.url, 'rs_cpu,host=a v=1 1700000000000000000\nrs_cpu,host=b v=2 1700000000000000000');
    const [a1, b1] = [c.node('a1'), c.node('b1')];
    // circle a alone got these (a whole measurement, a series, a point), circle b alone those
    await write(a1.url, 'rs_only_a,host=x s="text \\"quoted\\"",n=7i,f=1.5,ok=true 1700000000000000001\nrs_cpu,host=c v=3 1700000000000000002\nrs_cpu,host=a v=4 1700000000000000003');
    await write(b1.url, 'rs_cpu,host=b v=5 1700000000000000004\nrs_only_b v=6 1700000000000000005');
    const resynced = await runJob(c.url, { type: 'resync' });
    console.log('resync:', JSON.stringify({ result: resynced.job.result, logs: resynced.logs }));
    expect(resynced.job.result).toMatchObject({ compared: 3, repaired: 3 });
    for (const measurement of ['rs_cpu', 'rs_only_a', 'rs_only_b']) {
      const q = `SELECT * FROM ${measurement}`;
      const [onA, onB] = await Promise.all([selectRows(a1.url, q, { db: 'demo' }), selectRows(b1.url, q, { db: 'demo' })]);
      expect(sortRows(onA), measurement).toEqual(sortRows(onB));
    }
    expect(await selectRows(b1.url, 'SELECT * FROM rs_only_a', { db: 'demo' })).toEqual([{ time: '1700000000000000001', host: 'x', s: 'text "quoted"', n: 7, f: 1.5, ok: true }]);
    expect(await selectRows(a1.url, 'SELECT COUNT(v) FROM rs_cpu', { db: 'demo' })).toMatchObject([{ count: 5 }]);
    // field types survive the copy: an integer stays an integer
    const types = await selectRows(b1.url, 'SHOW FIELD KEYS FROM rs_only_a', { db: 'demo' });
    expect(sortRows(types)).toEqual(sortRows([
      { fieldKey: 'f', fieldType: 'float' },
      { fieldKey: 'n', fieldType: 'integer' },
      { fieldKey: 'ok', fieldType: 'boolean' },
      { fieldKey: 's', fieldType: 'string' },
    ]));
    // a second resync finds nothing to repair
    expect((await runJob(c.url, { type: 'resync' })).job.result).toMatchObject({ compared: 3, repaired: 0 });
  });
});
