// Replay under live load: with 2 circles × 1 node and a steady write load, node `b` is killed for a
// while (its writes go to its replay buffer in Redis), then started again; we measure how fast the
// buffer drains while live writes keep arriving — it must drain faster than they come, or a node would
// never catch up — and check that every acknowledged point is on both nodes.
import { setTimeout as sleep } from 'node:timers/promises';
import { countPoints, metric, proxyHealth, startGenerator, type BenchCluster, type Load } from './harness.js';

/** A load well below the machine's capacity, and one that takes all of it. */
export const REPLAY_LOADS: Load[] = [
  { name: '10-line × 16', lines: 10, concurrency: 16 },
  { name: '5000-line × 2', lines: 5000, concurrency: 2 },
];
const DOWN_SECONDS = 8;
const TOTAL_SECONDS = 30;

export async function measureReplay(cluster: BenchCluster, processes: string, base: bigint, load: Load): Promise<string> {
  const db = `bench_replay_${load.lines}`;
  await cluster.createDatabase(db);
  const proxy = await cluster.startProxy([['a'], ['b']], processes, { health: { interval: 250 } });
  const b = cluster.node('b');
  const generator = startGenerator(proxy.url, `/write?db=${db}`, load, TOTAL_SECONDS, base);
  await sleep(2000);
  await b.kill();
  await sleep(DOWN_SECONDS * 1000);
  const buffered = (await proxyHealth(proxy.url)).circles[1]?.nodes[0]?.buffered.points ?? 0;
  const receivedBefore = await metric(proxy.url, 'influxring_points_received_total', '');
  const started = performance.now();
  await b.restart();
  let drained: number | null = null;
  while (performance.now() - started < (TOTAL_SECONDS - DOWN_SECONDS - 2) * 1000) {
    const node = (await proxyHealth(proxy.url)).circles[1]?.nodes[0];
    if (node?.active) {
      drained = (performance.now() - started) / 1000;
      break;
    }
    await sleep(100);
  }
  const receivedDuring = (await metric(proxy.url, 'influxring_points_received_total', '')) - receivedBefore;
  const replayed = await metric(proxy.url, 'influxring_points_replayed_total', 'node="b"');
  const result = await generator;
  // Whatever is still buffered is replayed before the points are counted.
  const end = performance.now();
  while (!(await proxyHealth(proxy.url)).circles[1]?.nodes[0]?.active && performance.now() - end < 300_000) await sleep(200);
  const afterLoad = (performance.now() - end) / 1000;
  await proxy.proc.stop();
  const [onA, onB] = await Promise.all([countPoints(cluster.node('a'), db), countPoints(b, db)]);
  await cluster.dropDatabase(db);
  const lost = Math.max(0, result.acknowledged - onA, result.acknowledged - onB);
  const live = receivedDuring / (drained ?? 1);
  return [
    `Replay under live load (${load.name}, 2 circles × 1 node, node b killed for ${DOWN_SECONDS} s):`,
    `  live writes: ${Math.round(result.acknowledged / result.elapsed)} acked points/s over ${result.elapsed.toFixed(0)} s; ${buffered} points buffered for b when it restarted`,
    drained === null
      ? `  the buffer did NOT drain while the load ran (${replayed} points replayed meanwhile); it drained ${afterLoad.toFixed(1)} s after the load ended`
      : `  drained in ${drained.toFixed(1)} s after the restart: ${replayed} points replayed (${Math.round(replayed / drained)} points/s) while live writes arrived at ${Math.round(live)} points/s (${(replayed / drained / live).toFixed(1)}×)`,
    `  on a: ${onA}, on b: ${onB}, acked: ${result.acknowledged}, lost: ${lost}`,
    '',
  ].join('\n');
}
