// Part F of `npm run bench:detect`: what a worker pays to bootstrap Metis windows — from the cluster
// when it starts or takes over a shard whose owner saved none, from Redis when it saved them. N curves of one Metis rule have today's, yesterday's and last week's windows (plus the
// prefetch) in the cluster; a HistoryLoader in this process, owning every shard, loads them through
// the proxy with one bulk query per window, then again owning one shard of 16 (a takeover without
// saved windows: the queries still read every curve of the rule, the loader keeps that shard's), and
// a takeover of that shard with the windows its last owner saved in Redis (read back, no query).
import { Redis } from 'ioredis';
import pino from 'pino';
import { ruleSchema, type Rule } from '../config/rule-schema.js';
import { shardOf, seriesKey } from '../proxy/detection/series-key.js';
import { HistoryLoader } from '../worker/detection/history-loader.js';
import { historyPlan, type HistoryPlan } from '../worker/detection/history-plan.js';
import { savedWindows, windowsPairs } from '../worker/detection/saved-windows.js';
import type { BenchCluster } from './harness.js';

const DB = 'bench_history';
const SHARDS = 16;
const PREFETCH = 60;
const LINES_PER_WRITE = 5000;

/** The buckets of each window a point in `bucket` needs, prefetch included (today's first). */
function neededBuckets(plan: HistoryPlan, bucket: number): [number, number][] {
  return [[bucket - plan.today + 1, bucket] as [number, number]].concat(plan.windows.map((w) => [bucket - w.offset - w.before, bucket - w.offset + w.after + PREFETCH]));
}

/** Writes every curve's points of `ranges` through the proxy, 4 writes at a time; returns how many. */
async function writeWindows(proxyUrl: string, curves: number, ranges: [number, number][], interval: number): Promise<number> {
  const lines: string[] = [];
  for (const [from, to] of ranges) {
    for (let b = from; b <= to; b++) for (let c = 0; c < curves; c++) lines.push(`cpu,host=h${c} v=${(50 + 10 * Math.sin(b / 60) + (c % 7)).toFixed(2)} ${b * interval}`);
  }
  let next = 0;
  const writer = async (): Promise<void> => {
    while (next < lines.length) {
      const body = lines.slice(next, next + LINES_PER_WRITE).join('\n');
      next += LINES_PER_WRITE;
      const response = await fetch(`${proxyUrl}/write?db=${DB}&precision=ms`, { method: 'POST', body });
      if (response.status !== 204) throw new Error(`write: HTTP ${response.status} ${await response.text()}`);
    }
  };
  await Promise.all([writer(), writer(), writer(), writer()]);
  return lines.length;
}

/** Loads the windows of a point in `bucket` for the curves of the shards `owns` takes; returns the seconds, queries and points kept. */
async function bootstrap(proxyUrl: string, rule: Rule, bucket: number, owns: (shard: number) => boolean, before?: (loader: HistoryLoader) => Promise<void>): Promise<{ seconds: number; queries: number; points: number; loader: HistoryLoader }> {
  const loader = new HistoryLoader({ proxyUrl, headers: {}, shards: SHARDS, prefetch: PREFETCH, timeout: 600_000, owns, feed: () => undefined }, pino({ level: 'warn' }));
  const started = performance.now();
  await before?.(loader);
  for (let loading = loader.ensure(rule, bucket, 0); loading !== null; loading = loader.ensure(rule, bucket, 0)) await loading;
  return { seconds: (performance.now() - started) / 1000, queries: loader.queries, points: loader.pointsLoaded, loader };
}

export async function partF(cluster: BenchCluster, curves: number): Promise<string> {
  const rule = ruleSchema.parse({ name: 'f', db: DB, measurement: 'cpu', fields: ['v'], algorithm: { type: 'metis-value' } });
  const plan = historyPlan(rule) as HistoryPlan;
  const bucket = Math.floor(Date.now() / plan.interval) - 1;
  await cluster.createDatabase(DB);
  const proxy = await cluster.startProxy([['a']], '1');
  try {
    const writeStarted = performance.now();
    const written = await writeWindows(proxy.url, curves, neededBuckets(plan, bucket), plan.interval);
    process.stderr.write(`F: ${written} points written in ${((performance.now() - writeStarted) / 1000).toFixed(1)} s\n`);
    const all = await bootstrap(proxy.url, rule, bucket, () => true);
    // Every curve's windows are there: the point in `bucket` can be judged.
    let ready = 0;
    for (let c = 0; c < curves; c++) {
      const key = seriesKey(DB, 'cpu', [['host', `h${c}`]], 'v');
      if (all.loader.curve(rule, key, shardOf(key, SHARDS)).read(bucket) !== null) ready++;
    }
    const one = await bootstrap(proxy.url, rule, bucket, (shard) => shard === 0);
    // Shard 0's windows as its owner saves them, then taken back by a worker taking the shard over.
    const redis = new Redis(cluster.redis.url);
    const key = `bench-windows:{detect:0}:windows:${rule.name}`;
    let bytes = 0;
    let saved = 0;
    let restored = { seconds: 0, queries: 0, points: 0, ready: 0 };
    try {
      const windows = all.loader.changed(0).get(rule.name);
      if (windows === undefined) throw new Error('no windows of shard 0 to save');
      const pairs = windowsPairs(windows);
      bytes = pairs.reduce((sum, p) => sum + Buffer.byteLength(p), 0);
      const saveStarted = performance.now();
      for (let at = 0; at < pairs.length; at += 4000) await redis.hset(key, ...pairs.slice(at, at + 4000));
      saved = (performance.now() - saveStarted) / 1000;
      const taken = await bootstrap(proxy.url, rule, bucket, (shard) => shard === 0, async (loader) => {
        const back = savedWindows(await redis.hgetallBuffer(key));
        if (back === null) throw new Error('saved windows not read back');
        loader.restore(rule, 0, back);
      });
      let ready = 0;
      for (const { key: curve } of windows.curves) if (taken.loader.curve(rule, curve, 0).read(bucket) !== null) ready++;
      restored = { ...taken, ready };
    } finally {
      await redis.del(key);
      redis.disconnect();
    }
    process.stderr.write(`F: ${curves} Metis curves bootstrapped in ${all.seconds.toFixed(1)} s (${ready} ready); one shard of ${SHARDS} in ${one.seconds.toFixed(1)} s, from its saved windows (${bytes} bytes, saved in ${saved.toFixed(2)} s) in ${restored.seconds.toFixed(2)} s\n`);
    const row = (what: string, r: typeof all, kept: string): string =>
      `| ${what} | ${r.queries} | ${r.points.toLocaleString('en')} | ${r.seconds.toFixed(1)} | ${Math.round(r.points / r.seconds).toLocaleString('en')} | ${kept} |`;
    return [
      `| Metis windows loaded from the cluster (${curves.toLocaleString('en')} curves, ${written.toLocaleString('en')} points stored) | bulk queries | points kept | seconds | points kept/s | curves ready to judge |`,
      '|---|---|---|---|---|---|',
      row('a worker owning every shard (its start)', all, `${ready.toLocaleString('en')}`),
      row(`a takeover of one shard of ${SHARDS}, nothing saved`, one, 'its own'),
      `| the same shard taken over with the windows its last owner saved (${(bytes / 1e6).toFixed(1)} MB in Redis, written in ${saved.toFixed(2)} s) | ${restored.queries} | read back | ${restored.seconds.toFixed(2)} | — | ${restored.ready.toLocaleString('en')} |`,
    ].join('\n');
  } finally {
    await proxy.proc.stop();
    await cluster.dropDatabase(DB);
  }
}
