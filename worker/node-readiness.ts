// Whether a node can serve as the source or the target of a copy, asked of the node and of Redis
// (the worker has no health checks): it answers its ping, it has applied the whole catalog (so its
// databases and retention policies exist), and — for a source — nothing waits in its replay buffer
// (it holds every acknowledged point it owns).
import type { InfluxNode } from '../proxy/node.js';
import type { RedisClient } from '../proxy/redis.js';
import type { RedisKeys } from '../proxy/redis-keys.js';
import type { ReplayBuffer } from '../proxy/replay-buffer.js';
import type { JobContext } from './job-context.js';

export interface Readiness {
  readonly ready: boolean;
  readonly reason: string;
}

/** Where readiness is read: the catalog's keys in Redis and the replay buffers. */
export interface ReadinessSources {
  readonly redis: RedisClient;
  readonly keys: RedisKeys;
  readonly replay: ReplayBuffer;
}

export async function nodeReadiness(node: InfluxNode, sources: ReadinessSources, asSource: boolean): Promise<Readiness> {
  const { redis, keys } = sources;
  if (node.maintenance) return { ready: false, reason: 'is out for maintenance' };
  try {
    await node.ping(2000);
  } catch (err) {
    return { ready: false, reason: `does not answer its ping (${(err as Error).message})` };
  }
  const [catalog, applied, buffer] = await Promise.all([redis.llen(keys.catalogLog()), redis.hget(keys.catalogApplied(), node.name), sources.replay.stats(node.name)]);
  if (Number(applied ?? 0) < catalog) return { ready: false, reason: `has applied ${applied ?? 0} of ${catalog} catalog statements (a proxy's health check brings it up to date)` };
  if (asSource && (buffer.entries > 0 || buffer.buffering)) return { ready: false, reason: `has ${buffer.entries} batch(es) in its replay buffer still` };
  return { ready: true, reason: '' };
}

/** Waits until the node is ready (cancellable), or throws after jobs.barrierTimeout. */
export async function waitUntilReady(ctx: JobContext, node: InfluxNode, sources: ReadinessSources, asSource: boolean): Promise<void> {
  const deadline = Date.now() + ctx.config.jobs.barrierTimeout;
  let said = false;
  for (;;) {
    const readiness = await nodeReadiness(node, sources, asSource);
    if (readiness.ready) return;
    if (Date.now() > deadline) throw new Error(`node ${node.name} ${readiness.reason}; gave up after ${ctx.config.jobs.barrierTimeout} ms`);
    if (!said) {
      await ctx.say(`waiting for node ${node.name}: it ${readiness.reason}`);
      said = true;
    }
    await ctx.checkpoint();
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
