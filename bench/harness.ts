// What the benchmarks share: their own Redis and influxd processes, a proxy process per topology, the
// load generator (a separate process, so its CPU is not the proxy's), point counts read back from the
// nodes, and the CPU time of a process.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startProcess, waitFor, type OwnedProcess } from '../deploy/local/child-process.js';
import { freePort } from '../deploy/local/free-port.js';
import { startInfluxd, type InfluxdServer } from '../deploy/local/influxd.js';
import { startRedis, type RedisServer } from '../deploy/local/redis-server.js';
import { projectRoot } from '../proxy/version.js';

export interface Load {
  name: string;
  lines: number;
  concurrency: number;
  /** Points per second offered in all (a steady load); absent: as fast as acknowledged. */
  rate?: number;
}

export interface GeneratorResult {
  requests: number;
  acknowledged: number;
  failed: number;
  elapsed: number;
  p50: number;
  p99: number;
  failures: Record<string, number>;
  lastTimestamp: string;
}

/** Measurements of the generated points (m0…m15). */
export const MEASUREMENTS = 16;

export function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : (process.argv[at + 1] ?? fallback);
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** Every process: pid, command name, and the fields of /proc/<pid>/stat after the name. */
function* processes(): Generator<{ pid: number; command: string; fields: string[] }> {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(')');
    yield { pid: Number(entry), command: stat.slice(stat.indexOf('(') + 1, close), fields: stat.slice(close + 2).split(' ') };
  }
}

/** utime + stime of a process's stat fields, in seconds. */
const seconds = (fields: string[]): number => (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;

/** CPU seconds (user + system) of a process and its direct children. */
export function cpuSeconds(pid: number): number {
  let total = 0;
  for (const p of processes()) if (p.pid === pid || Number(p.fields[1]) === pid) total += seconds(p.fields);
  return total;
}

/** CPU seconds (user + system) of every process whose command name is `command` (e.g. redis-server). */
export function commandCpuSeconds(command: string): number {
  let total = 0;
  for (const p of processes()) if (p.command === command) total += seconds(p.fields);
  return total;
}

/** CPU seconds the whole machine spent busy (all cores, from /proc/stat). */
export function machineCpuSeconds(): number {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] as string).trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
  const busy = fields.slice(0, 8).reduce((sum, value, i) => (i === 3 || i === 4 ? sum : sum + value), 0);
  return busy / CLOCK_TICKS;
}

export async function query(url: string, q: string, db?: string): Promise<{ results: { series?: { values: unknown[][] }[]; error?: string }[] }> {
  const params = new URLSearchParams({ q });
  if (db) params.set('db', db);
  const response = await fetch(`${url}/query`, { method: 'POST', body: params });
  return (await response.json()) as { results: { series?: { values: unknown[][] }[]; error?: string }[] };
}

/** Points of the generated measurements in `db` on one node. */
export async function countPoints(node: InfluxdServer, db: string): Promise<number> {
  const body = await query(node.url, 'SELECT count(v) FROM /^m/', db);
  return (body.results[0]?.series ?? []).reduce((sum, series) => sum + Number(series.values[0]?.[1] ?? 0), 0);
}

function generatorArgs(url: string, path: string, load: Load, seconds: number, base: bigint): string[] {
  return [
    join(projectRoot(), 'dist', 'bench', 'load-generator.js'),
    '--url', url,
    '--path', path,
    '--concurrency', String(load.concurrency),
    '--lines', String(load.lines),
    '--seconds', String(seconds),
    '--measurements', String(MEASUREMENTS),
    ...(load.rate === undefined ? [] : ['--rate', String(load.rate)]),
    '--base', String(base),
  ];
}

/** Runs the load generator to the end (blocking: nothing else happens meanwhile). */
export function runGenerator(url: string, path: string, load: Load, seconds: number, base: bigint): GeneratorResult {
  const out = execFileSync(process.execPath, generatorArgs(url, path, load, seconds, base), { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(out.toString()) as GeneratorResult;
}

/** Starts the load generator and goes on; resolves with its result when it ends. */
export function startGenerator(url: string, path: string, load: Load, seconds: number, base: bigint): Promise<GeneratorResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, generatorArgs(url, path, load, seconds, base), { maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(JSON.parse(stdout) as GeneratorResult);
    });
  });
}

export interface BenchProxy {
  readonly proc: OwnedProcess;
  readonly url: string;
  /** Its configuration file (a worker for it runs with the same). */
  readonly configFile: string;
}

/** Redis and influxd nodes `a` and `b` of a benchmark, in a temporary directory. */
export class BenchCluster {
  readonly dir: string;
  readonly redis: RedisServer;
  readonly #nodes: Map<string, InfluxdServer>;

  private constructor(dir: string, redis: RedisServer, nodes: Map<string, InfluxdServer>) {
    this.dir = dir;
    this.redis = redis;
    this.#nodes = nodes;
  }

  static async start(): Promise<BenchCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'influxring-bench-'));
    const redis = await startRedis({ dir: join(dir, 'redis') });
    const nodes = new Map<string, InfluxdServer>();
    for (const name of ['a', 'b']) nodes.set(name, await startInfluxd({ name, dir: join(dir, name) }));
    return new BenchCluster(dir, redis, nodes);
  }

  get nodes(): InfluxdServer[] {
    return [...this.#nodes.values()];
  }

  node(name: string): InfluxdServer {
    const node = this.#nodes.get(name);
    if (node === undefined) throw new Error(`no node ${name}`);
    return node;
  }

  /** A proxy process for `circles` (node names per circle); INFLUXRING_* variables reach it. */
  async startProxy(circles: string[][], processes: string, extra: Record<string, unknown> = {}): Promise<BenchProxy> {
    const port = await freePort();
    const config = {
      listen: `127.0.0.1:${port}`,
      processes: processes === 'auto' ? 'auto' : Number(processes),
      redis: { url: this.redis.url, keyPrefix: `bench${port}` },
      log: { level: 'warn' },
      ...extra,
      circles: circles.map((names, c) => ({ name: `circle-${c}`, nodes: names.map((name) => ({ name, url: this.node(name).url })) })),
    };
    const file = join(this.dir, `proxy-${port}.yaml`);
    writeFileSync(file, stringify(config));
    const proc = startProcess('proxy', process.execPath, [join(projectRoot(), 'dist', 'proxy', 'main.js'), '--config', file], join(this.dir, `proxy-${port}.log`));
    const url = `http://127.0.0.1:${port}`;
    await waitFor('proxy', async () => (await fetch(`${url}/ping`)).status === 204, 20_000, proc);
    return { proc, url, configFile: file };
  }

  /** A worker process with a proxy's configuration; INFLUXRING_* in `env` override it. */
  startWorker(proxy: BenchProxy, env: Record<string, string> = {}): OwnedProcess {
    return startProcess('worker', process.execPath, [join(projectRoot(), 'dist', 'worker', 'main.js'), '--config', proxy.configFile], join(this.dir, 'worker.log'), { ...process.env, ...env });
  }

  async createDatabase(db: string): Promise<void> {
    for (const node of this.#nodes.values()) await query(node.url, `CREATE DATABASE "${db}"`);
  }

  async dropDatabase(db: string): Promise<void> {
    for (const node of this.#nodes.values()) await query(node.url, `DROP DATABASE "${db}"`);
  }

  async stop(): Promise<void> {
    for (const node of this.#nodes.values()) await node.stop();
    await this.redis.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

interface ProxyHealth {
  circles: { nodes: { name: string; active: boolean; buffered: { points: number } }[] }[];
}

export async function proxyHealth(url: string): Promise<ProxyHealth> {
  return (await (await fetch(`${url}/health`)).json()) as ProxyHealth;
}

/** A counter of the proxy's /metrics (summed over label sets matching `labels`). */
export async function metric(url: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) && line.includes(labels))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}
