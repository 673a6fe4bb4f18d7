// `npm start`: an embedded local cluster on loopback — one Redis (AOF on), 2 circles × 2 influxd nodes
// with a `demo` database, the proxy on 127.0.0.1:7076 with its admin API on, and a worker for the admin
// jobs — with data under .local/cluster. It writes .local/cluster/cluster.json (proxy URL and admin
// token) for the `influxring` CLI. Ctrl-C stops every process it started. INFLUXRING_* variables reach
// the proxy and the worker (e.g. to turn auth on).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { projectRoot } from '../../proxy/version.js';
import { startProcess, waitFor, type OwnedProcess } from './child-process.js';
import { portOr } from './free-port.js';
import { startInfluxd, type InfluxdServer } from './influxd.js';
import { startRedis, type RedisServer } from './redis-server.js';

const root = projectRoot();
const dataDir = process.env.INFLUXRING_LOCAL_DIR ?? join(root, '.local', 'cluster');
const PROXY_LISTEN = process.env.INFLUXRING_LISTEN ?? '127.0.0.1:7076';

const CIRCLES = [
  { name: 'circle-a', nodes: ['a1', 'a2'] },
  { name: 'circle-b', nodes: ['b1', 'b2'] },
];

interface Running {
  redis: RedisServer | null;
  /** Detection's queues, batches, leases and curve states (detection.redisUrl): no persistence needed. */
  detectionRedis: RedisServer | null;
  nodes: InfluxdServer[];
  proxy: OwnedProcess | null;
  worker: OwnedProcess | null;
}

const running: Running = { redis: null, detectionRedis: null, nodes: [], proxy: null, worker: null };

async function stopAll(): Promise<void> {
  await running.worker?.stop();
  await running.proxy?.stop();
  await Promise.all(running.nodes.map((node) => node.stop()));
  await running.redis?.stop();
  await running.detectionRedis?.stop();
}

/** Echoes a process's warnings and errors (its full log is in its .log file). */
function echoWarnings(owned: OwnedProcess, label: string): void {
  if (!owned.child.stdout) return;
  createInterface({ input: owned.child.stdout }).on('line', (line) => {
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; node?: string; reason?: string; err?: string };
      if ((entry.level ?? 0) >= 40) {
        process.stdout.write(`${label}: ${entry.msg ?? ''}${entry.node ? ` [${entry.node}]` : ''}${entry.reason ? ` ${entry.reason}` : ''}${entry.err ? ` ${entry.err}` : ''}\n`);
      }
    } catch {
      // not a log line
    }
  });
}

async function main(): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  process.stdout.write(`Starting the InfluxRing local cluster (data in ${dataDir})…\n`);

  running.redis = await startRedis({ dir: join(dataDir, 'redis'), port: await portOr(7079) });
  running.detectionRedis = await startRedis({ dir: join(dataDir, 'redis-detection'), port: await portOr(7080), extraArgs: ['--appendonly', 'no'] });
  let port = 7081;
  const specs = [];
  for (const circle of CIRCLES) {
    for (const name of circle.nodes) {
      specs.push({ name, dir: join(dataDir, name), port: await portOr(port), rpcPort: await portOr(port + 100) });
      port++;
    }
  }
  running.nodes = await Promise.all(specs.map((spec) => startInfluxd(spec)));
  for (const node of running.nodes) {
    const response = await fetch(`${node.url}/query`, { method: 'POST', body: new URLSearchParams({ q: 'CREATE DATABASE demo' }) });
    if (response.status !== 200) throw new Error(`cannot create database demo on ${node.name}: ${await response.text()}`);
  }

  const byName = new Map(running.nodes.map((node) => [node.name, node]));
  const clusterFile = join(dataDir, 'cluster.json');
  const adminToken = process.env.INFLUXRING_ADMIN_TOKEN || previousToken(clusterFile) || randomBytes(18).toString('base64url');
  const config = {
    listen: PROXY_LISTEN,
    redis: { url: running.redis.url },
    detection: { redisUrl: running.detectionRedis.url },
    admin: { token: adminToken },
    circles: CIRCLES.map((circle) => ({
      name: circle.name,
      nodes: circle.nodes.map((name) => ({ name, url: (byName.get(name) as InfluxdServer).url })),
    })),
  };
  const configFile = join(dataDir, 'influxring.yaml');
  writeFileSync(configFile, `# Written by npm start; INFLUXRING_* environment variables override it.\n${stringify(config)}`);
  const proxyUrl = `http://${PROXY_LISTEN}`;
  writeFileSync(
    clusterFile,
    `${JSON.stringify({ proxyUrl, adminToken, redis: running.redis.url, nodes: running.nodes.map((n) => ({ name: n.name, url: n.url })) }, null, 2)}\n`,
    { mode: 0o600 },
  );

  const proxy = startProcess('proxy', process.execPath, [join(root, 'dist', 'proxy', 'main.js'), '--config', configFile], join(dataDir, 'proxy.log'));
  running.proxy = proxy;
  echoWarnings(proxy, 'proxy');
  await waitFor('proxy', async () => (await fetch(`${proxyUrl}/ping`)).status === 204, 20_000, proxy);
  const worker = startProcess('worker', process.execPath, [join(root, 'dist', 'worker', 'main.js'), '--config', configFile], join(dataDir, 'worker.log'));
  running.worker = worker;
  echoWarnings(worker, 'worker');
  for (const owned of [proxy, worker]) {
    void owned.exited.then((code) => {
      if (!stopping) {
        process.stdout.write(`The ${owned.name} exited (${code}); see ${owned.logFile}. Stopping the cluster.\n`);
        void shutdown(1);
      }
    });
  }
  await adoptNodes(proxyUrl, adminToken, running.nodes);
  const cpuOwners = await ownersOf(proxyUrl, adminToken, 'demo', 'cpu');

  const lines = [
    '',
    'InfluxRing local cluster is up.',
    `  proxy   ${proxyUrl}   (InfluxDB 1.x API: /write, /query; /api/v2/write, /health, /metrics)`,
    `  redis   ${running.redis.url}   (replay buffers, AOF on)`,
    `  redis   ${running.detectionRedis.url}   (detection's queues, no persistence)`,
    ...CIRCLES.map((circle) => `  ${circle.name}  ${circle.nodes.map((n) => `${n} ${(byName.get(n) as InfluxdServer).url}`).join(', ')}`),
    `  admin   ${proxyUrl}/admin/docs   (token in ${clusterFile})`,
    `  worker  runs rebalance, recovery, resync and cleanup jobs, and the detection rules (/admin/rules)`,
    `  config  ${configFile}`,
    `  logs    ${join(dataDir, 'proxy.log')}, ${join(dataDir, 'worker.log')}`,
    '',
    'Write a point:',
    `  curl -i -XPOST '${proxyUrl}/write?db=demo' --data-binary 'cpu,host=server01 usage_idle=92.5'`,
    'Read it back through the proxy (InfluxQL, the influx CLI or curl):',
    `  influx -host 127.0.0.1 -port ${proxyUrl.split(':').pop() ?? '7076'} -database demo -execute 'SELECT * FROM cpu'`,
    `  curl -s '${proxyUrl}/query?db=demo' --data-urlencode 'q=SELECT * FROM cpu'`,
    'or from its owner node in each circle:',
    ...cpuOwners.map((url) => `  influx -host ${url.hostname} -port ${url.port} -database demo -execute 'SELECT * FROM cpu'`),
    'Cluster state and operations (the CLI finds this cluster by itself):',
    '  npx influxring status',
    `  curl -s ${proxyUrl}/health`,
    '',
    'Ctrl-C stops every process.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

/** The admin token of an earlier run, so the CLI and scripts keep working across restarts. */
function previousToken(file: string): string | null {
  if (!existsSync(file)) return null;
  try {
    const token = (JSON.parse(readFileSync(file, 'utf8')) as { adminToken?: unknown }).adminToken;
    return typeof token === 'string' && token !== '' ? token : null;
  } catch {
    return null;
  }
}

/**
 * The topology in Redis outlives a run: the database `demo` goes into the catalog (so nodes added
 * later get it), and a node that came up on another port this time gets its new URL.
 */
async function adoptNodes(proxyUrl: string, token: string, nodes: readonly InfluxdServer[]): Promise<void> {
  await fetch(`${proxyUrl}/query`, { method: 'POST', body: new URLSearchParams({ q: 'CREATE DATABASE demo' }) });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  for (const node of nodes) {
    const stored = await fetch(`${proxyUrl}/admin/nodes/${node.name}`, { headers });
    if (stored.status !== 200) continue;
    const { url } = (await stored.json()) as { url: string };
    if (url.replace(/\/+$/, '') === node.url) continue;
    await fetch(`${proxyUrl}/admin/nodes/${node.name}`, { method: 'PATCH', headers, body: JSON.stringify({ url: node.url }) });
    process.stdout.write(`node ${node.name} is on ${node.url} this time (was ${url}): topology updated\n`);
  }
}

/** The URL of the node that owns a measurement in each circle, as the proxy routes now (the topology may have changed since the first start). */
async function ownersOf(proxyUrl: string, token: string, db: string, measurement: string): Promise<URL[]> {
  const headers = { authorization: `Bearer ${token}` };
  const replica = (await (await fetch(`${proxyUrl}/admin/replica?${new URLSearchParams({ db, measurement }).toString()}`, { headers })).json()) as { circles?: { owner: string }[] };
  const nodes = (await (await fetch(`${proxyUrl}/admin/nodes`, { headers })).json()) as { nodes?: { name: string; url: string }[] };
  const urls = new Map((nodes.nodes ?? []).map((node) => [node.name, node.url]));
  return (replica.circles ?? []).flatMap(({ owner }) => (urls.has(owner) ? [new URL(urls.get(owner) as string)] : []));
}

let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdout.write('\nStopping the local cluster…\n');
  await stopAll();
  process.stdout.write('Stopped.\n');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
main().catch(async (err: unknown) => {
  process.stderr.write(`npm start: ${(err as Error).message}\n`);
  await stopAll();
  process.exit(1);
});
