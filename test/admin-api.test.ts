// The admin API on real proxies sharing one Redis: the token, schema errors, the OpenAPI document, the
// topology views, replicas, node flags; and a node added through one proxy is routed to by the other
// within a second.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../deploy/local/free-port.js';
import { startInfluxd, type InfluxdServer } from '../deploy/local/influxd.js';
import { createLogger } from '../proxy/logger.js';
import { createProxy, type Proxy } from '../proxy/server.js';
import { admin, ADMIN_TOKEN } from './helpers/admin.js';
import { startCluster, type TestCluster } from './helpers/cluster.js';
import { rows } from './helpers/influx.js';
import { waitUntil } from './helpers/load.js';

let cluster: TestCluster;
let second: Proxy;
let secondUrl: string;
let extra: InfluxdServer;

beforeAll(async () => {
  cluster = await startCluster({ circles: [2], config: { admin: { token: ADMIN_TOKEN } } });
  const port = await freePort();
  second = await createProxy({ ...cluster.config, listen: `127.0.0.1:${port}` }, { log: createLogger('warn') });
  await second.listen();
  secondUrl = `http://127.0.0.1:${port}`;
  extra = await startInfluxd({ name: 'a3', dir: join(cluster.dir, 'a3') });
});

afterAll(async () => {
  await second?.close();
  await extra?.stop();
  await cluster?.stop();
});

describe('admin API: token and input', () => {
  it('answers 401 without a token and with a wrong one, with the error code', async () => {
    expect(await admin(cluster.url, 'GET', '/admin/circles', undefined, null)).toEqual({
      status: 401,
      body: { error: 'admin API: send the admin token as "Authorization: Bearer <token>"', code: 'IRX_ERR_ADMIN_UNAUTHORIZED' },
    });
    expect(await admin(cluster.url, 'GET', '/admin/circles', undefined, 'not-the-token')).toEqual({
      status: 401,
      body: { error: 'admin API: wrong token', code: 'IRX_ERR_ADMIN_TOKEN_WRONG' },
    });
    expect((await admin(cluster.url, 'POST', '/admin/jobs', { type: 'cleanup' }, null)).status).toBe(401);
  });

  it('answers 400 with the schema error for invalid bodies and parameters', async () => {
    const noUrl = await admin(cluster.url, 'POST', '/admin/circles/circle-a/nodes', { name: 'x1' });
    expect(noUrl.status).toBe(400);
    expect(noUrl.body).toMatchObject({ code: 'IRX_ERR_ADMIN_INVALID' });
    expect((noUrl.body as { error: string }).error).toMatch(/^invalid request: body: url: /);

    const extraKey = await admin(cluster.url, 'PATCH', '/admin/nodes/a1', { writeOnly: true, colour: 'red' });
    expect(extraKey.status).toBe(400);
    expect((extraKey.body as { error: string }).error).toMatch(/colour/);

    const wrongType = await admin(cluster.url, 'PATCH', '/admin/nodes/a1', { maintenance: 'yes' });
    expect(wrongType.status).toBe(400);
    expect((wrongType.body as { error: string }).error).toMatch(/maintenance/);

    const empty = await admin(cluster.url, 'PATCH', '/admin/nodes/a1', {});
    expect(empty.status).toBe(400);

    const notJson = await admin(cluster.url, 'POST', '/admin/jobs', '{"type": ');
    expect(notJson.status).toBe(400);
    expect(notJson.body).toMatchObject({ code: 'IRX_ERR_ADMIN_INVALID' });

    const badJob = await admin(cluster.url, 'POST', '/admin/jobs', { type: 'defragment' });
    expect(badJob.status).toBe(400);
    expect((badJob.body as { error: string }).error).toMatch(/type/);

    const rebalanceWithoutCircle = await admin(cluster.url, 'POST', '/admin/jobs', { type: 'rebalance' });
    expect(rebalanceWithoutCircle.status).toBe(400);
    expect((rebalanceWithoutCircle.body as { error: string }).error).toMatch(/circle/);

    const replicaWithoutDb = await admin(cluster.url, 'GET', '/admin/replica?measurement=cpu');
    expect(replicaWithoutDb.status).toBe(400);
    expect((replicaWithoutDb.body as { error: string }).error).toMatch(/^invalid request: query: db: /);

    const badJobId = await admin(cluster.url, 'GET', '/admin/jobs/abc');
    expect(badJobId.status).toBe(400);
  });

  it('answers 404 for unknown circles, nodes, jobs and routes', async () => {
    expect(await admin(cluster.url, 'GET', '/admin/circles/nope')).toEqual({ status: 404, body: { error: 'no circle named nope', code: 'IRX_ERR_ADMIN_NOT_FOUND' } });
    expect((await admin(cluster.url, 'GET', '/admin/nodes/nope')).status).toBe(404);
    expect((await admin(cluster.url, 'DELETE', '/admin/nodes/nope')).status).toBe(404);
    expect((await admin(cluster.url, 'GET', '/admin/jobs/999999')).status).toBe(404);
    expect((await admin(cluster.url, 'POST', '/admin/jobs', { type: 'recovery', node: 'nope' })).status).toBe(404);
    expect((await admin(cluster.url, 'GET', '/admin/nothing')).body).toMatchObject({ code: 'IRX_ERR_ADMIN_NOT_FOUND' });
  });

  it('serves its OpenAPI document and a docs page without a token', async () => {
    const document = await admin<{ openapi: string; paths: Record<string, Record<string, { requestBody?: unknown }>> }>(cluster.url, 'GET', '/admin/openapi.json', undefined, null);
    expect(document.status).toBe(200);
    expect(document.body.openapi).toBe('3.1.0');
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining(['/admin/topology', '/admin/circles', '/admin/circles/{name}', '/admin/circles/{name}/nodes', '/admin/nodes/{name}', '/admin/replica', '/admin/health', '/admin/jobs', '/admin/jobs/{id}', '/admin/jobs/{id}/cancel']),
    );
    expect(document.body.paths['/admin/nodes/{name}']?.patch?.requestBody).toMatchObject({ content: { 'application/json': { schema: { properties: { maintenance: { type: 'boolean' } } } } } });
    const page = await fetch(`${cluster.url}/admin/docs`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('/admin/jobs/:id/cancel');
  });

  it('is off (403 saying how to turn it on) without admin.token', async () => {
    const port = await freePort();
    const off = await createProxy({ ...cluster.config, listen: `127.0.0.1:${port}`, admin: { token: '' } }, { log: createLogger('warn') });
    await off.listen();
    try {
      expect(await admin(`http://127.0.0.1:${port}`, 'GET', '/admin/circles')).toEqual({
        status: 403,
        body: { error: 'the admin API is off: set admin.token (INFLUXRING_ADMIN_TOKEN) to turn it on', code: 'IRX_ERR_ADMIN_OFF' },
      });
    } finally {
      await off.close();
    }
  });
});

describe('admin API: topology', () => {
  it('shows the topology seeded from the configuration, without passwords', async () => {
    const topology = await admin<{ version: number; circles: { name: string; members: string[]; nodes: Record<string, unknown>[] }[] }>(cluster.url, 'GET', '/admin/topology');
    expect(topology.status).toBe(200);
    expect(topology.body.circles.map((c) => [c.name, c.members])).toEqual([['circle-a', ['a1', 'a2']]]);
    for (const node of topology.body.circles[0]?.nodes ?? []) {
      expect(node).not.toHaveProperty('password');
      expect(node).toMatchObject({ hasPassword: false });
    }
    const nodes = await admin<{ nodes: { name: string; role: string; active: boolean }[] }>(cluster.url, 'GET', '/admin/nodes');
    expect(nodes.body.nodes.map((n) => [n.name, n.role, n.active])).toEqual([
      ['a1', 'member', true],
      ['a2', 'member', true],
    ]);
  });

  it('answers the owner of a measurement in every circle', async () => {
    const replica = await admin<{ circles: { circle: string; owner: string; next: string | null }[] }>(cluster.url, 'GET', '/admin/replica?db=demo&measurement=cpu');
    expect(replica.status).toBe(200);
    const owner = cluster.proxy?.cluster.topology.circles[0]?.owner('demo,cpu').name;
    expect(replica.body.circles).toEqual([{ circle: 'circle-a', owner, writeOwners: [owner], next: null, phase: null, copying: false }]);
  });

  it('a node marked out for maintenance through one proxy serves no reads on the other, and is back when unmarked', async () => {
    expect((await admin(cluster.url, 'PATCH', '/admin/nodes/a2', { maintenance: true })).status).toBe(200);
    await waitUntil('a2 in maintenance on the second proxy', async () => {
      const node = await admin<{ maintenance: boolean; active: boolean; inactiveReason: string | null }>(secondUrl, 'GET', '/admin/nodes/a2');
      return node.body.maintenance && !node.body.active && node.body.inactiveReason === 'is out for maintenance';
    }, 2000);
    expect((await admin(cluster.url, 'PATCH', '/admin/nodes/a2', { maintenance: false })).status).toBe(200);
    await waitUntil('a2 active again on the second proxy', async () => (await admin<{ active: boolean }>(secondUrl, 'GET', '/admin/nodes/a2')).body.active, 5000);
  });

  it('a node added through one proxy is routed to by the other within 1 s, after it has the catalog', async () => {
    // a database created through the proxy is in the catalog: the new node gets it before any write
    expect((await fetch(`${cluster.url}/query`, { method: 'POST', body: new URLSearchParams({ q: 'CREATE DATABASE grow' }) })).status).toBe(200);
    const before = await admin<{ version: number }>(secondUrl, 'GET', '/admin/topology');
    const added = await admin<{ name: string; role: string }>(cluster.url, 'POST', '/admin/circles/circle-a/nodes', { name: 'a3', url: extra.url });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ name: 'a3', role: 'joining' });
    const addedAt = Date.now();
    let seenAfter = Infinity;
    for (;;) {
      const now = await admin<{ version: number; circles: { next: string[] | null }[] }>(secondUrl, 'GET', '/admin/topology');
      if (now.body.version > before.body.version) {
        seenAfter = Date.now() - addedAt;
        expect(now.body.circles[0]?.next).toEqual(['a1', 'a2', 'a3']);
        break;
      }
      if (Date.now() - addedAt > 5000) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    console.log(`node added through one proxy, seen by the other after ${seenAfter} ms`);
    expect(seenAfter).toBeLessThan(1000);

    // a measurement the new node will own: the second proxy writes it to a3 (and to its current owner)
    const topology = second.cluster.topology;
    const measurement = Array.from({ length: 200 }, (_, i) => `m${i}`).find((m) => topology.circles[0]?.nextOwner(`grow,${m}`)?.name === 'a3') as string;
    const replica = await admin<{ circles: { owner: string; next: string; copying: boolean; writeOwners: string[] }[] }>(secondUrl, 'GET', `/admin/replica?db=grow&measurement=${measurement}`);
    expect(replica.body.circles[0]).toMatchObject({ next: 'a3', copying: true });
    const write = await fetch(`${secondUrl}/write?db=grow`, { method: 'POST', body: `${measurement},host=h v=1 1700000000000000000` });
    expect(write.status).toBe(204);
    await waitUntil('the point on a3', async () => (await rows(extra.url, 'grow', `SELECT * FROM "${measurement}"`).catch(() => [])).length === 1, 10_000);
    // reads stay on the old owner until the copy is done: it has the point too
    const oldOwner = cluster.node(replica.body.circles[0]?.owner as string);
    expect(await rows(oldOwner.url, 'grow', `SELECT * FROM "${measurement}"`)).toHaveLength(1);
    // data changes on a measurement being copied are refused until the rebalance is done
    const drop = await fetch(`${secondUrl}/query?db=grow`, { method: 'POST', body: new URLSearchParams({ q: `DROP MEASUREMENT "${measurement}"` }) });
    // like any statement error of InfluxDB: 200, the error in the statement's result
    expect(drop.status).toBe(200);
    expect(await drop.text()).toMatch(/"error":"a rebalance is copying this measurement to a new node/);

    // a node that was only joining leaves at once
    const removed = await admin<{ next: string[] | null; nodes: { name: string }[] }>(cluster.url, 'DELETE', '/admin/nodes/a3');
    expect(removed.status).toBe(202);
    expect(removed.body.next).toBeNull();
    expect(removed.body.nodes.map((n) => n.name)).toEqual(['a1', 'a2']);
  });
});
