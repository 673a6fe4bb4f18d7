// What an admin job runs with: the lock of every circle it works on (with a fencing token, so a job
// that lost its lock cannot change the topology any more), cancellation, progress and logs that the
// admin API shows, and the barrier that waits for every proxy to route with a topology version.
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { JobData, JobProgress } from '../proxy/admin/job-queue.js';
import { waitForProxies } from '../proxy/proxy-registry.js';
import { withLeaseCommands, type LeaseCommands } from '../proxy/lease-scripts.js';
import type { RedisClient } from '../proxy/redis.js';
import type { RedisKeys } from '../proxy/redis-keys.js';
import type { TopologyDescription } from '../proxy/topology-description.js';
import type { TopologyStore } from '../proxy/topology-store.js';

/** Thrown at the next step of a job an operator cancelled. */
export class JobCancelled extends Error {
  override readonly name = 'JobCancelled';
}

export class JobContext {
  readonly job: Job<JobData>;
  readonly config: Config;
  readonly store: TopologyStore;
  readonly log: Logger;
  readonly #redis: RedisClient & LeaseCommands;
  readonly #keys: RedisKeys;
  /** The fencing token: the lock's value while this job holds it. */
  #token = '';
  #held: string[] = [];
  #renewal: NodeJS.Timeout | null = null;
  #lost: string | null = null;
  #points = 0;

  readonly #stopping: () => boolean;

  /** `stopping`: the worker process is stopping (the job ends at its next step, to be run again). */
  constructor(job: Job<JobData>, redis: RedisClient, keys: RedisKeys, store: TopologyStore, config: Config, log: Logger, stopping: () => boolean) {
    this.#stopping = stopping;
    this.job = job;
    this.#redis = withLeaseCommands(redis);
    this.#keys = keys;
    this.store = store;
    this.config = config;
    this.log = log.child({ job: job.id, type: job.data.type });
  }

  /** The guard a topology change of this job passes: the circle's lock must still be this job's. */
  guard(circle: string): { circle: string; token: string } {
    return { circle, token: this.#token };
  }

  /** Takes the lock of every circle of the job, or throws naming the circle another job holds. */
  async lock(circles: readonly string[]): Promise<void> {
    this.#token = String(await this.#redis.incr(this.#keys.fence()));
    const ttl = this.config.jobs.lockTtl;
    for (const circle of circles) {
      const set = await this.#redis.set(this.#keys.circleLock(circle), this.#token, 'PX', ttl, 'NX');
      if (set !== 'OK') {
        await this.unlock();
        throw new Error(`circle ${circle} is locked by another job (fencing token ${(await this.#redis.get(this.#keys.circleLock(circle))) ?? '?'})`);
      }
      this.#held.push(circle);
    }
    this.#renewal = setInterval(() => void this.#renew(), Math.max(100, Math.floor(ttl / 3)));
    this.#renewal.unref();
  }

  async #renew(): Promise<void> {
    for (const circle of this.#held) {
      const renewed = await this.#redis.irxLeaseRenew(this.#keys.circleLock(circle), this.#token, this.config.jobs.lockTtl).catch(() => -1);
      if (renewed === 0) this.#lost = circle;
    }
  }

  async unlock(): Promise<void> {
    if (this.#renewal !== null) clearInterval(this.#renewal);
    this.#renewal = null;
    for (const circle of this.#held) await this.#redis.irxLeaseRelease(this.#keys.circleLock(circle), this.#token).catch(() => 0);
    this.#held = [];
  }

  /** Throws when the job was cancelled or lost its lock: called between steps, so a job stops cleanly. */
  async checkpoint(): Promise<void> {
    if (this.#lost !== null) throw new Error(`the lock of circle ${this.#lost} expired (this worker stalled longer than jobs.lockTtl); run the job again`);
    if ((await this.#redis.exists(this.#keys.jobCancel(String(this.job.id)))) === 1) throw new JobCancelled('cancelled by an operator');
    if (this.#stopping()) throw new JobCancelled('its worker is stopping');
  }

  async clearCancel(): Promise<void> {
    await this.#redis.del(this.#keys.jobCancel(String(this.job.id)));
  }

  async say(message: string, extra: Record<string, unknown> = {}): Promise<void> {
    this.log.info(extra, message);
    await this.job.log(`${new Date().toISOString()} ${message}`).catch(() => 0);
  }

  addPoints(points: number): void {
    this.#points += points;
  }

  get points(): number {
    return this.#points;
  }

  async progress(step: string, done: number, total: number): Promise<void> {
    const progress: JobProgress = { step, done, total, points: this.#points };
    await this.job.updateProgress(progress as unknown as object).catch(() => undefined);
  }

  /** Waits until every live proxy routes with `version` or later (cancellable). */
  async barrier(version: number): Promise<void> {
    const live = await waitForProxies(this.#redis, this.#keys, version, {
      proxyTimeoutMs: this.config.topology.proxyTimeout,
      timeoutMs: this.config.jobs.barrierTimeout,
      cancelled: async () => {
        try {
          await this.checkpoint();
          return false;
        } catch {
          return true;
        }
      },
    });
    await this.checkpoint();
    this.log.debug({ version, live }, 'every proxy routes with the new topology');
  }

  /** Changes the topology under this job's lock of `circle` and waits until every proxy follows. */
  async change(circle: string, change: (current: TopologyDescription) => TopologyDescription): Promise<TopologyDescription> {
    const next = await this.store.change(change, this.guard(circle));
    await this.barrier(next.version);
    return next;
  }
}
