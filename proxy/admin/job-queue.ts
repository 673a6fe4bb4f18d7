// The queue of admin operations — rebalance, recovery, resync, cleanup — as BullMQ jobs that worker
// processes run (worker/jobs/…). The proxy's admin API adds them, lists them, shows one with its
// logs, and cancels them; a worker reports progress and logs as it goes. At most one job per circle
// is waiting or running (and a job holds its circle's lock while it runs, see worker/jobs/job-context.ts).
import { Queue, type Job, type JobType as JobState } from 'bullmq';
import { z } from 'zod';
import { ProxyError } from '../errors.js';
import type { RedisClient } from '../redis.js';
import type { RedisKeys } from '../redis-keys.js';

export const JOB_QUEUE = 'admin';

export const jobTypes = ['rebalance', 'recovery', 'resync', 'cleanup'] as const;
export type JobKind = (typeof jobTypes)[number];

export const jobRequestSchema = z
  .object({
    type: z.enum(jobTypes).describe('rebalance: copy what changes owner after nodes were added or removed, then switch; recovery: rebuild a node (or every node of a circle) from another circle; resync: make the circles identical again; cleanup: drop measurements from nodes that do not own them.'),
    circle: z.string().min(1).optional().describe('The circle to work on (rebalance, cleanup, recovery of a whole circle).'),
    node: z.string().min(1).optional().describe('The node to rebuild (recovery).'),
    source: z.string().min(1).optional().describe('The circle to copy from (recovery, resync); default: a circle whose nodes are all active.'),
  })
  .strict()
  .superRefine((request, ctx) => {
    if (request.type === 'rebalance' && request.circle === undefined) ctx.addIssue({ code: 'custom', path: ['circle'], message: 'a rebalance needs the circle' });
    if (request.type === 'recovery' && (request.circle === undefined) === (request.node === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['node'], message: 'a recovery needs either a node or a circle' });
    }
  });

export type JobRequest = z.infer<typeof jobRequestSchema>;

/** What a job carries: the request, and the circles it locks (all of them for a resync). */
export interface JobData extends JobRequest {
  readonly circles: string[];
}

/** Progress a job reports: where it is, and how far. */
export interface JobProgress {
  readonly step: string;
  readonly done: number;
  readonly total: number;
  readonly points: number;
}

export interface JobView {
  readonly id: string;
  readonly type: JobKind;
  readonly circles: string[];
  readonly node: string | null;
  readonly state: JobState | 'unknown';
  readonly progress: JobProgress | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly failedReason: string | null;
  readonly result: unknown;
  readonly cancelRequested: boolean;
}

const iso = (ms: number | undefined): string | null => (ms === undefined || ms === 0 ? null : new Date(ms).toISOString());

export class JobQueue {
  readonly queue: Queue<JobData>;
  readonly #redis: RedisClient;
  readonly #keys: RedisKeys;

  /** `connection`: a client BullMQ may use for itself (not the proxy's main one). */
  constructor(connection: RedisClient, redis: RedisClient, keys: RedisKeys, keepHistory: number) {
    this.queue = new Queue<JobData>(JOB_QUEUE, {
      connection,
      prefix: keys.jobsPrefix(),
      defaultJobOptions: { removeOnComplete: { count: keepHistory }, removeOnFail: { count: keepHistory }, attempts: 1 },
    });
    this.#redis = redis;
    this.#keys = keys;
  }

  /** Adds a job; refused (IRX_ERR_ADMIN_CONFLICT) when a job for one of its circles is waiting or running. */
  async add(request: JobRequest, circles: string[]): Promise<JobView> {
    const pending = (await this.queue.getJobs(['active', 'waiting', 'delayed', 'prioritized'], 0, 1000)) as Job<JobData>[];
    const busy = pending.find((job) => job.data.circles.some((circle) => circles.includes(circle)));
    if (busy !== undefined) {
      throw new ProxyError('IRX_ERR_ADMIN_CONFLICT', [`job ${busy.id ?? ''} (${busy.data.type}) already works on circle ${busy.data.circles.filter((c) => circles.includes(c)).join(', ')}: wait for it or cancel it`]);
    }
    const job = await this.queue.add(request.type, { ...request, circles });
    return this.view(job);
  }

  async list(limit = 100): Promise<JobView[]> {
    const jobs = (await this.queue.getJobs(['active', 'waiting', 'delayed', 'prioritized', 'completed', 'failed'], 0, limit - 1)) as Job<JobData>[];
    const views = await Promise.all(jobs.map((job) => this.view(job)));
    return views.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || Number(b.id) - Number(a.id)).slice(0, limit);
  }

  async get(id: string): Promise<{ job: JobView; logs: string[] } | null> {
    const job = (await this.queue.getJob(id)) as Job<JobData> | undefined;
    if (job === undefined) return null;
    const { logs } = await this.queue.getJobLogs(id, 0, -1, true);
    return { job: await this.view(job), logs };
  }

  /** Cancels a job: one not started is removed; a running one is asked to stop (it stops at its next step). */
  async cancel(id: string): Promise<JobView | null> {
    const job = (await this.queue.getJob(id)) as Job<JobData> | undefined;
    if (job === undefined) return null;
    const state = await job.getState();
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
      await job.remove();
      return { ...(await this.view(job)), state: 'unknown', cancelRequested: true };
    }
    if (state === 'active') await this.#redis.set(this.#keys.jobCancel(id), '1', 'EX', 24 * 3600);
    return this.view(job);
  }

  async view(fetched: Job<JobData>): Promise<JobView> {
    const id = fetched.id ?? '';
    const [state, cancel] = await Promise.all([fetched.getState(), this.#redis.exists(this.#keys.jobCancel(id))]);
    // The job may have finished between reading it and reading its state: then read it again, so a
    // finished job always comes with its result (or reason).
    const finished = state === 'completed' || state === 'failed';
    const job = finished && fetched.finishedOn === undefined ? (((await this.queue.getJob(id)) as Job<JobData> | undefined) ?? fetched) : fetched;
    const progress = typeof job.progress === 'object' && job.progress !== null ? (job.progress as unknown as JobProgress) : null;
    return {
      id,
      type: job.data.type,
      circles: job.data.circles,
      node: job.data.node ?? null,
      state,
      progress,
      createdAt: iso(job.timestamp) ?? '',
      startedAt: iso(job.processedOn),
      finishedAt: iso(job.finishedOn),
      failedReason: job.failedReason || null,
      result: job.returnvalue ?? null,
      cancelRequested: cancel === 1,
    };
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
