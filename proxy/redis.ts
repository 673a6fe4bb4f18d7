// Connection to Redis (standalone, Sentinel or Cluster). Commands fail fast when Redis is away, so
// a write that needs the replay buffer gets a 503 at once instead of hanging.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Config } from '../config/schema.js';

export type RedisClient = Redis | Cluster;

function hostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(address.slice(at + 1)) };
}

/**
 * `queue`: a connection for BullMQ, whose commands wait for Redis instead of failing fast (its
 * workers block on Redis, and it requires that).
 */
export function createRedis(config: Config['redis'], connectionName: string, use: 'commands' | 'queue' = 'commands'): RedisClient {
  const queue = use === 'queue';
  const common: RedisOptions = {
    connectionName,
    maxRetriesPerRequest: queue ? null : 1,
    enableOfflineQueue: queue,
    commandTimeout: queue ? undefined : 5000,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  };
  if (config.mode === 'cluster') {
    const options: ClusterOptions = {
      redisOptions: { ...common, password: config.password || undefined },
      enableOfflineQueue: queue,
      clusterRetryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    };
    return new Cluster(config.nodes.map(hostPort), options);
  }
  if (config.mode === 'sentinel') {
    return new Redis({
      ...common,
      sentinels: config.nodes.map(hostPort),
      name: config.sentinelName,
      password: config.password || undefined,
      sentinelPassword: config.password || undefined,
    });
  }
  return new Redis(config.url, common);
}

/** Where detection's queues, batches, leases and curve states are: `detection.redisUrl`, else the main Redis. */
export function detectionRedisConfig(config: Pick<Config, 'redis' | 'detection'>): Config['redis'] {
  const url = config.detection.redisUrl;
  return url === '' ? config.redis : { ...config.redis, mode: 'standalone', url };
}

/** Resolves when the client is ready, or after `timeoutMs` (Redis may come later; writes go on). */
export async function waitForRedis(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    client.once('ready', onReady);
  });
}
