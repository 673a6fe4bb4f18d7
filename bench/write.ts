// `npm run bench`: write throughput of the proxy against direct InfluxDB, in one run on this machine.
// Starts its own Redis and two influxd, then for each load (5000-line × 8 clients, 10-line × 16
// clients) measures: direct to one influxd; the proxy with 1 circle × 2 nodes; the proxy with
// 2 circles × 1 node. Counts the points that landed on the nodes, and prints points/s, latency
// percentiles, the proxy's CPU per point and the ratios to direct.
//   npm run bench -- [--seconds 10] [--rounds 1] [--processes 1] [--extended]
// INFLUXRING_* variables reach the proxy (e.g. INFLUXRING_WRITE_GZIP=false).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startProcess, waitFor, type OwnedProcess } from '../deploy/local/child-process.js';
import { freePort } from '../deploy/local/free-port.js';
import { startInfluxd, type InfluxdServer } from '../deploy/local/influxd.js';
import { startRedis } from '../deploy/local/redis-server.js';
import { projectRoot } from '../proxy/version.js';

interface Load {
  name: string;
  lines: number;
  concurrency: number;
}

interface Target {
  name: string;
  /** null: straight to the first influxd. */
  circles: string[][] | null;
}

interface GeneratorResult {
  requests: number;
  acknowledged: number;
  failed: number;
  elapsed: number;
  p50: number;
  p99: number;
  failures: Record<string, number>;
  lastTimestamp: string;
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

const MEASUREMENTS = 16;

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : (process.argv[at + 1] ?? fallback);
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU seconds (user + system) of a process and its direct children. */
function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    if (Number(entry) === pid || ppid === pid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / CLOCK_TICKS;
}

async function query(url: string, q: string, db?: string): Promise<{ results: { series?: { values: unknown[][] }[]; error?: string }[] }> {
  const params = new URLSearchParams({ q });
  if (db) params.set('db', db);
  const response = await fetch(`${url}/query`, { method: 'POST', body: params });
  return (await response.json()) as { results: { series?: { values: unknown[][] }[]; error?: string }[] };
}

async function countPoints(node: InfluxdServer, db: string): Promise<number> {
  const body = await query(node.url, 'SELECT count(v) FROM /^m/', db);
  return (body.results[0]?.series ?? []).reduce((sum, series) => sum + Number(series.values[0]?.[1] ?? 0), 0);
}

function runGenerator(url: string, path: string, load: Load, seconds: number, base: bigint): GeneratorResult {
  const out = execFileSync(
    process.execPath,
    [
      join(projectRoot(), 'dist', 'bench', 'load-generator.js'),
      '--url', url,
      '--path', path,
      '--concurrency', String(load.concurrency),
      '--lines', String(load.lines),
      '--seconds', String(seconds),
      '--measurements', String(MEASUREMENTS),
      '--base', String(base),
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(out.toString()) as GeneratorResult;
}

async function main(): Promise<void> {
  const seconds = Number(option('seconds', '10'));
  const rounds = Number(option('rounds', '1'));
  const processes = option('processes', '1');
  const dir = mkdtempSync(join(tmpdir(), 'influxring-bench-'));
  const redis = await startRedis({ dir: join(dir, 'redis') });
  const nodes = new Map<string, InfluxdServer>();
  for (const name of ['a', 'b']) nodes.set(name, await startInfluxd({ name, dir: join(dir, name) }));
  const node = (name: string): InfluxdServer => nodes.get(name) as InfluxdServer;
  let base = 1_600_000_000_000_000_000n;
  const rows: Row[] = [];

  const startProxy = async (target: Target): Promise<{ proc: OwnedProcess; url: string }> => {
    const port = await freePort();
    const config = {
      listen: `127.0.0.1:${port}`,
      processes: processes === 'auto' ? 'auto' : Number(processes),
      redis: { url: redis.url, keyPrefix: `bench${port}` },
      log: { level: 'warn' },
      circles: (target.circles ?? []).map((names, c) => ({
        name: `circle-${c}`,
        nodes: names.map((name) => ({ name, url: node(name).url })),
      })),
    };
    const file = join(dir, `proxy-${port}.yaml`);
    writeFileSync(file, stringify(config));
    const proc = startProcess('proxy', process.execPath, [join(projectRoot(), 'dist', 'proxy', 'main.js'), '--config', file], join(dir, `proxy-${port}.log`));
    const url = `http://127.0.0.1:${port}`;
    await waitFor('proxy', async () => (await fetch(`${url}/ping`)).status === 204, 20_000, proc);
    return { proc, url };
  };

  try {
    for (let round = 0; round < rounds; round++) {
      for (const load of process.argv.includes('--extended') ? [...LOADS, ...EXTENDED_LOADS] : LOADS) {
        let direct: number | null = null;
        for (const target of TARGETS) {
          const db = `bench_${round}_${load.lines}_${target.circles === null ? 'direct' : target.circles.length}`;
          for (const n of nodes.values()) await query(n.url, `CREATE DATABASE "${db}"`);
          const proxy = target.circles === null ? null : await startProxy(target);
          const url = proxy?.url ?? node('a').url;
          // Warm up connections and the JIT, into a database that is not counted.
          await query(node('a').url, 'CREATE DATABASE "warmup"');
          if (target.circles !== null) await query(node('b').url, 'CREATE DATABASE "warmup"');
          runGenerator(url, '/write?db=warmup', load, 2, 1_500_000_000_000_000_000n);
          const cpuBefore = proxy ? cpuSeconds(proxy.proc.child.pid as number) : 0;
          const result = runGenerator(url, `/write?db=${db}`, load, seconds, base);
          const cpu = proxy ? cpuSeconds(proxy.proc.child.pid as number) - cpuBefore : 0;
          base = BigInt(result.lastTimestamp) + 1_000_000n;
          if (proxy) {
            await waitFor(
              'replay buffers drained',
              async () => {
                const health = (await (await fetch(`${proxy.url}/health`)).json()) as { circles: { nodes: { buffered: { points: number } }[] }[] };
                return health.circles.every((c) => c.nodes.every((n) => n.buffered.points === 0));
              },
              120_000,
            );
            await proxy.proc.stop();
          }
          const circles = target.circles ?? [['a']];
          const perCircle = await Promise.all(circles.map(async (names) => (await Promise.all(names.map((n) => countPoints(node(n), db)))).reduce((s, x) => s + x, 0)));
          const stored = perCircle.reduce((s, x) => s + x, 0);
          const lost = Math.max(0, ...perCircle.map((count) => result.acknowledged - count));
          const acked = result.acknowledged / result.elapsed;
          if (target.circles === null) direct = acked;
          rows.push({
            load: load.name,
            target: target.name,
            ackedPerSecond: acked,
            storedPerSecond: stored / result.elapsed,
            p50: result.p50,
            p99: result.p99,
            cpuMicrosPerPoint: proxy ? (cpu * 1e6) / Math.max(1, result.acknowledged) : null,
            ratio: direct === null || target.circles === null ? null : acked / direct,
            lost,
            failed: result.failed,
          });
          const row = rows[rows.length - 1] as Row;
          process.stderr.write(
            `${load.name} | ${target.name}: ${Math.round(row.ackedPerSecond)} acked points/s, p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms` +
              `${row.cpuMicrosPerPoint === null ? '' : `, proxy CPU ${row.cpuMicrosPerPoint.toFixed(2)} µs/point`}${row.ratio === null ? '' : `, ${row.ratio.toFixed(2)}× direct`}` +
              `${lost > 0 ? `, LOST ${lost}` : ''}${result.failed > 0 ? `, failed ${result.failed} ${JSON.stringify(result.failures)}` : ''}\n`,
          );
          for (const n of nodes.values()) await query(n.url, `DROP DATABASE "${db}"`);
        }
      }
    }
  } finally {
    for (const n of nodes.values()) await n.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const fmt = (n: number): string => (n >= 1000 ? `${Math.round(n / 1000)}k` : n.toFixed(0));
  const table = [
    '| load | target | acked points/s | stored points/s | p50 ms | p99 ms | proxy CPU µs/point | × direct | lost |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.load} | ${r.target} | ${fmt(r.ackedPerSecond)} | ${fmt(r.storedPerSecond)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ` +
        `${r.cpuMicrosPerPoint === null ? '—' : r.cpuMicrosPerPoint.toFixed(2)} | ${r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`} | ${r.lost} |`,
    ),
  ].join('\n');
  process.stdout.write(`\n${table}\n\n`);
  process.stdout.write(`${seconds} s per run, ${rounds} round(s), proxy processes: ${processes}, ${new Date().toISOString()}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
