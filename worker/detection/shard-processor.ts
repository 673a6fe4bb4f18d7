// The points of one detection shard, processed by the worker that holds its lease: a BullMQ worker on
// the shard's queue, one batch at a time (so each curve's points are judged in the order they came),
// with the state of every curve in memory, restored from and saved to Redis (fenced by the lease's
// token: an owner that lost its lease cannot overwrite the new owner's state).
import { Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Rule } from '../../config/rule-schema.js';
import type { DetectionBatch } from '../../proxy/detection/detection-batch.js';
import { DETECTION_QUEUE } from '../../proxy/detection/detection-tap.js';
import type { RedisClient } from '../../proxy/redis.js';
import type { RedisKeys } from '../../proxy/redis-keys.js';
import type { AnomalySink } from './anomaly-sink.js';
import { newSeriesState, observe, type SeriesState } from './series-detector.js';

// SAVE — KEYS: lease, state hash. ARGV: token, then field/value pairs. Saves only under the lease.
const SAVE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
return 1`;

interface SaveCommands {
  irxDetectSave(lease: string, state: string, token: string, ...pairs: string[]): Promise<number>;
}

export interface ProcessorContext {
  readonly redis: RedisClient;
  /** A connection BullMQ may use (commands wait while Redis is away). */
  readonly connection: RedisClient;
  readonly keys: RedisKeys;
  /** The rule named so (the rules known now; a name not known yet is looked up in Redis). */
  readonly rule: (name: string) => Rule | undefined | Promise<Rule | undefined>;
  readonly sink: AnomalySink;
  readonly checkpointInterval: number;
  readonly log: Logger;
  /** Counts points by outcome: judged, not judged (a detector calibrating, or an algorithm workers do not run), no such rule. */
  readonly counted: (outcome: 'judged' | 'unjudged' | 'no-rule', points: number) => void;
}

export class ShardProcessor {
  readonly shard: number;
  readonly #token: string;
  readonly #ctx: ProcessorContext;
  readonly #states = new Map<string, SeriesState>();
  readonly #dirty = new Set<string>();
  #worker: Worker<DetectionBatch> | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(shard: number, token: string, ctx: ProcessorContext) {
    ctx.redis.defineCommand('irxDetectSave', { numberOfKeys: 2, lua: SAVE });
    this.shard = shard;
    this.#token = token;
    this.#ctx = ctx;
  }

  /** Restores the saved states, then starts taking the shard's batches. */
  async start(): Promise<void> {
    const saved = await this.#ctx.redis.hgetall(this.#ctx.keys.detectionState(this.shard));
    for (const [key, json] of Object.entries(saved)) this.#states.set(key, JSON.parse(json) as SeriesState);
    this.#worker = new Worker<DetectionBatch>(DETECTION_QUEUE, (job) => this.#process(job), {
      connection: this.#ctx.connection,
      prefix: this.#ctx.keys.detectionShardPrefix(this.shard),
      concurrency: 1,
    });
    this.#worker.on('error', (err) => this.#ctx.log.debug({ shard: this.shard, err: err.message }, 'detection worker error'));
    this.#timer = setInterval(() => void this.save(), this.#ctx.checkpointInterval);
    this.#timer.unref();
  }

  async #process(job: Job<DetectionBatch>): Promise<void> {
    const { rules: names, series, points } = job.data;
    // The batch's rules, once each (a name not known yet is looked up), and their algorithms as JSON.
    const rules = await Promise.all(names.map((name) => this.#ctx.rule(name)));
    const algorithms = rules.map((rule) => (rule === undefined ? '' : JSON.stringify(rule.algorithm)));
    let judged = 0;
    for (let i = 0; i < points.length; i += 4) {
      const r = points[i] as number;
      const rule = rules[r];
      if (rule === undefined || !rule.enabled) {
        this.#ctx.counted('no-rule', 1);
        continue;
      }
      const ruleName = names[r] as string;
      const curve = series[points[i + 1] as number] as string;
      const time = points[i + 2] as number;
      const value = points[i + 3] as number;
      const key = `${ruleName}\n${curve}`;
      let state = this.#states.get(key);
      if (state === undefined || state.algorithm !== algorithms[r]) {
        state = newSeriesState(rule);
        this.#states.set(key, state);
      }
      const judgement = observe(state, rule, value);
      this.#dirty.add(key);
      if (judgement === null) {
        this.#ctx.counted('unjudged', 1);
        continue;
      }
      judged++;
      if (!judgement.anomalous) continue;
      const alert = time - state.lastAlertAt >= rule.cooldown;
      if (alert) state.lastAlertAt = time;
      this.#ctx.sink.emit({ rule: ruleName, series: curve, algorithm: rule.algorithm.type, time, value, threshold: judgement.threshold, score: judgement.score }, rule, alert);
    }
    this.#ctx.counted('judged', judged);
    await this.#ctx.sink.flush();
  }

  /** Saves the states changed since the last save (only while this worker holds the lease). */
  async save(): Promise<boolean> {
    if (this.#dirty.size === 0) return true;
    const pairs: string[] = [];
    for (const key of this.#dirty) {
      const state = this.#states.get(key);
      if (state !== undefined) pairs.push(key, JSON.stringify(state));
    }
    this.#dirty.clear();
    const redis = this.#ctx.redis as RedisClient & SaveCommands;
    const saved = await redis.irxDetectSave(this.#ctx.keys.detectionLease(this.shard), this.#ctx.keys.detectionState(this.shard), this.#token, ...pairs).catch(() => -1);
    if (saved !== 1) this.#ctx.log.warn({ shard: this.shard, saved }, 'detection state not saved (lease lost or Redis away)');
    return saved === 1;
  }

  /** Stops taking batches (the one in progress finishes), saves, forgets the states. */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    await this.#worker?.close();
    await this.save();
    this.#states.clear();
  }
}
