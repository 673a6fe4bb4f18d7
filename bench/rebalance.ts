// Rebalance speed, idle and under write load. A proxy with one circle of node `a` is filled through
// the proxy; node `b` is added and a worker rebalances (copies what b now owns): points copied per
// second, idle. Then, under a steady write load, `b` is removed again and rebalanced with the copy
// throttled (jobs.copyRate): the write rate and latency while the job runs, against just before it.
import { setTimeout as sleep } from 'node:timers/promises';
import { metric, query, runGenerator, startGenerator, type BenchCluster, type Load } from './harness.js';

const TOKEN = 'bench-admin-token';
const FILL: Load = { name: '5000-line × 4', lines: 5000, concurrency: 4 };
/** A steady production-like load: 100k points/s offered, about a quarter of what this machine takes. */
const STEADY: Load = { name: '1000-line × 4 at 100k points/s', lines: 1000, concurrency: 4, rate: 100_000 };
const THROTTLES = [100_000, 50_000];

interface JobResult {
  readonly points: number;
  readonly seconds: number;
  readonly pointsPerSecond: number;
  readonly copySeconds: number;
  readonly copyPointsPerSecond: number;
}

async function admin(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Runs a job to its end; `tick` is called every 100 ms meanwhile. */
async function runJob(url: string, request: Record<string, unknown>, tick: () => Promise<void> = async () => undefined): Promise<JobResult> {
  const started = await admin(url, 'POST', '/admin/jobs', request);
  if (started.status !== 202) throw new Error(`job refused: ${JSON.stringify(started.body)}`);
  const id = started.body.id as string;
  for (;;) {
    const { body } = await admin(url, 'GET', `/admin/jobs/${id}`);
    const job = body.job as { state: string; result: JobResult; failedReason: string };
    if (job.state === 'completed') return job.result;
    if (job.state === 'failed') throw new Error(`job ${id} failed: ${job.failedReason}\n${(body.logs as string[]).join('\n')}`);
    await tick();
    await sleep(100);
  }
}

const received = (url: string): Promise<number> => metric(url, 'influxring_points_received_total', '');

export async function measureRebalance(cluster: BenchCluster, processes: string, base: bigint, fillSeconds: number): Promise<string> {
  const db = 'bench_rebalance';
  const proxy = await cluster.startProxy([['a']], processes, { admin: { token: TOKEN }, health: { interval: 250 }, jobs: { barrierTimeout: '60s' } });
  // Through the proxy: the database is in the catalog, so node b gets it when it joins.
  await query(proxy.url, `CREATE DATABASE "${db}"`);
  let worker = cluster.startWorker(proxy);
  try {
    const fill = runGenerator(proxy.url, `/write?db=${db}`, FILL, fillSeconds, base);
    const b = cluster.node('b');
    const added = await admin(proxy.url, 'POST', '/admin/circles/circle-0/nodes', { name: 'b', url: b.url });
    if (added.status !== 201) throw new Error(`adding b: ${JSON.stringify(added.body)}`);
    const idle = await runJob(proxy.url, { type: 'rebalance', circle: 'circle-0' });
    await runJob(proxy.url, { type: 'cleanup', circle: 'circle-0' });
    process.stderr.write(`rebalance idle: ${idle.points} points in ${idle.seconds} s = ${idle.pointsPerSecond} points/s\n`);

    const rows = [
      '| rebalance | points copied | job seconds | points/s (whole job) | points/s (copy phase) | writes during / before the job |',
      '|---|---|---|---|---|---|',
      `| idle: node b added to 1 circle × 1 node (filled with ${fill.acknowledged} points, ${FILL.name}) | ${idle.points} | ${idle.seconds} | ${idle.pointsPerSecond} | ${idle.copyPointsPerSecond} | — |`,
    ];
    // Under load: b is removed (its data moves back to a) and added again, throttled, while clients write.
    let acknowledged = 0;
    let failed = 0;
    for (const [i, throttle] of THROTTLES.entries()) {
      await worker.stop();
      worker = cluster.startWorker(proxy, { INFLUXRING_JOBS_COPY_RATE: String(throttle) });
      const generator = startGenerator(proxy.url, `/write?db=${db}`, STEADY, 90, base + BigInt(i + 1) * 50_000_000_000_000n);
      await sleep(3000);
      const beforeStart = await received(proxy.url);
      await sleep(5000);
      const baseline = ((await received(proxy.url)) - beforeStart) / 5;
      const change = i % 2 === 0 ? await admin(proxy.url, 'DELETE', '/admin/nodes/b') : await admin(proxy.url, 'POST', '/admin/circles/circle-0/nodes', { name: 'b', url: b.url });
      if (change.status !== 202 && change.status !== 201) throw new Error(`changing the ring: ${JSON.stringify(change.body)}`);
      // The write rate while the job runs and the load still goes on.
      let loadDone = false;
      void generator.then(() => {
        loadDone = true;
      });
      const samples: { at: number; points: number }[] = [];
      const sample = async (): Promise<void> => {
        if (!loadDone) samples.push({ at: performance.now(), points: await received(proxy.url) });
      };
      await sample();
      const loaded = await runJob(proxy.url, { type: 'rebalance', circle: 'circle-0' }, sample);
      await sample();
      const first = samples[0] as { at: number; points: number };
      const last = samples[samples.length - 1] as { at: number; points: number };
      const during = (last.points - first.points) / ((last.at - first.at) / 1000);
      const overlap = (last.at - first.at) / 1000;
      await runJob(proxy.url, { type: 'cleanup', circle: 'circle-0' });
      // The generator runs for its fixed time; a stop is its end.
      const result = await generator;
      acknowledged += result.acknowledged;
      failed += result.failed;
      process.stderr.write(`rebalance under load, throttle ${throttle}: ${loaded.points} points in ${loaded.seconds} s; writes ${Math.round(during)}/s during (${overlap.toFixed(1)} s measured) vs ${Math.round(baseline)}/s before\n`);
      rows.push(
        `| under load (${STEADY.name}), copy throttled to ${throttle}/s: node b ${i % 2 === 0 ? 'removed' : 'added'} | ${loaded.points} | ${loaded.seconds} | ${loaded.pointsPerSecond} | ${loaded.copyPointsPerSecond} | ${Math.round(during)} / ${Math.round(baseline)} = ${(during / baseline).toFixed(2)}× (over ${overlap.toFixed(0)} s) |`,
      );
    }
    rows.push('', `Writes of the steady loads: ${acknowledged} acknowledged, ${failed} failed.`);
    return `${rows.join('\n')}\n`;
  } finally {
    await worker.stop();
    await proxy.proc.stop();
  }
}
