// `npm run bench:detect`: what detection costs and how much one worker process checks.
//   A. Per algorithm, in this process: CPU µs per point of a calibrated detector, and heap bytes per
//      curve (calibrated state).
//   B. The write path: the same write load through one proxy, in turns (`rounds` rounds of `seconds`
//      each way, ABBA), to a database no rule looks at and to one whose rules match every point (the
//      cost the proxy pays to hand points to detection; target ≤ 10%), no worker running, so the two
//      cores are the proxy's, influxd's, Redis's and the load generator's either way.
//   C. The points queued in B, judged by one worker process started afterwards: points/s until every
//      shard queue is empty, and the worker's CPU µs per point. Then end to end: the same load with
//      the worker running (2 × `seconds`), points/s from the proxy through the queues to a decision,
//      and the lag.
//   D. Capacity at a 1-minute cadence: a pass over N calibrated SPOT curves, one point each, in this
//      process; the curves one process keeps checking is what fits in 60 s of one core and in memory.
//   E. The same for Metis value detection: N curves with today's, yesterday's and last week's windows
//      in memory as a worker keeps them (curve-history.ts), one point each per pass.
//   F. What a worker pays to bootstrap Metis windows from the cluster (at its start, or when it takes a
//      shard over): N curves' windows loaded through the proxy with bulk queries (history-bootstrap.ts).
//   B and C run with detection's queues in a Redis of their own without persistence (detection.redisUrl;
//   `--queues shared`: in the main Redis, whose append-only file then takes every batch).
//   npm run bench:detect -- [--seconds 5] [--rounds 4] [--queues own|shared] [--curves 1000000] [--metis-curves 100000] [--history-curves 5000] [--parts abcdef]
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ruleSchema, type Rule } from '../config/rule-schema.js';
import { RedisKeys } from '../proxy/redis-keys.js';
import { DETECTION_QUEUE } from '../proxy/detection/detection-tap.js';
import { CurveHistory } from '../worker/detection/curve-history.js';
import { historyPlan, type HistoryPlan } from '../worker/detection/history-plan.js';
import { median } from '../worker/detect/robust-baseline.js';
import { judgeWithHistory, newSeriesState, observe, type SeriesState } from '../worker/detection/series-detector.js';
import { startRedis, type RedisServer } from '../deploy/local/redis-server.js';
import { partF } from './history-bootstrap.js';
import { BenchCluster, MEASUREMENTS, commandCpuSeconds, cpuSeconds, machineCpuSeconds, metric, option, query, runGenerator, type Load } from './harness.js';

const ALGORITHMS = [
  { type: 'spot' },
  { type: 'bispot' },
  { type: 'dspot', depth: 10 },
  { type: 'bidspot', depth: 10 },
  { type: 'robust', window: 360 },
  { type: 'context' },
] as const;

/** A deterministic noisy curve (LCG), values around 100. */
function noise(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return 100 + 10 * (state / 2147483648 - 0.5) + 10 * ((state % 977) / 977 - 0.5);
  };
}

function rule(algorithm: Record<string, unknown>, name = 'bench'): Rule {
  return ruleSchema.parse({ name, db: 'x', measurement: 'm', fields: ['v'], algorithm });
}

/** A curve's state after `points` points (calibrated for the SPOT family). */
function trained(r: Rule, seed: number, points: number): SeriesState {
  const state = newSeriesState(r);
  const next = noise(seed);
  for (let i = 0; i < points; i++) observe(state, r, next());
  return state;
}

/** Heap and typed-array memory in use, after a collection. */
function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  (globalThis as { gc?: () => void }).gc?.();
  const { heapUsed: heap, arrayBuffers } = process.memoryUsage();
  return heap + arrayBuffers;
}

const HISTORY_ALGORITHMS = [{ type: 'metis-value' }, { type: 'metis-rate' }, { type: 'seasonal-esd', period: 1440 }] as const;

/** A curve's history as a worker holds it once loaded: a daily cycle with noise up to bucket `now`. */
function loadedHistory(plan: HistoryPlan, seed: number, now: number): CurveHistory {
  const curve = new CurveHistory(plan, 0, 60);
  const next = noise(seed);
  const day = (b: number): number => next() + 30 * Math.sin((2 * Math.PI * b) / 1440);
  for (let b = now - plan.today + 1; b <= now; b++) curve.today.set(b, day(b));
  for (const [i, w] of plan.windows.entries()) for (let b = now - w.offset - w.before; b <= now - w.offset + w.after + 60; b++) curve.windows[i]?.set(b, day(b));
  return curve;
}

/** One point of a history curve judged as a worker judges it: recorded in today's window, then the windows read and judged. */
function judgeHistory(r: Rule, curve: CurveHistory, bucket: number, value: number): boolean {
  curve.today.set(bucket, value);
  const windows = curve.read(bucket);
  return windows !== null && judgeWithHistory(r, windows)?.anomalous === true;
}

/** What part A measured the memory of, kept to its end (memory freed meanwhile would spoil the next measure). */
const kept: unknown[] = [];

/** One row of part A: `step` timed over `steps` points, and the memory of 2000 curves made by `curve`. */
function detectorRow(name: string, steps: number, step: (i: number) => void, curve: (i: number) => unknown): string {
  const started = performance.now();
  for (let i = 1; i <= steps; i++) step(i);
  const micros = ((performance.now() - started) * 1000) / steps;
  const curves = 2000;
  const before = heapUsed();
  kept.push(Array.from({ length: curves }, (_, i) => curve(i + 11)));
  const bytes = (heapUsed() - before) / curves;
  process.stderr.write(`A ${name}: ${micros.toFixed(2)} µs/point, ${Math.round(bytes)} bytes/curve\n`);
  return `| ${name} | ${micros.toFixed(2)} | ${Math.round(bytes)} |`;
}

/** Points a curve has seen when its memory is measured: past calibration (context: 2000 points past it, its tables grow with the curve's shapes). */
const TRAINED_POINTS: Partial<Record<string, number>> = { robust: 400, context: 3000 };

function partA(): string {
  const rows = ['| algorithm | µs/point (calibrated) | bytes/curve (heap) |', '|---|---|---|'];
  for (const algorithm of ALGORITHMS) {
    const r = rule(algorithm);
    const state = trained(r, 1, 1500);
    const next = noise(7);
    rows.push(detectorRow(algorithm.type, 300_000, () => observe(state, r, next()), (seed) => trained(r, seed, TRAINED_POINTS[algorithm.type] ?? 1100)));
  }
  for (const algorithm of HISTORY_ALGORITHMS) {
    const r = rule(algorithm);
    const plan = historyPlan(r) as HistoryPlan;
    const now = 30_000_000;
    const curve = loadedHistory(plan, 1, now);
    const next = noise(7);
    rows.push(detectorRow(algorithm.type, 3000, (i) => judgeHistory(r, curve, now + (i % 60), next()), (seed) => loadedHistory(plan, seed, now)));
  }
  return rows.join('\n');
}

function partE(curves: number): string {
  kept.length = 0;
  const r = rule({ type: 'metis-value' });
  const plan = historyPlan(r) as HistoryPlan;
  const now = 30_000_000;
  const before = heapUsed();
  const histories: CurveHistory[] = [];
  for (let i = 0; i < curves; i++) histories.push(loadedHistory(plan, i + 1, now));
  const bytes = (heapUsed() - before) / curves;
  const next = noise(5);
  const passes: number[] = [];
  for (let pass = 1; pass <= 3; pass++) {
    const started = performance.now();
    for (const history of histories) judgeHistory(r, history, now + pass, next());
    passes.push((performance.now() - started) / 1000);
  }
  const seconds = Math.min(...passes);
  process.stderr.write(`E: ${curves} Metis curves, one point each: ${seconds.toFixed(2)} s per pass (best of 3), ${Math.round(bytes)} bytes/curve\n`);
  return [
    '| curves (Metis value, windows loaded) | one point each: seconds per pass (best of 3) | bytes/curve (heap + typed arrays) | curves per 60 s of one core |',
    '|---|---|---|---|',
    `| ${curves.toLocaleString('en')} | ${seconds.toFixed(2)} | ${Math.round(bytes)} | ${Math.floor((curves * 60) / seconds).toLocaleString('en')} |`,
  ].join('\n');
}

function partD(curves: number): string {
  const r = rule({ type: 'spot' });
  // Curves that went through calibration, made cheaply: one trained state, copied per curve.
  const template = JSON.stringify(trained(r, 3, 1100));
  const before = heapUsed();
  const states: SeriesState[] = [];
  for (let i = 0; i < curves; i++) states.push(JSON.parse(template) as SeriesState);
  const bytes = (heapUsed() - before) / curves;
  const next = noise(5);
  const passes: number[] = [];
  for (let pass = 0; pass < 3; pass++) {
    const started = performance.now();
    for (const state of states) observe(state, r, next());
    passes.push((performance.now() - started) / 1000);
  }
  const seconds = Math.min(...passes);
  process.stderr.write(`D: ${curves} SPOT curves, one point each: ${seconds.toFixed(2)} s per pass (best of 3), ${Math.round(bytes)} bytes/curve\n`);
  return [
    '| curves (SPOT, calibrated) | one point each: seconds per pass (best of 3) | heap bytes/curve | curves per 60 s of one core |',
    '|---|---|---|---|',
    `| ${curves.toLocaleString('en')} | ${seconds.toFixed(2)} | ${Math.round(bytes)} | ${Math.floor((curves * 60) / seconds).toLocaleString('en')} |`,
  ].join('\n');
}

const TOKEN = 'bench-detect-token';
const LOAD: Load = { name: '5000-line × 4', lines: 5000, concurrency: 4 };

interface CpuUse {
  readonly proxy: number;
  readonly redis: number;
  readonly influxd: number;
  readonly machine: number;
}

function cpuUse(proxyPid: number): CpuUse {
  return { proxy: cpuSeconds(proxyPid), redis: commandCpuSeconds('redis-server'), influxd: commandCpuSeconds('influxd'), machine: machineCpuSeconds() };
}

/** CPU seconds `cpu` spread over `points`, in µs each. */
function perPoint(cpu: CpuUse, points: number): Record<keyof CpuUse, string> {
  const each = (key: keyof CpuUse): string => ((cpu[key] * 1e6) / Math.max(1, points)).toFixed(2);
  return { proxy: each('proxy'), redis: each('redis'), influxd: each('influxd'), machine: each('machine') };
}

async function queuedBacklog(redisUrl: string, prefix: string, shards: number): Promise<number> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const keys = new RedisKeys(prefix);
  let total = 0;
  for (let shard = 0; shard < shards; shard++) {
    const queue = new Queue(DETECTION_QUEUE, { connection, prefix: keys.detectionShardPrefix(shard) });
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    total += Object.values(counts).reduce((sum, n) => sum + n, 0);
    await queue.close();
  }
  connection.disconnect();
  return total;
}

/** One side of part B: its loads' points and seconds, and the CPU it took. */
interface Side {
  points: number;
  seconds: number;
  cpu: CpuUse;
  readonly rates: number[];
}

const emptySide = (): Side => ({ points: 0, seconds: 0, cpu: { proxy: 0, redis: 0, influxd: 0, machine: 0 }, rates: [] });

function addCpu(side: Side, after: CpuUse, before: CpuUse): void {
  const cpu = side.cpu;
  side.cpu = { proxy: cpu.proxy + after.proxy - before.proxy, redis: cpu.redis + after.redis - before.redis, influxd: cpu.influxd + after.influxd - before.influxd, machine: cpu.machine + after.machine - before.machine };
}

/**
 * `queues`: `shared`, detection's queues in the Redis that keeps the replay buffers (append-only file
 * on); `own`, in a Redis of their own without persistence (detection.redisUrl, as the local cluster and
 * docker compose run them).
 */
async function partsBC(cluster: BenchCluster, seconds: number, rounds: number, queues: 'shared' | 'own', base: bigint): Promise<string> {
  if (queues === 'shared') return measureBC(cluster, cluster.redis, seconds, rounds, queues, base);
  const queueRedis = await startRedis({ dir: join(cluster.dir, 'redis-detection'), extraArgs: ['--appendonly', 'no'] });
  try {
    return await measureBC(cluster, queueRedis, seconds, rounds, queues, base);
  } finally {
    await queueRedis.stop();
  }
}

async function measureBC(cluster: BenchCluster, queueRedis: RedisServer, seconds: number, rounds: number, queues: 'shared' | 'own', base: bigint): Promise<string> {
  const shards = 16;
  const db = 'bench_detect';
  const plainDb = 'bench_plain';
  await cluster.createDatabase(db);
  await cluster.createDatabase(plainDb);
  const rules = Array.from({ length: MEASUREMENTS }, (_, i) => ({ name: `m${i}`, db, measurement: `m${i}`, fields: ['v'], algorithm: { type: 'spot', calibration: 100 } }));
  // B: one proxy; the same load in turns to a database no rule looks at and to one whose rules match
  // every point (ABBA order, so a machine slowing down or speeding up weighs on both alike).
  const proxy = await cluster.startProxy([['a']], '1', { admin: { token: TOKEN }, rules, detection: { shards, redisUrl: queues === 'own' ? queueRedis.url : '' } });
  const port = new URL(proxy.url).port;
  const pid = proxy.proc.child.pid as number;
  let worker: ReturnType<BenchCluster['startWorker']> | null = null;
  try {
    await sleep(1500);
    // Warm-up (its points are queued too: the worker of part C judges them).
    const queuedBefore = await metric(proxy.url, 'influxring_detection_points_queued_total', '');
    runGenerator(proxy.url, `/write?db=${plainDb}`, LOAD, 2, 1_500_000_000_000_000_000n);
    runGenerator(proxy.url, `/write?db=${db}`, LOAD, 2, 1_500_000_000_000_000_000n);
    const plain = emptySide();
    const watched = emptySide();
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? [false, true] : [true, false];
      for (const withRules of order) {
        const side = withRules ? watched : plain;
        const before = cpuUse(pid);
        const run = runGenerator(proxy.url, `/write?db=${withRules ? db : plainDb}`, LOAD, seconds, base + BigInt(round) * 10_000_000_000_000n);
        // The CPU after what the load left to do (batches handed over after the last answer), not in the next turn.
        await sleep(1000);
        addCpu(side, cpuUse(pid), before);
        side.points += run.acknowledged;
        side.seconds += run.elapsed;
        side.rates.push(run.acknowledged / run.elapsed);
      }
    }
    const roundRatios = watched.rates.map((rate, i) => rate / (plain.rates[i] as number));
    const ratio = median(roundRatios);
    const plainUse = perPoint(plain.cpu, plain.points);
    const rulesUse = perPoint(watched.cpu, watched.points);
    process.stderr.write(`B rounds: ${roundRatios.map((r) => r.toFixed(2)).join(' ')}; CPU µs/point without ${JSON.stringify(plainUse)}, with ${JSON.stringify(rulesUse)}\n`);
    await sleep(1000);
    const queued = (await metric(proxy.url, 'influxring_detection_points_queued_total', '')) - queuedBefore;
    const skipped = await metric(proxy.url, 'influxring_detection_points_skipped_total', '');
    const redisUrl = queueRedis.url;
    const prefix = `bench${port}`;
    // C: one worker judges the backlog.
    worker = cluster.startWorker(proxy, { INFLUXRING_DETECTION_PROXY_URL: `http://127.0.0.1:${port}` });
    const started = performance.now();
    let backlog = await queuedBacklog(redisUrl, prefix, shards);
    while (backlog > 0 && performance.now() - started < 600_000) {
      await sleep(500);
      backlog = await queuedBacklog(redisUrl, prefix, shards);
    }
    const drainedSeconds = (performance.now() - started) / 1000;
    const workerCpu = cpuSeconds(worker.child.pid as number);
    // End to end: the load again, the worker running: from the proxy through the queues to a decision.
    const queuedBeforeLive = await metric(proxy.url, 'influxring_detection_points_queued_total', '');
    const liveStarted = performance.now();
    const live = runGenerator(proxy.url, `/write?db=${db}`, LOAD, 2 * seconds, base + BigInt(rounds + 1) * 10_000_000_000_000n);
    const loadEnded = performance.now();
    await sleep(500);
    backlog = await queuedBacklog(redisUrl, prefix, shards);
    while (backlog > 0 && performance.now() - loadEnded < 600_000) {
      await sleep(250);
      backlog = await queuedBacklog(redisUrl, prefix, shards);
    }
    const liveSeconds = (performance.now() - liveStarted) / 1000;
    const lagSeconds = (performance.now() - loadEnded) / 1000;
    const liveQueued = (await metric(proxy.url, 'influxring_detection_points_queued_total', '')) - queuedBeforeLive;
    process.stderr.write(`F: ${Math.round(live.acknowledged / live.elapsed)} points/s written, ${liveQueued} judged in ${liveSeconds.toFixed(1)} s (last queue empty ${lagSeconds.toFixed(1)} s after the load)\n`);
    process.stderr.write(`B: ${Math.round(plain.points / plain.seconds)} vs ${Math.round(watched.points / watched.seconds)} points/s (median of rounds ${ratio.toFixed(2)}×); C: ${queued} queued, drained in ${drainedSeconds.toFixed(1)} s\n`);
    return [
      `| write load (1 node, proxy 1 process; ${rounds} rounds of ${seconds} s each way, ABBA; detection queues: ${queues === 'own' ? 'a Redis of their own, no persistence' : 'the main Redis, append-only file on'}) | to a database no rule looks at | to one whose rules match every point | × (median of the rounds) | × per round | points queued | skipped |`,
      '|---|---|---|---|---|---|---|',
      `| ${LOAD.name} | ${Math.round(plain.points / plain.seconds)} points/s | ${Math.round(watched.points / watched.seconds)} points/s | ${ratio.toFixed(2)}× | ${roundRatios.map((r) => r.toFixed(2)).join(', ')} | ${queued} | ${skipped} |`,
      '',
      '| CPU µs per acknowledged point | proxy | redis-server | influxd | whole machine |',
      '|---|---|---|---|---|',
      `| no rule | ${plainUse.proxy} | ${plainUse.redis} | ${plainUse.influxd} | ${plainUse.machine} |`,
      `| rules matching every point | ${rulesUse.proxy} | ${rulesUse.redis} | ${rulesUse.influxd} | ${rulesUse.machine} |`,
      '',
      '| one worker process judging the queued points (SPOT calibrated on a curve\'s first 100 points, 16 shards) | value |',
      '|---|---|',
      `| points judged | ${queued} |`,
      `| from its start to every queue empty | ${drainedSeconds.toFixed(1)} s → ${Math.round(queued / drainedSeconds)} points/s |`,
      `| worker CPU (start-up included) | ${((workerCpu * 1e6) / Math.max(1, queued)).toFixed(2)} µs/point |`,
      '',
      '| end to end: the same load again, with the worker running on the same machine | value |',
      '|---|---|',
      `| points written | ${Math.round(live.acknowledged / live.elapsed)} points/s (${live.acknowledged} in ${live.elapsed.toFixed(1)} s) |`,
      `| points judged (through the queues) | ${liveQueued} from the load's start to every queue empty, ${liveSeconds.toFixed(1)} s → ${Math.round(liveQueued / liveSeconds)} points/s |`,
      `| last queue empty after the load ended | ${lagSeconds.toFixed(1)} s (queues checked every 250 ms, after 500 ms) |`,
    ].join('\n');
  } finally {
    await worker?.stop();
    await proxy.proc.stop();
    await query(cluster.node('a').url, `DROP DATABASE "${db}"`);
    await query(cluster.node('a').url, `DROP DATABASE "${plainDb}"`);
  }
}

async function main(): Promise<void> {
  const seconds = Number(option('seconds', '5'));
  const rounds = Number(option('rounds', '4'));
  const queues = option('queues', 'own');
  if (queues !== 'own' && queues !== 'shared') throw new Error('--queues is own or shared');
  const curves = Number(option('curves', '1000000'));
  const metisCurves = Number(option('metis-curves', '100000'));
  const historyCurves = Number(option('history-curves', '5000'));
  const parts = option('parts', 'abcdef');
  const a = parts.includes('a') ? partA() : '';
  const d = parts.includes('d') ? partD(curves) : '';
  const e = parts.includes('e') ? partE(metisCurves) : '';
  let bc = '';
  let f = '';
  if (parts.includes('b') || parts.includes('c') || parts.includes('f')) {
    const cluster = await BenchCluster.start();
    try {
      if (parts.includes('b') || parts.includes('c')) bc = await partsBC(cluster, seconds, rounds, queues, 1_700_000_000_000_000_000n);
      if (parts.includes('f')) f = await partF(cluster, historyCurves);
    } finally {
      await cluster.stop();
    }
  }
  process.stdout.write(`\n${[a, bc, d, e, f].filter((t) => t !== '').join('\n\n')}\n\n${new Date().toISOString()}, node ${process.version}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:detect: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
