// The worker process's part that runs admin jobs: a BullMQ Worker on the admin queue that, for each
// job, takes the locks of its circles, runs the operation, and releases them. A cancelled job ends as
// failed with the reason "cancelled by an operator" (BullMQ keeps it in the history with its logs).
import { Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { JOB_QUEUE, type JobData } from '../proxy/admin/job-queue.js';
import { createRedis, type RedisClient } from '../proxy/redis.js';
import { RedisKeys } from '../proxy/redis-keys.js';
import { ReplayBuffer } from '../proxy/replay-buffer.js';
import { TopologyStore } from '../proxy/topology-store.js';
import { JobCancelled, JobContext } from './job-context.js';
import { cleanup } from './jobs/cleanup.js';
import { rebalance } from './jobs/rebalance.js';
import { recovery } from './jobs/recovery.js';
import { resync } from './jobs/resync.js';
import type { JobServices } from './jobs/services.js';
import { WorkerTopology } from './worker-topology.js';

export interface AdminWorker {
  close(): Promise<void>;
}

async function run(ctx: JobContext, services: JobServices): Promise<Record<string, unknown>> {
  const data = ctx.job.data;
  switch (data.type) {
    case 'rebalance':
      return rebalance(ctx, services, data.circle as string);
    case 'cleanup':
      return { ...(await cleanup(ctx, services, data.circles)) };
    case 'recovery':
      return recovery(ctx, services, data.circles[0] as string, data.node, data.source);
    case 'resync':
      return resync(ctx, services, data.source);
  }
}

export function startAdminWorker(config: Config, log: Logger): AdminWorker {
  const redis: RedisClient = createRedis(config.redis, `influxring-worker-${process.pid}`);
  redis.on('error', (err: Error) => log.debug({ err: err.message }, 'redis error'));
  const connection = createRedis(config.redis, `influxring-worker-jobs-${process.pid}`, 'queue');
  connection.on('error', (err: Error) => log.debug({ err: err.message }, 'redis error (jobs)'));
  const keys = new RedisKeys(config.redis.keyPrefix);
  const store = new TopologyStore(redis, keys, log);
  const topology = new WorkerTopology(store, config.ring.cacheSize);
  const replay = new ReplayBuffer(redis, keys, config.replay.maxBytesPerNode);
  const services: JobServices = {
    redis,
    keys,
    replay,
    topology,
    hiddenDatabases: new Set([config.health.probeDatabase]),
    async forgetNode(name) {
      await replay.forget(name);
      await redis.hdel(keys.catalogApplied(), name);
    },
  };
  let stopping = false;
  const worker = new Worker<JobData>(
    JOB_QUEUE,
    async (job: Job<JobData>) => {
      const ctx = new JobContext(job, redis, keys, store, config, log, () => stopping);
      await ctx.say(`started by worker ${process.pid}: ${job.data.type} on ${job.data.circles.join(', ')}${job.data.node ? ` (node ${job.data.node})` : ''}`);
      await ctx.lock(job.data.circles);
      try {
        return await run(ctx, services);
      } catch (err) {
        const message = err instanceof JobCancelled ? `${err.message}; the cluster is consistent and the job can be run again` : (err as Error).message;
        await ctx.say(`stopped: ${message}`);
        throw new Error(message);
      } finally {
        await ctx.unlock();
        await ctx.clearCancel();
      }
    },
    // Two jobs at a time per worker process (on different circles); the lock is BullMQ's
    // stall detection, the circle locks are ours.
    { connection, prefix: keys.jobsPrefix(), concurrency: 2, lockDuration: config.jobs.lockTtl, autorun: true },
  );
  worker.on('failed', (job, err) => log.warn({ job: job?.id, err: err.message }, 'job failed'));
  worker.on('completed', (job) => log.info({ job: job.id, result: job.returnvalue as unknown }, 'job completed'));
  worker.on('error', (err) => log.debug({ err: err.message }, 'worker error'));
  return {
    async close() {
      stopping = true;
      await worker.close();
      await topology.close();
      connection.disconnect();
      redis.disconnect();
    },
  };
}
