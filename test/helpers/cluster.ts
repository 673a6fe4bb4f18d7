// A real cluster for a test: redis-server and influxd processes on free loopback ports, and a proxy —
// in this process (createProxy) or as its own process (for kill -9 and signal tests). Each cluster has
// its own temporary directory, removed when it stops.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { startProcess, waitFor, type OwnedProcess } from '../../deploy/local/child-process.js';
import { freePort } from '../../deploy/local/free-port.js';
import { startInfluxd, type InfluxdServer } from '../../deploy/local/influxd.js';
import { startRedis, type RedisServer } from '../../deploy/local/redis-server.js';
import { createLogger } from '../../proxy/logger.js';
import { createProxy, type Proxy } from '../../proxy/server.js';
import { projectRoot } from '../../proxy/version.js';

export interface ClusterOptions {
  /** Nodes per circle, e.g. [2, 2] for 2 circles × 2 nodes. */
  circles: number[];
  /** Config values over the generated ones (deep-merged). */
  config?: Record<string, unknown>;
  /** Databases created on every node. */
  databases?: string[];
  /** Run the proxy as its own process (needed to kill -9 it or send it signals). */
  proxyProcess?: boolean;
  /** Extra [http] lines for every influxd (e.g. auth). */
  influxdHttp?: string[];
  /** Nodes configured write-only (they take writes, serve no reads). */
  writeOnly?: string[];
}

export interface TestCluster {
  readonly dir: string;
  readonly redis: RedisServer;
  /** Nodes by circle: nodes[c][n]. */
  readonly nodes: InfluxdServer[][];
  config: Config;
  readonly configFile: string;
  /** Base URL of the proxy. */
  url: string;
  /** The in-process proxy (null when it runs as its own process). */
  proxy: Proxy | null;
  /** The proxy process (null when in-process). */
  proxyProcess: OwnedProcess | null;
  node(name: string): InfluxdServer;
  /** Starts the proxy again (after stopProxy or a kill). */
  startProxy(): Promise<void>;
  stopProxy(): Promise<void>;
  stop(): Promise<void>;
}

export function circleName(c: number): string {
  return `circle-${String.fromCharCode(97 + c)}`;
}

export function nodeName(c: number, n: number): string {
  return `${String.fromCharCode(97 + c)}${n + 1}`;
}

function mergeDeep(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object' && !Array.isArray(current)
        ? mergeDeep(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

export async function query(url: string, q: string, db?: string): Promise<unknown> {
  const params = new URLSearchParams({ q });
  if (db) params.set('db', db);
  const response = await fetch(`${url}/query`, { method: 'POST', body: params });
  return response.json();
}

export async function startCluster(options: ClusterOptions): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'influxring-test-'));
  const redis = await startRedis({ dir: join(dir, 'redis') });
  const specs = options.circles.flatMap((count, c) => Array.from({ length: count }, (_, n) => ({ c, n, name: nodeName(c, n) })));
  const results = await Promise.allSettled(
    specs.map((spec) => startInfluxd({ name: spec.name, dir: join(dir, spec.name), http: options.influxdHttp })),
  );
  const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    // Leave nothing running behind a failed start.
    await Promise.all(started.map((node) => node.stop()));
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
    throw (failure as PromiseRejectedResult).reason;
  }
  const nodes = options.circles.map((_, c) => started.filter((_, i) => specs[i]?.c === c));
  for (const node of started) {
    for (const db of options.databases ?? ['demo']) await query(node.url, `CREATE DATABASE "${db}"`);
  }
  const port = await freePort();
  const raw = mergeDeep(
    {
      listen: `127.0.0.1:${port}`,
      redis: { url: redis.url, keyPrefix: 'irx' },
      log: { level: 'warn' },
      health: { interval: 250, timeout: 1000 },
      replay: { retryDelay: 200 },
      circles: options.circles.map((_, c) => ({
        name: circleName(c),
        nodes: (nodes[c] ?? []).map((node) => ({ name: node.name, url: node.url, ...(options.writeOnly?.includes(node.name) ? { writeOnly: true } : {}) })),
      })),
    },
    options.config ?? {},
  );
  const config = loadConfig({ env: {}, overrides: raw });
  const configFile = join(dir, 'influxring.yaml');
  writeFileSync(configFile, stringify(raw));

  const cluster: TestCluster = {
    dir,
    redis,
    nodes,
    config,
    configFile,
    url: `http://127.0.0.1:${port}`,
    proxy: null,
    proxyProcess: null,
    node(name) {
      const found = started.find((node) => node.name === name);
      if (!found) throw new Error(`no node ${name}`);
      return found;
    },
    async startProxy() {
      // The port was free when picked; another process of a parallel test may have taken it since.
      for (let attempt = 1; ; attempt++) {
        try {
          await startProxyOnce();
          return;
        } catch (err) {
          const log = join(dir, 'proxy.log');
          const inUse = /EADDRINUSE/.test(String(err)) || (existsSync(log) && /EADDRINUSE/.test(readFileSync(log, 'utf8')));
          if (!inUse || attempt === 3) throw err;
          await cluster.stopProxy().catch(() => undefined);
          const next = await freePort();
          raw.listen = `127.0.0.1:${next}`;
          cluster.config = loadConfig({ env: {}, overrides: raw });
          cluster.url = `http://127.0.0.1:${next}`;
          writeFileSync(configFile, stringify(raw));
        }
      }
    },
    async stopProxy() {
      await cluster.proxy?.close();
      cluster.proxy = null;
      await cluster.proxyProcess?.stop();
      cluster.proxyProcess = null;
    },
    async stop() {
      await cluster.stopProxy();
      await Promise.all(started.map((node) => node.stop()));
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  async function startProxyOnce(): Promise<void> {
    if (options.proxyProcess) {
      const proc = startProcess('proxy', process.execPath, [join(projectRoot(), 'dist', 'proxy', 'main.js'), '--config', configFile], join(dir, 'proxy.log'), {
        ...process.env,
        INFLUXRING_CONFIG: '',
      });
      cluster.proxyProcess = proc;
      await waitFor('proxy', async () => (await fetch(`${cluster.url}/ping`)).status === 204, 20_000, proc);
    } else {
      cluster.proxy = await createProxy(cluster.config, { log: createLogger(cluster.config.log.level) });
      await cluster.proxy.listen();
    }
  }
  try {
    await cluster.startProxy();
  } catch (err) {
    // The directory goes with the cluster: keep what the proxy said in the error.
    const log = join(dir, 'proxy.log');
    const said = existsSync(log) ? readFileSync(log, 'utf8').slice(-3000) : '';
    await cluster.stop();
    if (said !== '' && err instanceof Error) err.message += `\nproxy.log (end):\n${said}`;
    throw err;
  }
  return cluster;
}
