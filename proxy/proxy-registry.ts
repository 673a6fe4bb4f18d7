// Which topology version every proxy process routes with. Each process writes, every heartbeat, the
// oldest version a request of its still uses; an operation that needs every proxy past a version — a
// rebalance before it copies (every write must reach the new owners) and before it drops old copies
// (no read may still go to them) — waits until every live process says so. A process that stopped
// saying anything for `proxyTimeout` is taken for dead and forgotten.
import { hostname } from 'node:os';
import type { Cluster } from './cluster.js';
import type { RedisClient } from './redis.js';
import type { RedisKeys } from './redis-keys.js';

interface Heartbeat {
  readonly version: number;
  readonly at: number;
}

export class ProxyHeartbeat {
  readonly id = `${hostname()}:${process.pid}`;
  readonly #redis: RedisClient;
  readonly #keys: RedisKeys;
  readonly #cluster: Cluster;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | null = null;

  constructor(redis: RedisClient, keys: RedisKeys, cluster: Cluster, intervalMs: number) {
    this.#redis = redis;
    this.#keys = keys;
    this.#cluster = cluster;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    void this.beat();
    this.#timer = setInterval(() => void this.beat(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Says now which version this process still uses (also right after a topology change). */
  async beat(): Promise<void> {
    const heartbeat: Heartbeat = { version: this.#cluster.oldestVersionInUse(), at: Date.now() };
    await this.#redis.hset(this.#keys.topologyProxies(), this.id, JSON.stringify(heartbeat)).catch(() => 0);
  }

  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#redis.hdel(this.#keys.topologyProxies(), this.id).catch(() => 0);
  }
}

export interface ProxyVersions {
  /** Live processes still on an older version than asked, with the version they use. */
  readonly behind: { id: string; version: number }[];
  readonly live: number;
}

/** The live proxy processes and which of them still use a version older than `version`. */
export async function proxiesBehind(redis: RedisClient, keys: RedisKeys, version: number, proxyTimeoutMs: number): Promise<ProxyVersions> {
  const all = await redis.hgetall(keys.topologyProxies());
  const now = Date.now();
  const behind: { id: string; version: number }[] = [];
  let live = 0;
  for (const [id, text] of Object.entries(all)) {
    const heartbeat = JSON.parse(text) as Heartbeat;
    if (now - heartbeat.at > proxyTimeoutMs) {
      await redis.hdel(keys.topologyProxies(), id);
      continue;
    }
    live++;
    if (heartbeat.version < version) behind.push({ id, version: heartbeat.version });
  }
  return { behind, live };
}

/** Waits until every live proxy process routes with `version` or later; throws after `timeoutMs`. */
export async function waitForProxies(
  redis: RedisClient,
  keys: RedisKeys,
  version: number,
  options: { proxyTimeoutMs: number; timeoutMs: number; cancelled?: () => Promise<boolean> },
): Promise<number> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const { behind, live } = await proxiesBehind(redis, keys, version, options.proxyTimeoutMs);
    if (behind.length === 0) return live;
    if (Date.now() > deadline) {
      throw new Error(`proxies still route with an older topology than version ${version} after ${options.timeoutMs} ms: ${behind.map((b) => `${b.id} (version ${b.version})`).join(', ')}`);
    }
    if (options.cancelled && (await options.cancelled())) throw new Error('cancelled');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
