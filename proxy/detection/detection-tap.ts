// Where the write path hands acknowledged points to detection. A write to a database no rule looks at
// pays one Map lookup; otherwise the write path's own scan notes the lines of the measurements rules
// look at (one Set lookup per measurement), and after the 204 is sent those lines are read, every
// (series, field) a rule matches becomes a point of its detection shard, and the points of each shard
// go to that shard's queue in batches. Nothing here can delay or fail a write:
// past maxPendingPoints, or when the queue's Redis does not take a batch, points are skipped and
// counted (influxring_detection_points_skipped_total).
import { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { Metrics } from '../metrics.js';
import type { RedisClient } from '../redis.js';
import type { RedisKeys } from '../redis-keys.js';
import type { RuleStore } from '../rule-store.js';
import { encodeBatch, type DetectionBatch } from './detection-batch.js';
import type { WriteWatch } from '../write-router.js';
import { PointReader, type DetectionPoint } from './point-reader.js';
import { RuleIndex } from './rule-index.js';

/** The queue every shard has (under its own prefix). */
export const DETECTION_QUEUE = 'points';

export type { DetectionPoint } from './point-reader.js';

export type { DetectionBatch } from './detection-batch.js';

export class DetectionTap implements WriteWatch {
  #index = new RuleIndex([]);
  readonly #config: Config['detection'];
  readonly #reader: PointReader;
  readonly #connection: RedisClient;
  readonly #keys: RedisKeys;
  readonly #metrics: Metrics;
  readonly #log: Logger;
  readonly #queues = new Map<number, Queue<DetectionBatch>>();
  readonly #pending = new Map<number, DetectionPoint[]>();
  #pendingPoints = 0;
  #timer: NodeJS.Timeout | null = null;

  /** `connection`: a Redis client for the queues that fails fast (a write never waits on it). */
  constructor(config: Config['detection'], connection: RedisClient, keys: RedisKeys, metrics: Metrics, log: Logger) {
    this.#config = config;
    this.#reader = new PointReader(config.shards);
    this.#connection = connection;
    this.#keys = keys;
    this.#metrics = metrics;
    this.#log = log;
  }

  /** Follows the rules in the store; returns a stop function. */
  follow(store: RuleStore, pollMs: number): () => void {
    return store.follow(
      pollMs,
      (rules) => {
        this.#index = new RuleIndex(rules);
      },
      (err) => this.#log.debug({ err: err.message }, 'cannot read the detection rules'),
    );
  }

  /** For the write path: which measurements of `db` rules look at (null, the usual case: none). */
  watcher(db: string): ((shardKey: string) => boolean) | null {
    const index = this.#index;
    return index.hasDb(db) ? (key) => index.watches(key) : null;
  }

  /** A stored write's lines that rules look at (triplets start, end, measurement end): read after the answer. */
  offer(db: string, precision: string, body: Buffer, lines: readonly number[], receivedAt: number): void {
    const index = this.#index;
    setImmediate(() => this.#reader.read(index, db, precision, body, lines, receivedAt, (shard, point) => this.#add(shard, point)));
  }

  #add(shard: number, point: DetectionPoint): void {
    if (this.#pendingPoints >= this.#config.maxPendingPoints) {
      this.#metrics.detectionSkipped.labels('backlog').inc();
      return;
    }
    let list = this.#pending.get(shard);
    if (list === undefined) {
      list = [];
      this.#pending.set(shard, list);
    }
    list.push(point);
    this.#pendingPoints++;
    if (list.length >= this.#config.batchPoints) this.#flush(shard);
    else if (this.#timer === null) {
      this.#timer = setTimeout(() => this.flushAll(), this.#config.flushInterval);
      this.#timer.unref();
    }
  }

  flushAll(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    for (const shard of [...this.#pending.keys()]) this.#flush(shard);
  }

  #queue(shard: number): Queue<DetectionBatch> {
    let queue = this.#queues.get(shard);
    if (queue === undefined) {
      queue = new Queue<DetectionBatch>(DETECTION_QUEUE, {
        connection: this.#connection,
        prefix: this.#keys.detectionShardPrefix(shard),
        defaultJobOptions: { removeOnComplete: true, removeOnFail: 1000 },
      });
      queue.on('error', () => undefined);
      this.#queues.set(shard, queue);
    }
    return queue;
  }

  #flush(shard: number): void {
    const points = this.#pending.get(shard);
    if (points === undefined || points.length === 0) return;
    this.#pending.delete(shard);
    this.#queue(shard)
      .add('batch', encodeBatch(points))
      .then(
        () => this.#metrics.detectionQueued.inc(points.length),
        (err: Error) => {
          this.#metrics.detectionSkipped.labels('redis').inc(points.length);
          this.#log.debug({ err: err.message, shard, points: points.length }, 'detection batch skipped');
        },
      )
      .finally(() => {
        this.#pendingPoints -= points.length;
      });
  }

  async close(): Promise<void> {
    this.flushAll();
    await Promise.all([...this.#queues.values()].map((queue) => queue.close().catch(() => undefined)));
  }
}
