// Detection against past days, end to end with real processes: a Metis rule's curves are judged
// against yesterday's and last week's windows, which the worker loads from the cluster through the
// proxy with one bulk query per window (not per series), then keeps ahead of need. The curves have a
// daily cycle; what must be found is computed here with the same pure function over the same windows
// (32-bit values, as the worker keeps them): exactly the injected spike, one anomaly and one webhook
// call; a series the rule's filter excludes is not loaded. The owner saves the windows in Redis (the
// rings that changed); a worker killed with SIGKILL: the one that takes its shards over takes them
// back, with no query of the cluster, and finds the next spike. The proxy requires
// credentials: the workers give theirs (detection.username/password) for queries and anomaly writes.
// Moving past the buckets loaded ahead costs one more query per window. What was loaded is known per
// shard: one query serves every shard that needs the same, a shard taken over later loads alone, one
// taken over with saved windows loads nothing (unless they were saved for another algorithm or prefetch,
// or today's is far behind).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { hashPassword } from '../proxy/auth.js';
import pino from 'pino';
import { ruleSchema } from '../config/rule-schema.js';
import { seriesKey, shardOf } from '../proxy/detection/series-key.js';
import { RedisKeys } from '../proxy/redis-keys.js';
import { metisValue } from '../worker/detect/metis-value.js';
import { BucketRing } from '../worker/detection/curve-history.js';
import { HistoryLoader } from '../worker/detection/history-loader.js';
import { savedWindows } from '../worker/detection/saved-windows.js';
import { admin, ADMIN_TOKEN } from './helpers/admin.js';
import { waitUntil } from './helpers/load.js';
import { webhookReceiver, type WebhookReceiver } from './helpers/webhook.js';
import { operationsTest } from './helpers/worker.js';

const t = operationsTest();
let receiver: WebhookReceiver | null = null;
afterEach(async () => {
  await receiver?.close();
  receiver = null;
});

const MINUTE = 60_000;
const DAY = 1440;
/** The first live minute (ms): noon, 2026-11-01. */
const NOW = Date.UTC(2026, 10, 1, 12);
const LIVE = 30;
const SPIKE = 20;
/** After the first worker is killed: minutes LIVE..LIVE+19, a spike of host b. */
const SPIKE_B = 45;

/** A daily cycle with noise (LCG per series and minute): the value at minute `m` (relative to NOW). */
function value(host: string, m: number): number {
  let state = (host.charCodeAt(0) * 7919 + (m + 20_000) * 104_729) % 2147483648;
  state = (state * 1103515245 + 12345) % 2147483648;
  const base = 100 + 30 * Math.sin((2 * Math.PI * (m + 720)) / DAY) + 4 * (state / 2147483648 - 0.5);
  return (host === 'a' && m === SPIKE) || (host === 'b' && m === SPIKE_B) ? base + 60 : base;
}

/** Minutes of history: around the same time last week and yesterday, and today before NOW. */
const HISTORY = [
  [-7 * DAY - 200, -7 * DAY + 300],
  [-DAY - 200, -DAY + 300],
  [-200, -1],
] as const;

const USER = 'detector';
const PASSWORD = 'pa:ss word';
const AUTH = { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` };

async function write(url: string, hosts: readonly string[], from: number, to: number): Promise<void> {
  const lines: string[] = [];
  for (let m = from; m <= to; m++) for (const host of hosts) lines.push(`load,host=${host} v=${value(host, m)} ${NOW + m * MINUTE}`);
  for (let at = 0; at < lines.length; at += 2000) {
    const response = await fetch(`${url}/write?db=demo&precision=ms`, { method: 'POST', headers: AUTH, body: lines.slice(at, at + 2000).join('\n') });
    expect(response.status).toBe(204);
  }
}

/** What the worker judges: Metis over the windows of minute m (values as 32-bit floats). */
function expectedAnomalous(host: string, m: number): boolean {
  const window = (from: number, length: number): number[] => Array.from({ length }, (_, i) => Math.fround(value(host, from + i)));
  return metisValue(window(m - 7 * DAY - 180, 361), window(m - DAY - 180, 361), window(m - 180, 181)).anomalous;
}

describe('detection against past days', () => {
  it('a Metis rule loads yesterday and last week with one bulk query per window and finds exactly the spike', async () => {
    const auth = { enabled: true, users: [{ name: USER, passwordHash: await hashPassword(PASSWORD) }] };
    const c = await t.startCluster({ circles: [1], config: { admin: { token: ADMIN_TOKEN }, auth, detection: { shards: 4, flushInterval: 50, leaseTtl: 2000, checkpointInterval: 300, username: USER, password: PASSWORD } } });
    const worker = t.startWorker(c, 'worker', { INFLUXRING_LOG_LEVEL: 'info' });
    receiver = await webhookReceiver();
    const { calls } = receiver;

    // the expectation, from the same function: the spike of host a, nothing else
    const hosts = ['a', 'b'];
    const expected = hosts.flatMap((host) => Array.from({ length: LIVE }, (_, m) => m).filter((m) => expectedAnomalous(host, m)).map((m) => `${host}@${m}`));
    expect(expected).toEqual([`a@${SPIKE}`]);

    // history first, with no rule yet (host c is excluded by the rule's filter)
    for (const [from, to] of HISTORY) await write(c.url, ['a', 'b', 'c'], from, to);
    const rule = { db: 'demo', measurement: 'load', fields: ['v'], filter: "host != 'c'", algorithm: { type: 'metis-value' }, webhooks: [receiver.url], cooldown: '1h' };
    expect((await admin(c.url, 'PUT', '/admin/rules/load-metis', rule)).status).toBe(201);
    const log = join(c.dir, 'worker.log');
    await waitUntil('the worker holds every shard', () => (readFileSync(log, 'utf8').match(/"msg":"shard acquired"/g) ?? []).length >= 4, 15_000, () => readFileSync(log, 'utf8').slice(-2000));
    await new Promise((resolve) => setTimeout(resolve, 1200)); // the proxy's rule poll
    await write(c.url, ['a', 'b', 'c'], 0, LIVE - 1);

    const listed = async (): Promise<{ series: string; time: number }[]> => (await admin<{ anomalies: { series: string; time: number }[] }>(c.url, 'GET', '/admin/anomalies?rule=load-metis')).body.anomalies;
    await waitUntil('the anomaly', async () => (await listed()).length >= 1, 30_000, () => readFileSync(log, 'utf8').slice(-3000));
    await waitUntil('every live point judged', () => /"judged":60\b/.test(readFileSync(log, 'utf8')), 20_000, () => readFileSync(log, 'utf8').slice(-3000));
    const found = await listed();
    expect(found.map((a) => `${a.series}@${(a.time - NOW) / MINUTE}`)).toEqual([`demo/load,host=a#v@${SPIKE}`]);
    await waitUntil('one webhook call', () => calls.length === 1, 10_000);
    expect(calls[0]).toMatchObject({ rule: 'load-metis', series: 'demo/load,host=a#v', algorithm: 'metis-value', time: NOW + SPIKE * MINUTE });

    // one bulk query per window — today, yesterday, last week — each answering for both series (not c)
    const loads = readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"msg":"history loaded"'))
      .map((line) => JSON.parse(line) as { window: string; series: number; points: number });
    expect(loads.map((l) => l.window).sort()).toEqual(['10080 buckets back', '1440 buckets back', 'today']);
    expect(loads.every((l) => l.series === 2)).toBe(true);
    expect(loads.find((l) => l.window === 'today')?.points).toBe(2 * (181 - 0));
    expect(worker.child.exitCode).toBeNull();
    // the anomaly point, written with the workers' credentials (none: refused)
    const anomalyRows = async (headers: Record<string, string>): Promise<Response> => fetch(`${c.url}/query?db=anomalies&q=${encodeURIComponent('SELECT value FROM anomaly')}`, { headers });
    expect((await anomalyRows({})).status).toBe(401);
    await waitUntil('the anomaly point stored', async () => JSON.stringify(await (await anomalyRows(AUTH)).json()).includes('"values"'), 10_000);

    // the windows are saved: today's ring of host a holds minutes −151…29 as the worker judged them
    const redis = new Redis(c.redis.port, '127.0.0.1');
    const keys = new RedisKeys('irx');
    const savedOf = async (): Promise<Map<string, ReturnType<typeof savedWindows>>> => {
      const bySeries = new Map<string, ReturnType<typeof savedWindows>>();
      for (let shard = 0; shard < 4; shard++) {
        const saved = savedWindows(await redis.hgetallBuffer(keys.detectionWindows(shard, 'load-metis')));
        for (const curve of saved?.curves ?? []) bySeries.set(curve.key, saved);
      }
      return bySeries;
    };
    try {
      await waitUntil('the windows of both curves saved, today up to minute 29', async () => {
        const saved = (await savedOf()).get('demo/load,host=a#v')?.curves.find((curve) => curve.key === 'demo/load,host=a#v');
        const today = saved?.rings[0];
        if (today === null || today === undefined) return false;
        const ring = new BucketRing(181);
        return ring.decode(today) && ring.newest() === (NOW + (LIVE - 1) * MINUTE) / MINUTE;
      }, 10_000);
      const saved = await savedOf();
      expect([...saved.keys()].sort()).toEqual(['demo/load,host=a#v', 'demo/load,host=b#v']);
      const a = saved.get('demo/load,host=a#v')?.curves.find((curve) => curve.key === 'demo/load,host=a#v');
      expect(a?.rings.map((ring) => ring !== null)).toEqual([true, true, true]);
      const today = new BucketRing(181);
      expect(today.decode(a?.rings[0] as Buffer)).toBe(true);
      const out = new Float64Array(181);
      expect(today.read((NOW + (LIVE - 181) * MINUTE) / MINUTE, out)).toBe(true);
      expect([...out]).toEqual(Array.from({ length: 181 }, (_, i) => Math.fround(value('a', LIVE - 181 + i))));
      expect(saved.get('demo/load,host=a#v')?.loaded.today).toBe(true);
    } finally {
      redis.disconnect();
    }

    // the worker dies; another takes the shards over with the saved windows and goes on, no query
    await worker.kill();
    const next = t.startWorker(c, 'worker-2', { INFLUXRING_LOG_LEVEL: 'info' });
    const log2 = join(c.dir, 'worker-2.log');
    await waitUntil('the new worker holds every shard', () => (readFileSync(log2, 'utf8').match(/"msg":"shard acquired"/g) ?? []).length >= 4, 15_000, () => readFileSync(log2, 'utf8').slice(-2000));
    const later = hosts.flatMap((host) => Array.from({ length: 20 }, (_, i) => LIVE + i).filter((m) => expectedAnomalous(host, m)).map((m) => `${host}@${m}`));
    expect(later).toEqual([`b@${SPIKE_B}`]);
    await write(c.url, ['a', 'b', 'c'], LIVE, LIVE + 19);
    await waitUntil('the second anomaly', async () => (await listed()).length >= 2, 30_000, () => readFileSync(log2, 'utf8').slice(-3000));
    await waitUntil('every later point judged', () => /"judged":40\b/.test(readFileSync(log2, 'utf8')), 20_000, () => readFileSync(log2, 'utf8').slice(-3000));
    expect((await listed()).map((a) => `${a.series}@${(a.time - NOW) / MINUTE}`).sort()).toEqual([`demo/load,host=a#v@${SPIKE}`, `demo/load,host=b#v@${SPIKE_B}`]);
    const log2Lines = readFileSync(log2, 'utf8').split('\n');
    expect(log2Lines.filter((line) => line.includes('"msg":"history loaded"'))).toEqual([]);
    const takenBack = log2Lines.filter((line) => line.includes('"msg":"past windows taken back from the last owner"')).map((line) => (JSON.parse(line) as { curves: number }).curves);
    expect(takenBack.reduce((sum, curves) => sum + curves, 0)).toBe(2);
    await waitUntil('a webhook call for b', () => calls.length === 2, 10_000);

    // moving on past what was loaded ahead (60 buckets): one more query for each window days back
    const quiet = hosts.flatMap((host) => Array.from({ length: 50 }, (_, i) => LIVE + 20 + i).filter((m) => expectedAnomalous(host, m)));
    expect(quiet).toEqual([]);
    await write(c.url, ['a', 'b', 'c'], LIVE + 20, LIVE + 69);
    await waitUntil('every point judged', () => /"judged":140\b/.test(readFileSync(log2, 'utf8')), 20_000, () => readFileSync(log2, 'utf8').slice(-3000));
    const more = readFileSync(log2, 'utf8').split('\n').filter((line) => line.includes('"msg":"history loaded"')).map((line) => (JSON.parse(line) as { window: string }).window);
    expect(more.sort()).toEqual(['10080 buckets back', '1440 buckets back']);
    expect(await listed()).toHaveLength(2);
    expect(next.child.exitCode).toBeNull();
  });

  it('what was loaded is known per shard: one query per window serves the shards that miss the same, a shard taken later loads alone', async () => {
    const c = await t.startCluster({ circles: [1] });
    const hosts = Array.from({ length: 12 }, (_, i) => `h${i}`);
    const response = await fetch(`${c.url}/query`, { method: 'POST', body: new URLSearchParams({ q: 'CREATE DATABASE demo' }) });
    expect(response.status).toBe(200);
    for (const [from, to] of HISTORY) await write(c.url, hosts, from, to);
    const rule = ruleSchema.parse({ name: 'm', db: 'demo', measurement: 'load', fields: ['v'], algorithm: { type: 'metis-value' } });
    const shardOfHost = (host: string): number => shardOf(seriesKey('demo', 'load', [['host', host]], 'v'), 4);
    expect(new Set(hosts.map(shardOfHost)).size).toBe(4);
    const owned = new Set([0, 1]);
    const loader = new HistoryLoader({ proxyUrl: c.url, headers: {}, shards: 4, prefetch: 60, timeout: 30_000, owns: (shard) => owned.has(shard), feed: () => undefined }, pino({ level: 'silent' }));
    const bucket = NOW / MINUTE - 1;
    const settle = async (shard: number): Promise<void> => {
      for (let loading = loader.ensure(rule, bucket, shard); loading !== null; loading = loader.ensure(rule, bucket, shard)) await loading;
    };
    const ready = (host: string): boolean => loader.curve(rule, seriesKey('demo', 'load', [['host', host]], 'v'), shardOfHost(host)).read(bucket) !== null;

    // shard 0 asks first: shard 1 (owned, nothing loaded either) is served by the same three queries
    await settle(0);
    expect(loader.queries).toBe(3);
    expect(loader.ensure(rule, bucket, 1)).toBeNull();
    const mine = hosts.filter((host) => owned.has(shardOfHost(host)));
    expect(mine.every(ready)).toBe(true);
    // taken over: shard 2 loads alone (its curves only); the others need nothing
    owned.add(2);
    await settle(2);
    expect(loader.queries).toBe(6);
    expect(loader.ensure(rule, bucket, 0)).toBeNull();
    expect(hosts.filter((host) => shardOfHost(host) === 2).every(ready)).toBe(true);
    // what a shard saves: its changed rings and what it loaded; given up, it starts over if taken again
    const saved = loader.changed(2).get('m');
    expect(saved?.curves.map((curve) => curve.key).sort()).toEqual(hosts.filter((host) => shardOfHost(host) === 2).map((host) => seriesKey('demo', 'load', [['host', host]], 'v')).sort());
    expect(saved?.loaded.today).toBe(true);
    expect(loader.changed(2).size).toBe(0);
    owned.delete(1);
    loader.forget(1);
    owned.add(1);
    expect(loader.ensure(rule, bucket, 1)).not.toBeNull();
    await settle(1);
    expect(loader.queries).toBe(9);
    // a save that failed: the same rings are to be saved again
    loader.unsaved(2, 'm', saved as NonNullable<typeof saved>);
    expect(loader.changed(2).get('m')?.curves.length).toBe(saved?.curves.length);

    // another worker takes shard 2 over with the saved windows: no query for it; shard 3 (nothing saved) loads alone
    const taker = (prefetch: number, shards: number[]): HistoryLoader => new HistoryLoader({ proxyUrl: c.url, headers: {}, shards: 4, prefetch, timeout: 30_000, owns: (shard) => shards.includes(shard), feed: () => undefined }, pino({ level: 'silent' }));
    const next = taker(60, [2, 3]);
    expect(next.restore(rule, 2, saved as NonNullable<typeof saved>)).toBe(true);
    expect(next.ensure(rule, bucket, 2)).toBeNull();
    expect(next.curve(rule, seriesKey('demo', 'load', [['host', hosts.find((host) => shardOfHost(host) === 2) as string]], 'v'), 2).read(bucket)).not.toBeNull();
    for (let loading = next.ensure(rule, bucket, 3); loading !== null; loading = next.ensure(rule, bucket, 3)) await loading;
    expect(next.queries).toBe(3);
    expect(next.ensure(rule, bucket, 2)).toBeNull();
    // saved for another algorithm: refused (the caller deletes it)
    const rate = ruleSchema.parse({ name: 'm', db: 'demo', measurement: 'load', fields: ['v'], algorithm: { type: 'metis-rate' } });
    expect(taker(60, [2]).restore(rate, 2, saved as NonNullable<typeof saved>)).toBe(false);
    // another historyPrefetch: the windows days back do not fit and are loaded again (2 queries), today's is kept
    const other = taker(30, [2]);
    expect(other.restore(rule, 2, saved as NonNullable<typeof saved>)).toBe(true);
    for (let loading = other.ensure(rule, bucket, 2); loading !== null; loading = other.ensure(rule, bucket, 2)) await loading;
    expect(other.queries).toBe(2);
    // a saved today's window far behind the first point that asks is loaded again
    const late = taker(60, [2]);
    late.restore(rule, 2, saved as NonNullable<typeof saved>);
    expect(late.ensure(rule, bucket + 30, 2)).not.toBeNull();
    for (let loading = late.ensure(rule, bucket + 30, 2); loading !== null; loading = late.ensure(rule, bucket + 30, 2)) await loading;
    expect(late.queries).toBe(1);
  });
});
