// Redis is only needed to buffer. With every node up, writes go on while Redis is down. With a node
// down AND Redis down, writes with points for that node get 503 + Retry-After (InfluxDB-style JSON
// error naming the node) while writes owned only by live nodes still get 204; nothing acknowledged
// is lost once Redis and the node return. A replay buffer survives a Redis crash (AOF) and is replayed.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { decodeEntry } from '../proxy/replay-buffer.js';
import { RedisKeys } from '../proxy/redis-keys.js';
import { rows, write } from './helpers/influx.js';
import { expectAckedEverywhere, faultTest, metric, nodeHealth, ownerIn, proxyHealth, waitActive, waitUntil } from './helpers/load.js';

const MEASUREMENTS = Array.from({ length: 12 }, (_, i) => `rd${i}`);

// Writers retry until they get a 204: expectAckedEverywhere also asserts that no request was left
// unacknowledged.
const t = faultTest();

/** The replay buffer of one node as stored in Redis: entries, points, and a digest of the bytes. */
async function bufferInRedis(url: string, node: string): Promise<{ entries: number; points: number; totals: Record<string, string>; digest: string }> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const keys = new RedisKeys('irx');
    const entries = await redis.lrangeBuffer(keys.replayEntries(node), 0, -1);
    const hash = createHash('sha256');
    let points = 0;
    for (const entry of entries) {
      hash.update(entry);
      points += decodeEntry(entry).points;
    }
    return { entries: entries.length, points, totals: await redis.hgetall(keys.replayTotals(node)), digest: hash.digest('hex') };
  } finally {
    redis.disconnect();
  }
}

describe('Redis down', () => {
  it('does not matter while every node is up: writes still get 204', async () => {
    const c = await t.startCluster({ circles: [2, 2] });
    const load = t.startLoad({ url: c.url, name: 'rd_nodes_up', measurements: MEASUREMENTS, writers: 4, batchLines: 100 });
    await load.progress(20);
    await c.redis.stop();
    await waitUntil('/health shows Redis unavailable', async () => (await proxyHealth(c.url)).redis === 'unavailable', 15_000);
    await load.progress(200);
    const health = await proxyHealth(c.url);
    expect(health.status).toBe('pass');
    expect(health.circles.every((circle) => circle.active)).toBe(true);
    await expectAckedEverywhere(load, c.nodes, { noFailedAttempts: true });
  });

  it('refuses with 503 only the writes that need the down node, and loses nothing acknowledged', async () => {
    const c = await t.startCluster({ circles: [2, 2] });
    const victim = ownerIn(c.nodes[0] ?? [], 'demo', MEASUREMENTS[0] as string);
    // doomed: owned by the victim in circle A; safe: owned by live nodes in both circles.
    const doomed = MEASUREMENTS.filter((m) => ownerIn(c.nodes[0] ?? [], 'demo', m).name === victim.name);
    const safe = MEASUREMENTS.filter((m) => !doomed.includes(m));
    expect(doomed.length).toBeGreaterThan(0);
    expect(safe.length).toBeGreaterThan(0);

    const safeLoad = t.startLoad({ url: c.url, name: 'rd_safe', measurements: safe, writers: 2, batchLines: 100 });
    const doomedLoad = t.startLoad({ url: c.url, name: 'rd_doomed', measurements: doomed, writers: 2, batchLines: 100, retryDelayMs: 100 });
    await Promise.all([safeLoad.progress(20), doomedLoad.progress(20)]);

    await victim.stop();
    await waitUntil(`${victim.name} buffering`, async () => (await nodeHealth(c.url, victim.name)).buffered.points > 0, 20_000);
    await doomedLoad.progress(50);
    expect(doomedLoad.stats().failedAttempts, 'with Redis up the down node is buffered').toBe(0);

    await c.redis.stop();
    await waitUntil('/health shows Redis unavailable', async () => (await proxyHealth(c.url)).redis === 'unavailable', 15_000);
    await waitUntil('writes for the down node refused', () => (doomedLoad.stats().outcomes['503'] ?? 0) >= 5, 20_000, () => JSON.stringify(doomedLoad.stats()));
    // Writes whose owners are all live go on.
    await safeLoad.progress(100);

    const refused = await write(c.url, '/write?db=demo', `${doomed[0]},writer=probe v=1i\n`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe(String(c.config.replay.retryAfterSeconds));
    expect(refused.headers.get('content-type')).toMatch(/application\/json/);
    const error = (JSON.parse(refused.text) as { error?: string }).error ?? '';
    expect(error).toContain(victim.name);
    expect(refused.headers.get('x-influxdb-error')).toContain(victim.name);
    const accepted = await write(c.url, '/write?db=demo', `${safe[0]},writer=probe v=1i\n`);
    expect(accepted.status, accepted.text).toBe(204);

    const health = await proxyHealth(c.url);
    expect(health.status).toBe('fail');
    expect(health.httpStatus).toBe(503);
    expect(await metric(c.url, 'influxring_points_rejected_total', { reason: 'unavailable' })).toBeGreaterThan(0);
    expect(doomedLoad.stats().retryAfterMissing).toBe(0);

    // Redis returns with its AOF: the victim's buffer is still there and new writes are buffered again.
    await c.redis.restart();
    await waitUntil('/health shows Redis ready', async () => (await proxyHealth(c.url)).redis === 'ready', 15_000);
    await doomedLoad.progress(20);
    await victim.restart();
    await waitActive(c.url, victim.name, 45_000);
    await Promise.all([safeLoad.progress(20), doomedLoad.progress(20)]);

    await Promise.all([safeLoad.stop(), doomedLoad.stop()]);
    await expectAckedEverywhere(safeLoad, c.nodes, { noFailedAttempts: true });
    const { stats: doomedStats } = await expectAckedEverywhere(doomedLoad, c.nodes);
    expect(doomedStats.outcomes['503'] ?? 0).toBeGreaterThan(0);
  });

  it('keeps a replay buffer through a Redis crash (AOF) and replays it', async () => {
    const c = await t.startCluster({ circles: [2, 2] });
    const victim = ownerIn(c.nodes[0] ?? [], 'demo', MEASUREMENTS[0] as string);
    const load = t.startLoad({ url: c.url, name: 'rd_aof', measurements: MEASUREMENTS, writers: 4, batchLines: 100 });
    await load.progress(20);
    await victim.stop();
    await waitUntil(`${victim.name} buffering`, async () => (await nodeHealth(c.url, victim.name)).buffered.points > 0, 20_000);
    await load.progress(300);
    const stats = await load.stop();
    expect(stats.failedAttempts, JSON.stringify(stats)).toBe(0);

    const before = await bufferInRedis(c.redis.url, victim.name);
    expect(before.entries).toBeGreaterThan(0);
    expect(Number(before.totals.points)).toBe(before.points);
    await c.redis.kill();
    await c.redis.restart();
    const after = await bufferInRedis(c.redis.url, victim.name);
    expect(after).toEqual(before);

    await waitUntil('/health shows Redis ready', async () => (await proxyHealth(c.url)).redis === 'ready', 15_000);
    await victim.restart();
    await waitActive(c.url, victim.name, 45_000);
    expect(await metric(c.url, 'influxring_points_replayed_total', { node: victim.name })).toBeGreaterThanOrEqual(before.points);
    expect((await bufferInRedis(c.redis.url, victim.name)).entries).toBe(0);
    await expectAckedEverywhere(load, c.nodes);
  });

  it('keeps the last acknowledged value of a point when a node returns while Redis (holding its buffer) is down', async () => {
    // influxd keeps the last write of a point (same series and timestamp). A client writes v=1 while
    // the node is down (buffered), then v=2 for the same point: whatever the proxy does meanwhile,
    // once everything is back both circles must hold v=2, never the older buffered v=1.
    const c = await t.startCluster({ circles: [1, 1] });
    const victim = c.nodes[0]?.[0];
    const other = c.nodes[1]?.[0];
    if (!victim || !other) throw new Error('no nodes');
    const ts = `${BigInt(Date.now()) * 1_000_000n}`;
    const line = (v: number): string => `rd_order,writer=x v=${v}i ${ts}\n`;

    await victim.stop();
    await waitUntil(`${victim.name} unhealthy`, async () => !(await nodeHealth(c.url, victim.name)).healthy, 20_000);
    const first = await write(c.url, '/write?db=demo', line(1));
    expect(first.status, first.text).toBe(204);
    expect((await bufferInRedis(c.redis.url, victim.name)).points).toBe(1);

    await c.redis.stop();
    await waitUntil('/health shows Redis unavailable', async () => (await proxyHealth(c.url)).redis === 'unavailable', 15_000);
    await victim.restart();
    await waitUntil(`${victim.name} healthy`, async () => (await nodeHealth(c.url, victim.name)).healthy, 20_000);

    // The newer value: a client retries until it gets a 204 (Redis returns meanwhile if needed).
    const second = await write(c.url, '/write?db=demo', line(2));
    console.log(`second write while Redis is down: ${second.status} ${second.text}`);
    await c.redis.restart();
    await waitUntil('/health shows Redis ready', async () => (await proxyHealth(c.url)).redis === 'ready', 15_000);
    if (second.status !== 204) {
      await waitUntil('the second write acknowledged', async () => (await write(c.url, '/write?db=demo', line(2))).status === 204, 30_000);
    }
    await waitActive(c.url, victim.name, 45_000);

    const value = async (url: string): Promise<unknown> => (await rows(url, 'demo', 'SELECT "v" FROM "rd_order"'))[0]?.[1];
    expect(await value(other.url), `${other.name} holds the last acknowledged value`).toBe(2);
    expect(await value(victim.url), `${victim.name} holds the last acknowledged value, not the older buffered one`).toBe(2);
  });
});
