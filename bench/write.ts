// `npm run bench`: write throughput of the proxy against direct InfluxDB, in one run on this machine.
// Starts its own Redis and two influxd, then for each load (5000-line × 8 clients, 10-line × 16
// clients) measures: direct to one influxd; the proxy with 1 circle × 2 nodes; the proxy with
// 2 circles × 1 node. Counts the points that landed on the nodes, and prints points/s, latency
// percentiles, the proxy's CPU per point and the ratios to direct. Then measures how fast a node's
// replay buffer drains under live load (bench/replay.ts), queries (bench/query.ts), and rebalance speed
// idle and under write load (bench/rebalance.ts).
//   npm run bench -- [--seconds 10] [--rounds 1] [--processes 1] [--extended] [--no-replay] [--no-query]
//                    [--no-rebalance] [--rebalance-only] [--fill-seconds 8]
// INFLUXRING_* variables reach the proxy (e.g. INFLUXRING_WRITE_GZIP=true).
import { BenchCluster, countPoints, cpuSeconds, option, runGenerator, type Load } from './harness.js';
import { measureQueries } from './query.js';
import { measureRebalance } from './rebalance.js';
import { REPLAY_LOADS, measureReplay } from './replay.js';

interface Target {
  name: string;
  /** null: straight to node `a`. */
  circles: string[][] | null;
}

interface Row {
  load: string;
  target: string;
  ackedPerSecond: number;
  storedPerSecond: number;
  p50: number;
  p99: number;
  cpuMicrosPerPoint: number | null;
  ratio: number | null;
  lost: number;
  failed: number;
}

const LOADS: Load[] = [
  { name: '5000-line × 8', lines: 5000, concurrency: 8 },
  { name: '10-line × 16', lines: 10, concurrency: 16 },
];

/** With --extended: how small writes scale with more clients (more clients, larger node batches). */
const EXTENDED_LOADS: Load[] = [
  { name: '10-line × 64', lines: 10, concurrency: 64 },
  { name: '10-line × 256', lines: 10, concurrency: 256 },
];

const TARGETS: Target[] = [
  { name: 'direct', circles: null },
  { name: 'proxy 1 circle × 2 nodes', circles: [['a', 'b']] },
  { name: 'proxy 2 circles × 1 node', circles: [['a'], ['b']] },
];

async function measure(cluster: BenchCluster, load: Load, target: Target, db: string, seconds: number, processes: string, base: bigint): Promise<{ row: Omit<Row, 'ratio'>; next: bigint }> {
  await cluster.createDatabase(db);
  await cluster.createDatabase('warmup');
  const proxy = target.circles === null ? null : await cluster.startProxy(target.circles, processes);
  const url = proxy?.url ?? cluster.node('a').url;
  // Warm up connections and the JIT, into a database that is not counted.
  runGenerator(url, '/write?db=warmup', load, 2, 1_500_000_000_000_000_000n);
  const cpuBefore = proxy ? cpuSeconds(proxy.proc.child.pid as number) : 0;
  const result = runGenerator(url, `/write?db=${db}`, load, seconds, base);
  const cpu = proxy ? cpuSeconds(proxy.proc.child.pid as number) - cpuBefore : 0;
  await proxy?.proc.stop();
  const circles = target.circles ?? [['a']];
  const perCircle = await Promise.all(
    circles.map(async (names) => (await Promise.all(names.map((n) => countPoints(cluster.node(n), db)))).reduce((s, x) => s + x, 0)),
  );
  await cluster.dropDatabase(db);
  return {
    row: {
      load: load.name,
      target: target.name,
      ackedPerSecond: result.acknowledged / result.elapsed,
      storedPerSecond: perCircle.reduce((s, x) => s + x, 0) / result.elapsed,
      p50: result.p50,
      p99: result.p99,
      cpuMicrosPerPoint: proxy ? (cpu * 1e6) / Math.max(1, result.acknowledged) : null,
      lost: Math.max(0, ...perCircle.map((count) => result.acknowledged - count)),
      failed: result.failed,
    },
    next: BigInt(result.lastTimestamp) + 1_000_000n,
  };
}

function describe(row: Row): string {
  return (
    `${row.load} | ${row.target}: ${Math.round(row.ackedPerSecond)} acked points/s, p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms` +
    `${row.cpuMicrosPerPoint === null ? '' : `, proxy CPU ${row.cpuMicrosPerPoint.toFixed(2)} µs/point`}${row.ratio === null ? '' : `, ${row.ratio.toFixed(2)}× direct`}` +
    `${row.lost > 0 ? `, LOST ${row.lost}` : ''}${row.failed > 0 ? `, failed ${row.failed}` : ''}`
  );
}

function table(rows: readonly Row[]): string {
  const fmt = (n: number): string => (n >= 1000 ? `${Math.round(n / 1000)}k` : n.toFixed(0));
  return [
    '| load | target | acked points/s | stored points/s | p50 ms | p99 ms | proxy CPU µs/point | × direct | lost |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.load} | ${r.target} | ${fmt(r.ackedPerSecond)} | ${fmt(r.storedPerSecond)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ` +
        `${r.cpuMicrosPerPoint === null ? '—' : r.cpuMicrosPerPoint.toFixed(2)} | ${r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`} | ${r.lost} |`,
    ),
  ].join('\n');
}

async function main(): Promise<void> {
  const seconds = Number(option('seconds', '10'));
  const rounds = Number(option('rounds', '1'));
  const processes = option('processes', '1');
  const rebalanceOnly = process.argv.includes('--rebalance-only');
  const loads = rebalanceOnly ? [] : process.argv.includes('--extended') ? [...LOADS, ...EXTENDED_LOADS] : LOADS;
  const cluster = await BenchCluster.start();
  let base = 1_600_000_000_000_000_000n;
  const rows: Row[] = [];
  let replay = '';
  let queries = '';
  let rebalance = '';
  try {
    for (let round = 0; round < rounds; round++) {
      for (const load of loads) {
        let direct: number | null = null;
        for (const target of TARGETS) {
          const db = `bench_${round}_${load.lines}_${load.concurrency}_${target.circles === null ? 'direct' : target.circles.length}`;
          const { row, next } = await measure(cluster, load, target, db, seconds, processes, base);
          base = next;
          if (target.circles === null) direct = row.ackedPerSecond;
          const full: Row = { ...row, ratio: direct === null || target.circles === null ? null : row.ackedPerSecond / direct };
          rows.push(full);
          process.stderr.write(`${describe(full)}\n`);
        }
      }
    }
    if (!process.argv.includes('--no-query') && !rebalanceOnly) queries = await measureQueries(cluster, processes);
    if (!process.argv.includes('--no-replay') && !rebalanceOnly) {
      for (const load of REPLAY_LOADS) {
        replay += await measureReplay(cluster, processes, base, load);
        base += 100_000_000_000_000n;
      }
    }
    if (!process.argv.includes('--no-rebalance')) rebalance = await measureRebalance(cluster, processes, base, Number(option('fill-seconds', '8')));
  } finally {
    await cluster.stop();
  }
  process.stdout.write(`\n${rows.length > 0 ? table(rows) : ''}\n\n${replay}\n${queries}\n${rebalance}`);
  process.stdout.write(`${seconds} s per run, ${rounds} round(s), proxy processes: ${processes}, ${new Date().toISOString()}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
