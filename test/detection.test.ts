// Detection end to end with real processes: proxy → shard queues in Redis → worker processes →
// anomaly points through the proxy and webhook calls. The curve is deterministic, and what the detector
// must find is computed here with the same pure functions, so the test knows exactly which points are
// anomalies: a rule added through the admin API (no restart) finds exactly the injected spikes, one
// webhook call within the cooldown; a rule added over existing data starts its curves from their last
// points in the cluster (one bulk query); a context-novelty rule finds a new shape where it starts;
// two workers share the shards and one killed with SIGKILL hands its
// shards (and its curves' learned state) to the other; a removed rule stops; with Redis down writes
// still succeed and the skipped points are counted; detection.redisUrl keeps the queues, batches,
// leases and states out of the main Redis.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ruleSchema, type Rule } from '../config/rule-schema.js';
import { startRedis } from '../deploy/local/redis-server.js';
import { RedisKeys } from '../proxy/redis-keys.js';
import { newSeriesState, observe } from '../worker/detection/series-detector.js';
import { admin, ADMIN_TOKEN } from './helpers/admin.js';
import { runCli } from './helpers/cli.js';
import type { TestCluster } from './helpers/cluster.js';
import { selectRows } from './helpers/influx.js';
import { metric, waitUntil } from './helpers/load.js';
import { webhookReceiver, type WebhookReceiver } from './helpers/webhook.js';
import { operationsTest } from './helpers/worker.js';

const t = operationsTest();
let receiver: WebhookReceiver | null = null;
afterEach(async () => {
  await receiver?.close();
  receiver = null;
});

const START = Date.UTC(2026, 10, 1); // ms; points one minute apart
const MINUTE = 60_000;

/** A bounded, deterministic noisy curve (LCG): values in [20, 30], with spikes to 500 at `spikes`. */
function curve(points: number, spikes: readonly number[], seed = 1): number[] {
  let state = seed;
  return Array.from({ length: points }, (_, i) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return spikes.includes(i) ? 500 : 20 + 10 * (state / 2147483648);
  });
}

/** Indices the rule's detector flags in `values` (the same code the worker runs). */
function expectedAnomalies(rule: Rule, values: readonly number[]): number[] {
  const state = newSeriesState(rule);
  return values.flatMap((value, i) => (observe(state, rule, value)?.anomalous ? [i] : []));
}

async function startDetecting(config: Record<string, unknown> = {}): Promise<TestCluster> {
  const c = await t.startCluster({
    circles: [1],
    config: { admin: { token: ADMIN_TOKEN }, detection: { shards: 4, flushInterval: 50, leaseTtl: 2000, checkpointInterval: 300 }, ...config },
  });
  return c;
}

/** Writes the curve of series host=<host> through the proxy, in batches of 100 points. */
async function writeCurve(url: string, host: string, values: readonly number[], from = 0): Promise<void> {
  for (let at = 0; at < values.length; at += 100) {
    const lines = values.slice(at, at + 100).map((v, i) => `temp,host=${host} v=${v} ${START + (from + at + i) * MINUTE}`);
    const response = await fetch(`${url}/write?db=demo&precision=ms`, { method: 'POST', body: lines.join('\n') });
    expect(response.status).toBe(204);
  }
}

const RULE = { db: 'demo', measurement: 'temp', fields: ['v'], algorithm: { type: 'spot', q: 1e-4, calibration: 300, maxPeaks: 100 }, cooldown: '1h' };

async function anomalies(url: string, rule: string): Promise<{ series: string; time: number; value: number }[]> {
  return (await admin<{ anomalies: { series: string; time: number; value: number }[] }>(url, 'GET', `/admin/anomalies?rule=${rule}&limit=1000`)).body.anomalies;
}

describe('detection', () => {
  it('a rule added through the admin API finds exactly the injected spikes: one anomaly point each, one webhook call within the cooldown', async () => {
    const c = await startDetecting();
    t.startWorker(c);
    receiver = await webhookReceiver();
    const hook = receiver;
    const put = await admin(c.url, 'PUT', '/admin/rules/temp-spot', { ...RULE, webhooks: [hook.url] });
    expect(put.status).toBe(201);
    // two spikes 20 minutes apart: two anomalies, one alert (cooldown 1 h)
    const values = curve(600, [450, 470]);
    const rule = ruleSchema.parse({ ...RULE, name: 'temp-spot', webhooks: [hook.url] });
    const expected = expectedAnomalies(rule, values);
    expect(expected).toEqual([450, 470]);
    await waitUntil('the rule in the proxy', async () => (await admin(c.url, 'GET', '/admin/rules/temp-spot')).status === 200, 5000);
    await new Promise((resolve) => setTimeout(resolve, 1200)); // the proxies' rule poll
    await writeCurve(c.url, 'a', values);

    await waitUntil('2 anomalies', async () => (await anomalies(c.url, 'temp-spot')).length >= 2, 30_000, async () => `${JSON.stringify(await anomalies(c.url, 'temp-spot'))}; queued ${await metric(c.url, 'influxring_detection_points_queued_total')}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const found = await anomalies(c.url, 'temp-spot');
    expect(found.map((a) => (a.time - START) / MINUTE).sort((x, y) => x - y)).toEqual([450, 470]);
    expect(found.every((a) => a.series === 'demo/temp,host=a#v' && a.value === 500)).toBe(true);
    // the anomaly points, through the proxy
    await waitUntil('anomaly points stored', async () => (await selectRows(c.url, 'SELECT * FROM anomaly', { db: 'anomalies' }).catch(() => [])).length === 2, 10_000);
    const points = await selectRows(c.url, 'SELECT * FROM anomaly', { db: 'anomalies' });
    expect(points.map((p) => ({ ...p, threshold: typeof p.threshold, score: typeof p.score }))).toEqual([
      { time: String((START + 450 * MINUTE) * 1e6), algorithm: 'spot', rule: 'temp-spot', series: 'demo/temp,host=a#v', value: 500, threshold: 'number', score: 'number' },
      { time: String((START + 470 * MINUTE) * 1e6), algorithm: 'spot', rule: 'temp-spot', series: 'demo/temp,host=a#v', value: 500, threshold: 'number', score: 'number' },
    ]);
    // the CLI lists them
    const listed = await runCli(['anomalies', '--rule', 'temp-spot', '--proxy', c.url, '--token', ADMIN_TOKEN]);
    expect(listed.code, listed.stderr).toBe(0);
    const rows = listed.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^TIME\s+RULE\s+SERIES\s+ALGORITHM\s+VALUE\s+THRESHOLD\s+SCORE$/);
    expect(rows.slice(1).map((row) => row.split(/\s{2,}/).slice(0, 5))).toEqual([
      [new Date(START + 470 * MINUTE).toISOString(), 'temp-spot', 'demo/temp,host=a#v', 'spot', '500'],
      [new Date(START + 450 * MINUTE).toISOString(), 'temp-spot', 'demo/temp,host=a#v', 'spot', '500'],
    ]);
    await waitUntil('one webhook call', () => hook.calls.length === 1, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(hook.calls).toHaveLength(1);
    expect(hook.calls[0]).toMatchObject({ rule: 'temp-spot', series: 'demo/temp,host=a#v', algorithm: 'spot', time: START + 450 * MINUTE, value: 500 });

    // a removed rule stops: a new spike finds nothing, and its curves' states are gone from Redis
    const redis = new Redis(c.redis.port, '127.0.0.1');
    const keys = new RedisKeys('irx');
    const savedStates = async (): Promise<string[]> => (await Promise.all([0, 1, 2, 3].map((shard) => redis.hkeys(keys.detectionState(shard))))).flat();
    try {
      await waitUntil('the curve state saved', async () => (await savedStates()).includes('temp-spot\ndemo/temp,host=a#v'), 10_000);
      expect((await admin(c.url, 'DELETE', '/admin/rules/temp-spot')).status).toBe(200);
      await waitUntil('the deleted rule\'s states removed', async () => (await savedStates()).length === 0, 10_000);
    } finally {
      redis.disconnect();
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await writeCurve(c.url, 'a', [500], 600);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await anomalies(c.url, 'temp-spot')).toHaveLength(2);
  });

  it('a context-novelty rule: a shape never seen in a recurring curve is found where it starts, as the pure function finds it; the curve state is saved as JSON', async () => {
    const c = await startDetecting();
    t.startWorker(c);
    const algorithm = { type: 'context', calibration: 240 };
    expect((await admin(c.url, 'PUT', '/admin/rules/temp-context', { ...RULE, algorithm })).status).toBe(201);
    // a daily-like cycle of 24 points between 20 and 30, and from point 450 on a plateau at 60 for 10 points
    const values = Array.from({ length: 600 }, (_, i) => (i >= 450 && i < 460 ? 60 : 20 + 10 * ((i % 24) / 24)));
    const expected = expectedAnomalies(ruleSchema.parse({ ...RULE, name: 'temp-context', algorithm }), values);
    expect(expected).toEqual([450]);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await writeCurve(c.url, 'a', values);
    await waitUntil('1 anomaly', async () => (await anomalies(c.url, 'temp-context')).length >= 1, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const found = await anomalies(c.url, 'temp-context');
    expect(found.map((a) => [(a.time - START) / MINUTE, a.value])).toEqual([[450, 60]]);
    const redis = new Redis(c.redis.port, '127.0.0.1');
    try {
      const keys = new RedisKeys('irx');
      let saved: string | undefined;
      await waitUntil('the curve state saved', async () => {
        for (let shard = 0; shard < 4; shard++) saved ??= (await redis.hget(keys.detectionState(shard), 'temp-context\ndemo/temp,host=a#v')) ?? undefined;
        return saved !== undefined;
      }, 10_000);
      const state = JSON.parse(saved as string) as { detector: { season: number; values: { entries: number } } };
      expect(state.detector.season).toBe(24);
      expect(state.detector.values.entries).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
  });

  it('a rule added over existing data starts its curves from the cluster: one bulk query, the spike found before the stream alone could calibrate', async () => {
    const c = await startDetecting();
    const worker = t.startWorker(c, 'worker', { INFLUXRING_LOG_LEVEL: 'info' });
    const values = curve(500, [450]);
    await writeCurve(c.url, 'a', values.slice(0, 400));
    await writeCurve(c.url, 'b', curve(400, [], 9));
    const rule = ruleSchema.parse({ ...RULE, name: 'temp-spot' });
    expect((await admin(c.url, 'PUT', '/admin/rules/temp-spot', RULE)).status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 1200)); // the proxies' rule poll
    // what the worker must find: the curve started from its last 300 points (calibration), then the stream
    const state = newSeriesState(rule);
    for (const value of values.slice(100, 400)) observe(state, rule, value);
    const expected = values.slice(400).flatMap((value, i) => (observe(state, rule, value)?.anomalous ? [400 + i] : []));
    expect(expected).toEqual([450]);
    expect(expectedAnomalies(rule, values.slice(400))).toEqual([]); // from the stream alone: still calibrating
    const log = join(c.dir, 'worker.log');
    await waitUntil('the worker holds every shard', () => (readFileSync(log, 'utf8').match(/"msg":"shard acquired"/g) ?? []).length >= 4, 15_000);
    await writeCurve(c.url, 'a', values.slice(400), 400);
    await waitUntil('the anomaly', async () => (await anomalies(c.url, 'temp-spot')).length >= 1, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await anomalies(c.url, 'temp-spot')).map((a) => (a.time - START) / MINUTE)).toEqual([450]);
    const loads = readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"msg":"history loaded"'))
      .map((line) => JSON.parse(line) as { window: string; series: number; points: number });
    // one query for the rule, answering for both series (this worker owns every shard): the last 300 points of each
    expect(loads).toHaveLength(1);
    expect(loads[0]).toMatchObject({ window: 'recent', series: 2 });
    expect(loads[0]?.points).toBe(600);
    expect(worker.child.exitCode).toBeNull();
  });

  it('two workers share the shards; one killed (SIGKILL) hands its shards and learned state to the other, no alert twice', async () => {
    const c = await startDetecting();
    receiver = await webhookReceiver();
    const hook = receiver;
    const rule = ruleSchema.parse({ ...RULE, name: 'temp-spot', webhooks: [hook.url] });
    expect((await admin(c.url, 'PUT', '/admin/rules/temp-spot', { ...RULE, webhooks: [hook.url] })).status).toBe(201);
    const first = t.startWorker(c, 'worker-1');
    const second = t.startWorker(c, 'worker-2');
    const redis = new Redis(c.redis.port, '127.0.0.1');
    const keys = new RedisKeys('irx');
    const leaseHolders = async (): Promise<string[]> => Promise.all([0, 1, 2, 3].map(async (shard) => (await redis.get(keys.detectionLease(shard))) ?? ''));
    try {
      await waitUntil('both workers live, every shard held', async () => Object.keys(await redis.hgetall(keys.detectionWorkers())).length === 2 && (await leaseHolders()).every((token) => token !== ''), 15_000);
      // a balance round: the first one's extra shards go to the second (2 each)
      const owners = async (): Promise<string[]> => (await leaseHolders()).map((value) => value.split(' ')[1] ?? '');
      await waitUntil('the shards shared, two each', async () => {
        const held = await owners();
        const ids = [...new Set(held)];
        return ids.length === 2 && ids.every((id) => id !== '' && held.filter((owner) => owner === id).length === 2);
      }, 15_000);
      // 8 curves over the shards, calibrated (300 points each), no spikes yet
      const hosts = Array.from({ length: 8 }, (_, i) => `h${i}`);
      const calibration = hosts.map((_, i) => curve(400, [], i + 1));
      await new Promise((resolve) => setTimeout(resolve, 1200));
      for (const [i, host] of hosts.entries()) await writeCurve(c.url, host, calibration[i] as number[]);
      await waitUntil('every curve calibrated and saved', async () => {
        let saved = 0;
        for (let shard = 0; shard < 4; shard++) saved += Object.keys(await redis.hgetall(keys.detectionState(shard))).length;
        return saved === 8;
      }, 20_000);
      await new Promise((resolve) => setTimeout(resolve, 800));
      const before = await leaseHolders();

      await first.kill();
      // its leases expire (2 s); the survivor, alone now, takes its shards with new fencing tokens
      await waitUntil('the survivor holds every shard', async () => {
        const workers = Object.keys(await redis.hgetall(keys.detectionWorkers()));
        const holders = await leaseHolders();
        return workers.length === 1 && holders.every((token) => token !== '') && holders.some((token, shard) => token !== before[shard]);
      }, 15_000);
      const after = await leaseHolders();
      expect(after.filter((token, shard) => token !== before[shard]).length).toBe(2);
      expect(new Set(await owners()).size).toBe(1);
      // a spike on every curve: each must be found (no re-learning: a fresh detector would still be calibrating)
      for (const [i, host] of hosts.entries()) {
        const values = [...curve(400, [], i + 1), ...curve(20, [10], i + 100)].slice(400);
        expect(expectedAnomalies(rule, [...(calibration[i] as number[]), ...values]).filter((index) => index >= 400)).toEqual([410]);
        await writeCurve(c.url, host, values, 400);
      }
      await waitUntil('8 anomalies', async () => (await anomalies(c.url, 'temp-spot')).length >= 8, 30_000, async () => JSON.stringify(await anomalies(c.url, 'temp-spot')));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const found = await anomalies(c.url, 'temp-spot');
      expect(found.map((a) => a.series).sort()).toEqual(hosts.map((h) => `demo/temp,host=${h}#v`).sort());
      expect(hook.calls).toHaveLength(8);
      expect(second.child.exitCode).toBeNull();
    } finally {
      redis.disconnect();
    }
  });

  it('a curve that gets no point for detection.idleCurveTtl is forgotten, in the worker and in Redis; a live one stays', async () => {
    const c = await t.startCluster({
      circles: [1],
      config: { admin: { token: ADMIN_TOKEN }, detection: { shards: 4, flushInterval: 50, leaseTtl: 2000, checkpointInterval: 300, idleCurveTtl: 2000 } },
    });
    t.startWorker(c);
    expect((await admin(c.url, 'PUT', '/admin/rules/temp-spot', RULE)).status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const redis = new Redis(c.redis.port, '127.0.0.1');
    const keys = new RedisKeys('irx');
    const saved = async (): Promise<string[]> => (await Promise.all([0, 1, 2, 3].map((shard) => redis.hkeys(keys.detectionState(shard))))).flat().sort();
    // a gets a point every 300 ms throughout; b gets its 20 points once
    let writing = true;
    const live = (async () => {
      await writeCurve(c.url, 'a', curve(20, []));
      for (let i = 20; writing; i++) {
        await writeCurve(c.url, 'a', [25], i);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    })();
    try {
      await writeCurve(c.url, 'b', curve(20, [], 2));
      await waitUntil('both curves saved', async () => (await saved()).length === 2, 10_000, async () => JSON.stringify(await saved()));
      await waitUntil('b forgotten', async () => (await saved()).length === 1, 10_000, async () => JSON.stringify(await saved()));
      expect(await saved()).toEqual(['temp-spot\ndemo/temp,host=a#v']);
    } finally {
      writing = false;
      await live;
      redis.disconnect();
    }
  });

  it('with detection.redisUrl, the queues, batches, leases and curve states are in that Redis (none in the main one), and with it down writes still succeed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'influxring-detect-redis-'));
    const queues = await startRedis({ dir, extraArgs: ['--appendonly', 'no'] });
    const own = new Redis(queues.port, '127.0.0.1');
    let main: Redis | null = null;
    try {
      const c = await startDetecting({ detection: { shards: 4, flushInterval: 50, leaseTtl: 2000, checkpointInterval: 300, redisUrl: queues.url } });
      t.startWorker(c);
      expect((await admin(c.url, 'PUT', '/admin/rules/temp-spot', RULE)).status).toBe(201);
      const values = curve(600, [450]);
      expect(expectedAnomalies(ruleSchema.parse({ ...RULE, name: 'temp-spot' }), values)).toEqual([450]);
      await new Promise((resolve) => setTimeout(resolve, 1200));
      await writeCurve(c.url, 'a', values);
      await waitUntil('1 anomaly', async () => (await anomalies(c.url, 'temp-spot')).length >= 1, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect((await anomalies(c.url, 'temp-spot')).map((a) => (a.time - START) / MINUTE)).toEqual([450]);
      const keys = new RedisKeys('irx');
      await waitUntil('the curve state saved', async () => (await own.hkeys(keys.detectionState(0))).length + (await own.hkeys(keys.detectionState(1))).length + (await own.hkeys(keys.detectionState(2))).length + (await own.hkeys(keys.detectionState(3))).length === 1, 10_000);
      const detectionKeys = (await own.keys('*')).filter((key) => key.includes('{detect:'));
      expect(detectionKeys.some((key) => key.endsWith(':lease'))).toBe(true);
      expect(Object.keys(await own.hgetall(keys.detectionWorkers()))).toHaveLength(1);
      main = new Redis(c.redis.port, '127.0.0.1');
      const inMain = await main.keys('*');
      expect(inMain.filter((key) => key.includes('{detect:') || key === keys.detectionWorkers())).toEqual([]);
      expect(inMain.some((key) => key.includes('rule'))).toBe(true);
      // that Redis down: writes go on, their points for detection are skipped and counted
      own.disconnect();
      await queues.stop();
      await writeCurve(c.url, 'a', curve(200, []), 600);
      await waitUntil('points skipped', async () => (await metric(c.url, 'influxring_detection_points_skipped_total', { reason: 'redis' })) >= 200, 10_000);
      expect(await selectRows(c.nodes[0]?.[0]?.url as string, 'SELECT COUNT(v) FROM temp', { db: 'demo' })).toMatchObject([{ count: 800 }]);
    } finally {
      main?.disconnect();
      own.disconnect();
      await queues.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with Redis down, writes still succeed and the points for detection are counted as skipped', async () => {
    const c = await startDetecting();
    expect((await admin(c.url, 'PUT', '/admin/rules/temp-spot', RULE)).status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await writeCurve(c.url, 'a', curve(100, []));
    await waitUntil('points queued', async () => (await metric(c.url, 'influxring_detection_points_queued_total')) >= 100, 5000);
    await c.redis.stop();
    await writeCurve(c.url, 'a', curve(200, []), 100);
    await waitUntil('points skipped', async () => (await metric(c.url, 'influxring_detection_points_skipped_total', { reason: 'redis' })) >= 200, 10_000);
    const stored = await selectRows(c.nodes[0]?.[0]?.url as string, 'SELECT COUNT(v) FROM temp', { db: 'demo' });
    expect(stored).toMatchObject([{ count: 300 }]);
  });
});
