// Batches the parts of client writes for one node, per (db, rp, precision), and delivers each batch:
// to the node while it is live, else (or when the node fails) to its replay buffer in Redis. A batch
// is sent when it holds `flushLines` lines or `flushBytes` bytes, or `flushAge` after its first line,
// as soon as one of the node's in-flight slots is free; while all slots are busy, parts keep joining
// the waiting batches, so concurrent small writes coalesce into large node writes.
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Metrics, NodeMetrics } from './metrics.js';
import type { InfluxNode } from './node.js';
import type { NodeOutcome } from './node-outcome.js';
import type { ReplayBuffer } from './replay-buffer.js';
import { PART_ACCEPTED, PART_BUFFERED, type PartOutcome, type WriteRequest } from './write-request.js';

const gzipAsync = promisify(gzip);

interface Part {
  readonly request: WriteRequest;
  /** Lines of this request for this node, each ending with a newline. */
  readonly chunk: Buffer;
  readonly lines: number;
}

class Batch {
  readonly key: string;
  readonly db: string;
  readonly rp: string;
  readonly precision: string;
  readonly parts: Part[] = [];
  bytes = 0;
  lines = 0;
  readonly createdAt: number;

  constructor(key: string, db: string, rp: string, precision: string, createdAt: number) {
    this.key = key;
    this.db = db;
    this.rp = rp;
    this.precision = precision;
    this.createdAt = createdAt;
  }

  add(part: Part): void {
    this.parts.push(part);
    this.bytes += part.chunk.length;
    this.lines += part.lines;
  }

  body(): Buffer {
    return this.parts.length === 1 ? (this.parts[0] as Part).chunk : Buffer.concat(this.parts.map((p) => p.chunk), this.bytes);
  }

  /** The same destination with only some of the parts (to attribute a node's error). */
  subset(parts: readonly Part[]): Batch {
    const batch = new Batch(this.key, this.db, this.rp, this.precision, this.createdAt);
    for (const part of parts) batch.add(part);
    return batch;
  }

  settle(outcome: PartOutcome): void {
    for (const part of this.parts) part.request.settle(outcome);
  }
}

export type WriteOptions = Config['write'];

/** Points a node dropped, from its `dropped=N` (partial writes), else all of the batch. */
function droppedPoints(error: string, lines: number): number {
  const match = /dropped=(\d+)\s*$/.exec(error);
  return match ? Number(match[1]) : lines;
}

export class NodeBatcher {
  readonly #node: InfluxNode;
  readonly #options: WriteOptions;
  readonly #replayBuffer: ReplayBuffer;
  readonly #metrics: Metrics;
  readonly #nodeMetrics: NodeMetrics;
  readonly #log: Logger;
  /** Open batches by destination key. */
  readonly #open = new Map<string, Batch>();
  /** Closed batches waiting for an in-flight slot, oldest first. */
  readonly #ready: Batch[] = [];
  #waitingBytes = 0;
  #timer: NodeJS.Timeout | null = null;
  #immediate: NodeJS.Immediate | null = null;

  constructor(node: InfluxNode, options: WriteOptions, replayBuffer: ReplayBuffer, metrics: Metrics, log: Logger) {
    this.#node = node;
    this.#options = options;
    this.#replayBuffer = replayBuffer;
    this.#metrics = metrics;
    this.#nodeMetrics = metrics.node(node);
    this.#log = log;
  }

  /** Batches and parts not yet handed to the node or the replay buffer. */
  get idle(): boolean {
    return this.#open.size === 0 && this.#ready.length === 0 && this.#node.inFlight === 0;
  }

  add(db: string, rp: string, precision: string, chunk: Buffer, lines: number, request: WriteRequest): void {
    const key = `${db}\n${rp}\n${precision}`;
    let batch = this.#open.get(key);
    if (batch === undefined) {
      batch = new Batch(key, db, rp, precision, performance.now());
      this.#open.set(key, batch);
    }
    request.expect();
    batch.add({ request, chunk, lines });
    this.#waitingBytes += chunk.length;
    if (batch.lines >= this.#options.flushLines || batch.bytes >= this.#options.flushBytes) {
      this.#open.delete(key);
      this.#ready.push(batch);
      this.#pump();
    } else {
      this.#schedule();
    }
    if (this.#waitingBytes > this.#options.maxPendingBytesPerNode) this.#divert();
  }

  #schedule(): void {
    if (this.#options.flushAge === 0) {
      this.#immediate ??= setImmediate(() => {
        this.#immediate = null;
        this.#pump();
      });
      return;
    }
    if (this.#timer !== null) return;
    const oldest = this.#open.values().next().value;
    if (oldest === undefined) return;
    const wait = Math.max(0, this.#options.flushAge - (performance.now() - oldest.createdAt));
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#pump();
    }, wait);
  }

  /** Sends full batches, then due open batches, while the node has free in-flight slots. */
  #pump(): void {
    while (this.#node.inFlight < this.#options.maxInFlightPerNode) {
      const batch = this.#ready.shift() ?? this.#takeDue();
      if (batch === undefined) break;
      this.#waitingBytes -= batch.bytes;
      this.#node.inFlight++;
      void this.#deliver(batch).finally(() => {
        this.#node.inFlight--;
        this.#pump();
      });
    }
    // Open batches not sent now are sent when they are due or when a slot frees up.
    if (this.#open.size > 0 && this.#options.flushAge > 0) this.#schedule();
  }

  /** The oldest open batch if it is due (open batches are kept in creation order). */
  #takeDue(): Batch | undefined {
    for (const [key, batch] of this.#open) {
      if (performance.now() - batch.createdAt < this.#options.flushAge) return undefined;
      this.#open.delete(key);
      return batch;
    }
    return undefined;
  }

  /** Too much is waiting for this node: send the waiting batches to its replay buffer instead. */
  #divert(): void {
    const batches = [...this.#ready, ...this.#open.values()];
    this.#ready.length = 0;
    this.#open.clear();
    this.#log.warn({ node: this.#node.name, bytes: this.#waitingBytes }, 'node is not keeping up; buffering its waiting batches');
    this.#node.buffering = true;
    for (const batch of batches) {
      this.#waitingBytes -= batch.bytes;
      void this.#buffer(batch, batch.body(), false);
    }
  }

  async #deliver(batch: Batch): Promise<void> {
    const body = batch.body();
    const gzipped = this.#options.gzip && body.length >= this.#options.gzipMinBytes;
    const payload = gzipped ? await gzipAsync(body, { level: this.#options.gzipLevel }) : body;
    if (!this.#node.live) {
      await this.#buffer(batch, payload, gzipped);
      return;
    }
    const outcome = await this.#node.write(
      { db: batch.db, rp: batch.rp, precision: batch.precision, body: payload, gzipped },
      this.#options.nodeTimeout,
    );
    await this.#handle(batch, outcome, payload, gzipped);
  }

  async #handle(batch: Batch, outcome: NodeOutcome, payload: Buffer, gzipped: boolean): Promise<void> {
    switch (outcome.kind) {
      case 'accepted':
        this.#nodeMetrics.written.inc(batch.lines);
        this.#nodeMetrics.batchPoints.observe(batch.lines);
        batch.settle(PART_ACCEPTED);
        return;
      case 'unavailable':
        this.#markDown(outcome.reason);
        await this.#buffer(batch, payload, gzipped);
        return;
      case 'rejected':
        if (batch.parts.length > 1 && outcome.scope === 'request') {
          // The node stored what it could; send each request's part alone to learn whose it was.
          await this.#split(batch, batch.parts.map((part) => [part]));
          return;
        }
        this.#metrics.pointsRejected.labels('node_rejected').inc(droppedPoints(outcome.error, batch.lines));
        batch.settle({ kind: 'rejected', status: outcome.status, error: outcome.error });
        return;
      case 'too-large':
        if (batch.parts.length > 1) {
          const half = Math.ceil(batch.parts.length / 2);
          await this.#split(batch, [batch.parts.slice(0, half), batch.parts.slice(half)]);
          return;
        }
        this.#metrics.pointsRejected.labels('body_too_large').inc(batch.lines);
        batch.settle({ kind: 'rejected', status: 413, error: `node ${this.#node.name} refused the request as too large` });
        return;
    }
  }

  async #split(batch: Batch, groups: readonly (readonly Part[])[]): Promise<void> {
    for (const parts of groups) {
      const sub = batch.subset(parts);
      const body = sub.body();
      const gzipped = this.#options.gzip && body.length >= this.#options.gzipMinBytes;
      const payload = gzipped ? await gzipAsync(body, { level: this.#options.gzipLevel }) : body;
      if (!this.#node.live) {
        await this.#buffer(sub, payload, gzipped);
        continue;
      }
      const outcome = await this.#node.write(
        { db: sub.db, rp: sub.rp, precision: sub.precision, body: payload, gzipped },
        this.#options.nodeTimeout,
      );
      await this.#handle(sub, outcome, payload, gzipped);
    }
  }

  #markDown(reason: string): void {
    if (this.#node.healthy) this.#log.warn({ node: this.#node.name, reason }, 'node write failed; buffering its writes');
    this.#node.healthy = false;
    this.#node.buffering = true;
    this.#node.recordError(reason);
  }

  /** Stores the batch in the node's replay buffer; the parts are settled as buffered or unavailable. */
  async #buffer(batch: Batch, payload: Buffer, gzipped: boolean): Promise<void> {
    const node = this.#node;
    node.buffering = true;
    node.pushesInFlight++;
    try {
      const result = await this.#replayBuffer.push(node.name, {
        db: batch.db,
        rp: batch.rp,
        precision: batch.precision,
        points: batch.lines,
        enqueuedAt: Date.now(),
        gzipped,
        payload,
      });
      if (result === 'stored') {
        node.buffered.entries++;
        node.buffered.points += batch.lines;
        node.buffered.bytes += payload.length;
        node.buffered.oldestAt ??= Date.now();
        this.#nodeMetrics.buffered.inc(batch.lines);
        batch.settle(PART_BUFFERED);
      } else {
        this.#metrics.pointsRejected.labels('unavailable').inc(batch.lines);
        batch.settle({ kind: 'unavailable', node: node.name, reason: 'its replay buffer is full' });
      }
    } catch (err) {
      this.#metrics.redisErrors.labels('replay_push').inc();
      this.#metrics.pointsRejected.labels('unavailable').inc(batch.lines);
      batch.settle({ kind: 'unavailable', node: node.name, reason: `Redis: ${(err as Error).message}` });
    } finally {
      node.pushesInFlight--;
    }
  }

  /** Sends everything open now (shutdown); resolves when nothing is waiting or in flight. */
  async drain(): Promise<void> {
    for (const [key, batch] of this.#open) {
      this.#open.delete(key);
      this.#ready.push(batch);
    }
    this.#pump();
    while (!this.idle) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
