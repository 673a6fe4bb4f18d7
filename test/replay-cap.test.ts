// A replay buffer is capped: with a node down, writes get 204 while its buffer has room, then 503 with
// Retry-After (never a 204 for data stored nowhere); once the node is back and the buffer drained,
// writes get 204 again. Every refused point is counted in influxring_points_rejected_total
// {reason="unavailable"}, and nothing acknowledged is lost.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisKeys } from '../proxy/redis-keys.js';
import { write } from './helpers/influx.js';
import { expectAckedEverywhere, faultTest, metric, nodeHealth, waitActive, waitUntil } from './helpers/load.js';

const CAP = 64 * 1024;
const PROBE_LINES = 100;

const t = faultTest();

async function bufferedBytes(url: string, node: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    return Number((await redis.hget(new RedisKeys('irx').replayTotals(node), 'bytes')) ?? 0);
  } finally {
    redis.disconnect();
  }
}

describe('replay buffer cap', () => {
  it('answers 503 with Retry-After once a down node\'s buffer is full, and 204 again after it drained', async () => {
    // 2 circles × 1 node: every write has a part for the node that goes down.
    const c = await t.startCluster({ circles: [1, 1], config: { replay: { maxBytesPerNode: '64KiB' } } });
    const victim = c.nodes[0]?.[0];
    if (!victim) throw new Error('no node');
    expect(c.config.replay.maxBytesPerNode).toBe(CAP);

    const load = t.startLoad({ url: c.url, name: 'cap', measurements: ['cap0', 'cap1', 'cap2'], writers: 2, batchLines: 100, retryDelayMs: 100 });
    await load.progress(20);
    await victim.stop();
    await waitUntil(`${victim.name} buffering`, async () => (await nodeHealth(c.url, victim.name)).buffered.points > 0, 20_000);
    await waitUntil('writes refused once the buffer is full', () => (load.stats().outcomes['503'] ?? 0) >= 10, 30_000, () => JSON.stringify(load.stats()));
    const whileFull = load.stats();
    expect(whileFull.retryAfterMissing).toBe(0);
    expect(whileFull.errorSamples.some((e) => e.startsWith('503') && e.includes(victim.name) && e.includes('replay buffer is full')), whileFull.errorSamples.join('\n')).toBe(true);
    // Only 503s besides 204s: no other failure.
    expect(Object.keys(whileFull.outcomes).sort()).toEqual(['204', '503']);
    const bytes = await bufferedBytes(c.redis.url, victim.name);
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(CAP);

    // A write larger than the room left in the buffer (random text: gzip cannot shrink it under the cap).
    const big = Array.from({ length: PROBE_LINES }, (_, i) => `cap0,writer=probe s="${randomBytes(750).toString('base64')}",v=${i}i`).join('\n');
    const refused = await write(c.url, '/write?db=demo', big);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe(String(c.config.replay.retryAfterSeconds));
    expect((JSON.parse(refused.text) as { error?: string }).error).toContain(victim.name);

    await victim.restart();
    await waitActive(c.url, victim.name, 45_000);
    const ackedBefore = load.stats().ackedRequests;
    await load.progress(50);
    // Every request was retried until it got a 204.
    const { stats } = await expectAckedEverywhere(load, c.nodes);
    expect(stats.ackedRequests).toBeGreaterThan(ackedBefore);
    // Every refused point is counted: the load's 503 attempts plus the big write.
    expect(await metric(c.url, 'influxring_points_rejected_total', { reason: 'unavailable' })).toBe(stats.points503 + PROBE_LINES);
    expect(await bufferedBytes(c.redis.url, victim.name)).toBe(0);
  });
});
