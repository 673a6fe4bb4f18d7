// The write path on a real Redis Cluster (3 masters, `redis.mode: cluster`): under write load, one
// node per circle is stopped; every write still gets 204 because the nodes' shares go to their replay
// buffers, which live on the cluster — each node's keys in one slot (its `{node:<name>}` hash tag), the
// two buffers on two different masters, nothing on the standalone Redis the test cluster also starts.
// When the nodes return, the buffers are replayed and removed, the nodes become active again, and every
// acknowledged point is on every circle exactly once. Admin jobs and detection run with their keys on
// the cluster too.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedisCluster, type RedisCluster } from '../deploy/local/redis-cluster.js';
import { RedisKeys } from '../proxy/redis-keys.js';
import { admin, ADMIN_TOKEN } from './helpers/admin.js';
import { measurementsByNode, operationsTest, runJob } from './helpers/worker.js';
import { expectAckedEverywhere, metric, nodeHealth, ownerIn, proxyHealth, saveLogs, waitActive, waitBuffering, waitUntil } from './helpers/load.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const MEASUREMENTS = Array.from({ length: 8 }, (_, i) => `cluster${i}`);
const keys = new RedisKeys('irx');

/** The Redis Cluster of the current test and its directory, stopped and removed in cleanup. */
let redisCluster: RedisCluster | null = null;
let redisClusterDir = '';

// Registered before operationsTest(): after-hooks run in reverse order, so the Redis Cluster stops after the
// proxy and the influxd nodes.
afterEach(async (context) => {
  if (redisCluster === null) return;
  if (context.task.result?.state === 'fail') console.error(`Redis Cluster logs of the failed test: ${saveLogs(redisClusterDir, `redis-cluster-${context.task.name}`)}`);
  await redisCluster.stop();
  redisCluster = null;
});

const t = operationsTest();

/** Runs `use` with a plain (non-cluster) client of one Redis server. */
async function withRedis<T>(port: number, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

/** The InfluxRing keys each master holds itself (asked directly, not through a cluster client). */
async function keysByMaster(cluster: RedisCluster): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  for (const [i, master] of cluster.masters.entries()) {
    found.set(cluster.nodes[i] as string, (await withRedis(master.port, (redis) => redis.keys('irx:*'))).sort());
  }
  return found;
}

/** The replay buffer keys of one node that exist while it is buffering. */
function bufferKeys(node: string): string[] {
  return [keys.replayEntries(node), keys.replayTimes(node), keys.replayTotals(node), keys.replayState(node)];
}

describe('Redis Cluster', () => {
  it('buffers the writes of stopped nodes in replay buffers spread over the masters and replays them when the nodes return', async () => {
    redisClusterDir = mkdtempSync(join(tmpdir(), 'influxring-redis-cluster-'));
    redisCluster = await startRedisCluster({ dir: redisClusterDir });
    const rc = redisCluster;
    expect(rc.nodes).toHaveLength(3);
    const c = await t.startCluster({ circles: [2, 2], config: { redis: { mode: 'cluster', nodes: rc.nodes } } });
    expect(c.config.redis.mode).toBe('cluster');
    await waitUntil('/health shows Redis ready', async () => (await proxyHealth(c.url)).redis === 'ready', 15_000, async () =>
      JSON.stringify(await proxyHealth(c.url)),
    );

    // The owner of cluster0 in each circle goes down; every node carries load.
    const victims = c.nodes.map((circle) => ownerIn(circle, 'demo', 'cluster0'));
    for (const circle of c.nodes) {
      const owners = new Set(MEASUREMENTS.map((m) => ownerIn(circle, 'demo', m).name));
      expect(owners.size, 'every node owns some of the measurements').toBe(circle.length);
    }
    const load = t.startLoad({ url: c.url, name: 'redis_cluster', measurements: MEASUREMENTS, writers: 4, batchLines: 100 });
    await load.progress(20);
    await Promise.all(victims.map((victim) => victim.stop()));
    for (const victim of victims) {
      await waitBuffering(c.url, victim.name);
    }
    // Keep writing while the nodes are down: their shares are buffered, every write is acknowledged.
    await Promise.all([load.progress(100), sleep(3000)]);
    expect(load.stats().failedAttempts, JSON.stringify(load.stats())).toBe(0);

    // The buffers are on the cluster: each node's keys in one slot, held by the master owning that slot,
    // the two nodes' buffers on two different masters; the standalone Redis holds nothing.
    const held = await keysByMaster(rc);
    const port = rc.masters[0]?.port as number;
    const holders: string[] = [];
    for (const victim of victims) {
      const wanted = bufferKeys(victim.name);
      const slots = await withRedis(port, (redis) => Promise.all(wanted.map(async (key) => Number(await redis.cluster('KEYSLOT', key)))));
      expect(new Set(slots).size, `${victim.name}: its keys share one slot (${slots.join(', ')})`).toBe(1);
      const holder = [...held].find(([, list]) => wanted.every((key) => list.includes(key)))?.[0];
      expect(holder, `${victim.name}: a master holds all of ${wanted.join(', ')}; held: ${JSON.stringify([...held])}`).toBeDefined();
      holders.push(holder as string);
      const holderPort = rc.masters[rc.nodes.indexOf(holder as string)]?.port as number;
      const bytes = Number(await withRedis(holderPort, (redis) => redis.hget(keys.replayTotals(victim.name), 'bytes')));
      expect(bytes, `${victim.name}: bytes buffered on ${holder}`).toBeGreaterThan(0);
    }
    expect(new Set(holders).size, `the buffers of ${victims.map((v) => v.name).join(' and ')} on different masters: ${holders.join(', ')}`).toBe(victims.length);
    expect(await withRedis(c.redis.port, (redis) => redis.keys('irx:*')), 'keys on the standalone Redis').toEqual([]);

    await Promise.all(victims.map((victim) => victim.restart()));
    for (const victim of victims) await waitActive(c.url, victim.name, 45_000);
    // Writes go live to the nodes again.
    await load.progress(20);
    await expectAckedEverywhere(load, c.nodes, { label: 'redis cluster', noFailedAttempts: true });

    const health = await proxyHealth(c.url);
    expect(health.redis).toBe('ready');
    expect(health.status).toBe('pass');
    expect(health.circles.every((circle) => circle.active)).toBe(true);
    for (const victim of victims) {
      const buffered = await metric(c.url, 'influxring_points_buffered_total', { node: victim.name });
      const replayed = await metric(c.url, 'influxring_points_replayed_total', { node: victim.name });
      expect(buffered, victim.name).toBeGreaterThan(0);
      expect(replayed, victim.name).toBeGreaterThanOrEqual(buffered);
    }
    expect(await metric(c.url, 'influxring_points_rejected_total', { reason: 'replay_rejected' })).toBe(0);
    // The replayed buffers are gone from the cluster; the standalone Redis was never used.
    const after = [...(await keysByMaster(rc)).values()].flat();
    for (const victim of victims) {
      for (const key of bufferKeys(victim.name)) {
        expect(after, `${key} after the replay`).not.toContain(key);
      }
    }
    expect(await withRedis(c.redis.port, (redis) => redis.keys('irx:*')), 'keys on the standalone Redis').toEqual([]);
  });

  it('rebalances a circle with its topology, locks and job queue on the cluster: write → add a node → rebalance → cleanup', async () => {
    redisClusterDir = mkdtempSync(join(tmpdir(), 'influxring-redis-cluster-'));
    redisCluster = await startRedisCluster({ dir: redisClusterDir });
    const rc = redisCluster;
    const c = await t.startCluster({ circles: [2], config: { redis: { mode: 'cluster', nodes: rc.nodes }, admin: { token: ADMIN_TOKEN }, jobs: { barrierTimeout: '20s' } } });
    await waitUntil('/health shows Redis ready', async () => (await proxyHealth(c.url)).redis === 'ready', 15_000);
    expect((await fetch(`${c.url}/query`, { method: 'POST', body: new URLSearchParams({ q: 'CREATE DATABASE demo' }) })).status).toBe(200);
    t.startWorker(c);
    const load = t.startLoad({ url: c.url, name: 'rc-rebalance', measurements: MEASUREMENTS, writers: 3, batchLines: 200 });
    await load.progress(40);
    const extra = await t.startExtraNode(c, 'a3');
    expect((await admin(c.url, 'POST', '/admin/circles/circle-a/nodes', { name: 'a3', url: extra.url })).status).toBe(201);
    await load.progress(20);
    const rebalanced = await runJob(c.url, { type: 'rebalance', circle: 'circle-a' });
    expect((rebalanced.job.result as { moved: number }).moved).toBeGreaterThan(0);
    await runJob(c.url, { type: 'cleanup', circle: 'circle-a' });
    await load.progress(20);
    const nodes = [...(c.nodes[0] ?? []), extra];
    await expectAckedEverywhere(load, [nodes], { label: 'redis cluster rebalance', noFailedAttempts: true });
    const held = await measurementsByNode(nodes, 'demo');
    for (const measurement of MEASUREMENTS) {
      const owner = (await admin<{ circles: { owner: string }[] }>(c.url, 'GET', `/admin/replica?db=demo&measurement=${measurement}`)).body.circles[0]?.owner;
      expect(Object.entries(held).filter(([, list]) => list.includes(measurement)).map(([name]) => name), measurement).toEqual([owner]);
    }
    // The topology and the jobs live on the cluster, each group of keys in one slot; the standalone Redis holds nothing.
    const all = [...(await keysByMaster(rc)).values()].flat();
    expect(all).toContain(keys.topology());
    expect(all.some((key) => key.startsWith(`${keys.jobsPrefix()}:admin:`))).toBe(true);
    expect(await withRedis(c.redis.port, (redis) => redis.keys('irx:*')), 'keys on the standalone Redis').toEqual([]);
  });

  it('runs detection with its shard queues, batches, leases and states on the cluster: every curve\'s spike found once', async () => {
    redisClusterDir = mkdtempSync(join(tmpdir(), 'influxring-redis-cluster-'));
    redisCluster = await startRedisCluster({ dir: redisClusterDir });
    const rc = redisCluster;
    const c = await t.startCluster({ circles: [1], config: { redis: { mode: 'cluster', nodes: rc.nodes }, admin: { token: ADMIN_TOKEN }, detection: { shards: 4, flushInterval: 50, checkpointInterval: 300 } } });
    await waitUntil('/health shows Redis ready', async () => (await proxyHealth(c.url)).redis === 'ready', 15_000);
    t.startWorker(c);
    const rule = { db: 'demo', measurement: 'temp', fields: ['v'], algorithm: { type: 'spot', q: 1e-4, calibration: 100, maxPeaks: 50 }, cooldown: '1h' };
    expect((await admin(c.url, 'PUT', '/admin/rules/rc-spot', rule)).status).toBe(201);
    await sleep(1500); // the proxy's rule poll
    // 8 curves over the 4 shards; each: 200 bounded noisy points and a spike at 150
    const START = Date.UTC(2026, 10, 1);
    for (let h = 0; h < 8; h++) {
      let state = h + 1;
      const lines = Array.from({ length: 200 }, (_, i) => {
        state = (state * 1103515245 + 12345) % 2147483648;
        return `temp,host=h${h} v=${i === 150 ? 500 : 20 + 10 * (state / 2147483648)} ${START + i * 60_000}`;
      });
      expect((await fetch(`${c.url}/write?db=demo&precision=ms`, { method: 'POST', body: lines.join('\n') })).status).toBe(204);
    }
    const found = async (): Promise<{ series: string; time: number }[]> => (await admin<{ anomalies: { series: string; time: number }[] }>(c.url, 'GET', '/admin/anomalies?rule=rc-spot&limit=100')).body.anomalies;
    await waitUntil('8 anomalies', async () => (await found()).length >= 8, 30_000);
    await sleep(1000);
    const anomalies = await found();
    expect(anomalies.map((a) => a.series).sort()).toEqual(Array.from({ length: 8 }, (_, h) => `demo/temp,host=h${h}#v`));
    expect(anomalies.every((a) => a.time === START + 150 * 60_000)).toBe(true);
    // the detection keys are on the cluster's masters (each shard's in its slot), none on the standalone Redis
    const byMaster = await keysByMaster(rc);
    const detectKeys = [...byMaster.values()].flat().filter((key) => key.includes('{detect:'));
    for (let shard = 0; shard < 4; shard++) expect(detectKeys).toContain(keys.detectionLease(shard));
    expect([...byMaster.values()].filter((list) => list.some((key) => key.includes('{detect:'))).length).toBeGreaterThan(1);
    expect(detectKeys.some((key) => key.includes(':batch:')), 'batches are deleted once judged').toBe(false);
    expect(await withRedis(c.redis.port, (redis) => redis.keys('irx:*')), 'keys on the standalone Redis').toEqual([]);
  });
});
