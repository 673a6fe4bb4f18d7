// Where the write path hands acknowledged points to detection. A write to a database no rule looks at
// pays one Map lookup; otherwise the write path's own scan notes the lines of the measurements rules
// look at (one Set lookup per measurement), and after the 204 is sent each of those lines (a point) is
// routed by its series key to the detection shards of its curves (line-router.ts) and copied into
// those shards' pending batches, which go to the shards' queues: the lines as bytes in a key of their
// own, the job naming it (detection-batch.ts). The workers read the lines. Nothing
// here can delay or fail a write: past maxPendingPoints, or when the queue's Redis does not take a
// batch, points are skipped and counted (influxring_detection_points_skipped_total).
import { Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { Metrics } from '../metrics.js';
import type { RedisClient } from '../redis.js';
import type { RedisKeys } from '../redis-keys.js';
import type { RuleStore } from '../rule-store.js';
import { viewOf } from './byte-words.js';
import { PendingBatch, type DetectionBatch } from './detection-batch.js';
import type { WriteWatch } from '../write-router.js';
import { LineRouter } from './line-router.js';
import { LineSpansPool, type LineSpans } from './line-spans.js';
import { HEAD_ROOM, setFromBuffer, TAIL_ROOM } from './pre-encoded-set.js';
import { RuleIndex } from './rule-index.js';

/** Bytes of stored batches' buffers kept for the next batches, at most, and the largest buffer kept. */
const SPARE_BYTES = 64 << 20;
const SPARE_BUFFER_BYTES = 4 << 20;
/** The smallest buffer a batch starts with (a shard's starts with room for as many bytes as its last batch). */
const FIRST_BUFFER_BYTES = 4096;

/** The queue every shard has (under its own prefix). */
export const DETECTION_QUEUE = 'points';

export type { DetectionBatch } from './detection-batch.js';

export class DetectionTap implements WriteWatch {
  #index = new RuleIndex([]);
  readonly #config: Config['detection'];
  readonly #router: LineRouter;
  readonly #connection: RedisClient;
  readonly #keys: RedisKeys;
  readonly #metrics: Metrics;
  readonly #log: Logger;
  readonly #queues = new Map<number, Queue<DetectionBatch>>();
  readonly #pending = new Map<number, PendingBatch>();
  /**
   * Buffers of batches Redis has stored, for the next batches: a batch's buffer is made once, not
   * for every batch (new buffers of some hundred KB many times a second set off full GCs).
   */
  readonly #spare: Buffer[] = [];
  #spareBytes = 0;
  /** Per shard, the bytes of its last batch. */
  readonly #lastBytes = new Map<number, number>();
  readonly #spans = new LineSpansPool();
  #pendingPoints = 0;
  /** Numbers the writes routed (a batch's segment per write). */
  #writes = 0;
  /** Names this tap's batches (with a sequence number): unique across proxy processes. */
  readonly #id = randomBytes(6).toString('hex');
  #sequence = 0;
  #timer: NodeJS.Timeout | null = null;

  /** `connection`: a Redis client for the queues that fails fast (a write never waits on it). */
  constructor(config: Config['detection'], connection: RedisClient, keys: RedisKeys, metrics: Metrics, log: Logger) {
    this.#config = config;
    this.#router = new LineRouter(config.shards);
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

  /** For the write path: where a write notes the lines rules look at. */
  lineSpans(): LineSpans {
    return this.#spans.take();
  }

  /** A stored write's lines that rules look at (triplets start, end, series key end): routed after the answer. */
  offer(db: string, precision: string, body: Buffer, lines: LineSpans, receivedAt: number): void {
    const index = this.#index;
    setImmediate(() => {
      this.#route(index, db, precision, body, lines, receivedAt);
      this.#spans.giveBack(lines);
    });
  }

  #route(index: RuleIndex, db: string, precision: string, body: Buffer, lines: LineSpans, receivedAt: number): void {
    const limit = this.#config.maxPendingPoints;
    let skipped = 0;
    const view = viewOf(body);
    const write = ++this.#writes;
    const routeOf = this.#router.routes(index, db);
    const spans = lines.spans;
    for (let l = 0; l < lines.length; l += 3) {
      const start = spans[l] as number;
      const end = spans[l + 1] as number;
      const { shards, rules } = routeOf(body, view, start, spans[l + 2] as number);
      for (let s = 0; s < shards.length; s++) {
        if (this.#pendingPoints >= limit) {
          skipped++;
          continue;
        }
        const shard = shards[s] as number;
        let pending = this.#pending.get(shard);
        if (pending === undefined) {
          pending = new PendingBatch(this.#buffer(shard));
          this.#pending.set(shard, pending);
        }
        pending.add(db, precision, receivedAt, write, body, view, start, end, rules);
        this.#pendingPoints++;
        if (pending.lines >= this.#config.batchPoints) this.#flush(shard);
      }
    }
    if (skipped > 0) this.#metrics.detectionSkipped.labels('backlog').inc(skipped);
    if (this.#pending.size > 0 && this.#timer === null) {
      this.#timer = setTimeout(() => this.flushAll(), this.#config.flushInterval);
      this.#timer.unref();
    }
  }

  flushAll(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    for (const shard of [...this.#pending.keys()]) this.#flush(shard);
  }

  /** A buffer for a shard's next batch: a spare one, or a new one with room for as many bytes as its last batch. */
  #buffer(shard: number): Buffer {
    const spare = this.#spare.pop();
    if (spare !== undefined) {
      this.#spareBytes -= spare.length;
      return spare;
    }
    return Buffer.allocUnsafe(Math.max(FIRST_BUFFER_BYTES, (this.#lastBytes.get(shard) ?? 0) + HEAD_ROOM + TAIL_ROOM + 1024));
  }

  #queue(shard: number): Queue<DetectionBatch> {
    let queue = this.#queues.get(shard);
    if (queue === undefined) {
      queue = new Queue<DetectionBatch>(DETECTION_QUEUE, {
        connection: this.#connection,
        prefix: this.#keys.detectionShardPrefix(shard),
        // A worker that cannot read a batch's lines (Redis away a moment) fails it before judging: tried again.
        defaultJobOptions: { removeOnComplete: true, removeOnFail: 1000, attempts: 5, backoff: { type: 'exponential', delay: 1000 } },
      });
      queue.on('error', () => undefined);
      this.#queues.set(shard, queue);
    }
    return queue;
  }

  #flush(shard: number): void {
    const pending = this.#pending.get(shard);
    if (pending === undefined) return;
    this.#pending.delete(shard);
    const lines = pending.lines;
    this.#lastBytes.set(shard, pending.bytes);
    const key = this.#keys.detectionBatch(shard, `${this.#id}-${++this.#sequence}`);
    const { batch, buffer, start, end } = pending.build(key);
    // The lines first, as bytes, then the job that names them: a job is only added once its lines are
    // stored (on a connection that is ready: a fail-fast one refuses commands while it connects).
    const queue = this.#queue(shard);
    const ttl = this.#config.batchTtl;
    queue
      .waitUntilReady()
      .then(() => setFromBuffer(this.#connection, buffer, start, end, key, ttl) ?? this.#connection.set(key, buffer.subarray(start, end), 'PX', ttl))
      .then(() => {
        // Stored: its buffer is free (after a failure it is not: the socket may still hold it).
        if (this.#spareBytes + buffer.length <= SPARE_BYTES && buffer.length <= SPARE_BUFFER_BYTES) {
          this.#spare.push(buffer);
          this.#spareBytes += buffer.length;
        }
        return queue.add('batch', batch);
      })
      .then(
        () => this.#metrics.detectionQueued.inc(lines),
        (err: Error) => {
          this.#metrics.detectionSkipped.labels('redis').inc(lines);
          this.#log.debug({ err: err.message, shard, points: lines }, 'detection batch skipped');
        },
      )
      .finally(() => {
        this.#pendingPoints -= lines;
      });
  }

  async close(): Promise<void> {
    this.flushAll();
    await Promise.all([...this.#queues.values()].map((queue) => queue.close().catch(() => undefined)));
  }
}
