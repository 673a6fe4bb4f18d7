// Batches the parts of client writes for one node, per (db, rp, precision), and delivers each batch:
// to the node while it is live, else (or when the node fails) to its replay buffer in Redis.
// Group commit: to an idle node a batch goes at the end of the event-loop turn; while batches are in
// flight, new parts gather into open batches, which go when a batch comes back, when they hold
// `flushLines` lines or `flushBytes` bytes, or once they are `flushAge` old — so many concurrent small
// writes become few large node writes, and large writes still use every in-flight slot.
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Metrics, NodeMetrics } from './metrics.js';
import type { InfluxNode, NodeReply } from './node.js';
import type { NodeOutcome } from './node-outcome.js';
import type { PushKind, ReplayBuffer } from './replay-buffer.js';
import { PART_ACCEPTED, PART_BUFFERED, type PartOutcome, type WriteRequest } from './write-request.js';

const gzipAsync = promisify(gzip);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How often a push waiting for a draining buffer asks again. */
const DRAIN_POLL_MS = 2;

interface Part {
  readonly request: WriteRequest;
  /** Lines of this request for this node, each ending with a newline. */
  readonly chunk: Buffer;
  readonly lines: number;
  readonly shardKeys: ReadonlySet<string>;
}

/** A data-changing statement for one node, applied in order with the writes of the keys it touches. */
export interface NodeStatement {
  readonly text: string;
  readonly db: string;
  /** Shard keys it touches, or null: all of them (it waits for, and holds up, every write to the node). */
  readonly shardKeys: ReadonlySet<string> | null;
}

export type StatementOutcome =
  | { readonly kind: 'applied'; readonly reply: NodeReply }
  | { readonly kind: 'buffered' }
  | { readonly kind: 'unavailable'; readonly reason: string };

class Batch {
  readonly key: string;
  readonly db: string;
  readonly rp: string;
  readonly precision: string;
  readonly parts: Part[] = [];
  readonly shardKeys = new Set<string>();
  bytes = 0;
  lines = 0;
  readonly createdAt: number;
  /** Set for a statement batch (no parts), with whom to tell how it went. */
  statement: NodeStatement | null = null;
  onStatement: ((outcome: StatementOutcome) => void) | null = null;
  /** The batch touches every shard key (a statement over all measurements). */
  allKeys = false;

  static forStatement(statement: NodeStatement, done: (outcome: StatementOutcome) => void): Batch {
    const batch = new Batch(`statement\n${statement.db}`, statement.db, '', '', performance.now());
    batch.statement = statement;
    batch.onStatement = done;
    if (statement.shardKeys === null) batch.allKeys = true;
    else for (const key of statement.shardKeys) batch.shardKeys.add(key);
    batch.bytes = Buffer.byteLength(statement.text);
    return batch;
  }

  constructor(key: string, db: string, rp: string, precision: string, createdAt: number) {
    this.key = key;
    this.db = db;
    this.rp = rp;
    this.precision = precision;
    this.createdAt = createdAt;
  }

  add(part: Part): void {
    this.parts.push(part);
    for (const key of part.shardKeys) this.shardKeys.add(key);
    this.bytes += part.chunk.length;
    this.lines += part.lines;
  }

  body(): Buffer {
    if (this.statement !== null) return Buffer.from(this.statement.text);
    return this.parts.length === 1 ? (this.parts[0] as Part).chunk : Buffer.concat(this.parts.map((p) => p.chunk), this.bytes);
  }

  /** The same destination with only some of the parts (to attribute a node's error). */
  subset(parts: readonly Part[]): Batch {
    const batch = new Batch(this.key, this.db, this.rp, this.precision, this.createdAt);
    for (const part of parts) batch.add(part);
    return batch;
  }

  settle(outcome: PartOutcome): void {
    if (this.onStatement !== null) {
      this.onStatement(
        outcome.kind === 'buffered' ? { kind: 'buffered' } : outcome.kind === 'unavailable' ? { kind: 'unavailable', reason: outcome.reason } : { kind: 'unavailable', reason: 'not applied' },
      );
      return;
    }
    for (const part of this.parts) part.request.settle(outcome);
  }
}

export type WriteOptions = Config['write'];

/** Keys of the batches held back during one pump (a later batch touching them must wait too). */
interface Blocked {
  keys: Set<string> | null;
  all: boolean;
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
  /** Batches in flight to the node, and to its replay buffer. */
  #liveInFlight = 0;
  #pushInFlight = 0;
  /** Shard keys of the batches in flight, with how many batches carry each. */
  readonly #inFlightKeys = new Map<string, number>();
  /** Batches in flight that touch every key (statements without a measurement). */
  #inFlightAll = 0;
  readonly #gzip: boolean;
  readonly #drainWait: number;
  #timer: NodeJS.Timeout | null = null;
  #immediate: NodeJS.Immediate | null = null;

  constructor(node: InfluxNode, options: WriteOptions, drainWait: number, replayBuffer: ReplayBuffer, metrics: Metrics, log: Logger) {
    this.#node = node;
    this.#options = options;
    this.#replayBuffer = replayBuffer;
    this.#metrics = metrics;
    this.#nodeMetrics = metrics.node(node);
    this.#log = log;
    this.#gzip = options.gzip === 'auto' ? !node.loopback : options.gzip;
    this.#drainWait = drainWait;
  }

  /** Batches and parts not yet handed to the node or the replay buffer. */
  get idle(): boolean {
    return this.#open.size === 0 && this.#ready.length === 0 && this.#node.inFlight === 0;
  }

  add(db: string, rp: string, precision: string, chunk: Buffer, lines: number, shardKeys: ReadonlySet<string>, request: WriteRequest): void {
    const key = `${db}\n${rp}\n${precision}`;
    let batch = this.#open.get(key);
    if (batch === undefined) {
      batch = new Batch(key, db, rp, precision, performance.now());
      this.#open.set(key, batch);
    }
    request.expect();
    batch.add({ request, chunk, lines, shardKeys });
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

  /**
   * Applies a data-changing statement on this node after the writes added before it (of the keys it
   * touches), or stores it in the node's replay buffer, in the same order, when the node cannot take it.
   */
  apply(statement: NodeStatement): Promise<StatementOutcome> {
    return new Promise((resolve) => {
      // What is open is older than the statement: close it, so it goes first.
      for (const [key, batch] of this.#open) {
        this.#open.delete(key);
        this.#ready.push(batch);
      }
      this.#ready.push(Batch.forStatement(statement, resolve));
      this.#pump();
    });
  }

  /** Pumps at the end of this event-loop turn, so the requests read in this turn share a batch. */
  #schedule(): void {
    this.#immediate ??= setImmediate(() => {
      this.#immediate = null;
      this.#pump();
    });
  }

  /**
   * Sends batches while there are free slots: closed batches first, then open ones that are due, all
   * in creation order. A live node has `maxInFlightPerNode` slots for writes to it; a node that is not
   * live has as many for pushes to its replay buffer (so a batch stuck on a frozen node never holds up
   * the pushes). A batch sharing a shard key with a batch in flight, or with an earlier batch still
   * waiting, waits too: every node then applies the writes of a measurement in the same order, so
   * circles cannot diverge (which write wins a field type, which value a point keeps).
   */
  #pump(): void {
    const max = this.#options.maxInFlightPerNode;
    const live = this.#node.live;
    const busy = (): number => (live ? this.#liveInFlight : this.#pushInFlight);
    if (busy() >= max) return;
    const blocked: Blocked = { keys: null, all: false };
    const hold = (batch: Batch): void => {
      if (batch.allKeys) blocked.all = true;
      blocked.keys ??= new Set<string>();
      for (const key of batch.shardKeys) blocked.keys.add(key);
    };
    for (let i = 0; i < this.#ready.length && busy() < max; ) {
      const batch = this.#ready[i] as Batch;
      if (this.#conflicts(batch, blocked)) {
        hold(batch);
        i++;
        continue;
      }
      this.#ready.splice(i, 1);
      this.#send(batch, live);
    }
    const now = performance.now();
    for (const [key, batch] of this.#open) {
      if (busy() >= max) break;
      // To an idle node a batch goes at once; behind a batch in flight it gathers lines for
      // flushAge (like Nagle's algorithm). Later open batches are younger: stop at the first.
      if (busy() > 0 && now - batch.createdAt < this.#options.flushAge) break;
      if (this.#conflicts(batch, blocked)) {
        hold(batch);
        continue;
      }
      this.#open.delete(key);
      this.#send(batch, live);
    }
    this.#armTimer();
  }

  /** An open batch waiting only for its age goes when it is flushAge old (or a batch comes back). */
  #armTimer(): void {
    if (this.#timer !== null || this.#open.size === 0) return;
    const busy = this.#node.live ? this.#liveInFlight : this.#pushInFlight;
    if (busy === 0 || busy >= this.#options.maxInFlightPerNode) return;
    const oldest = this.#open.values().next().value as Batch;
    const wait = this.#options.flushAge - (performance.now() - oldest.createdAt);
    if (wait <= 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#pump();
    }, wait);
  }

  #conflicts(batch: Batch, blocked: Blocked): boolean {
    if (this.#inFlightAll > 0 || blocked.all) return true;
    if (batch.allKeys) return this.#inFlightKeys.size > 0 || (blocked.keys !== null && blocked.keys.size > 0);
    for (const key of batch.shardKeys) {
      if (this.#inFlightKeys.has(key) || (blocked.keys !== null && blocked.keys.has(key))) return true;
    }
    return false;
  }

  #send(batch: Batch, live: boolean): void {
    this.#hold(batch, live);
    void this.#deliver(batch).finally(() => {
      this.#release(batch, live);
      this.#pump();
    });
  }

  /** The batch leaves the queues: in flight in its lane, its shard keys held until it is settled. */
  #hold(batch: Batch, live: boolean): void {
    this.#waitingBytes -= batch.bytes;
    if (live) this.#liveInFlight++;
    else this.#pushInFlight++;
    this.#node.inFlight++;
    if (batch.allKeys) this.#inFlightAll++;
    for (const key of batch.shardKeys) this.#inFlightKeys.set(key, (this.#inFlightKeys.get(key) ?? 0) + 1);
  }

  #release(batch: Batch, live: boolean): void {
    for (const key of batch.shardKeys) {
      const left = (this.#inFlightKeys.get(key) ?? 1) - 1;
      if (left === 0) this.#inFlightKeys.delete(key);
      else this.#inFlightKeys.set(key, left);
    }
    if (live) this.#liveInFlight--;
    else this.#pushInFlight--;
    this.#node.inFlight--;
    if (batch.allKeys) this.#inFlightAll--;
  }

  /**
   * Too much waits for a live node that does not keep up: from now on its writes go to its replay
   * buffer. The writes in flight to it are aborted, so they are buffered first (they hold their shard
   * keys until then, and what waits behind them follows in order), and nobody waits for a stuck node.
   */
  #divert(): void {
    if (!this.#node.live) return;
    this.#log.warn({ node: this.#node.name, bytes: this.#waitingBytes }, 'node is not keeping up; buffering its writes');
    this.#node.buffering = true;
    this.#node.abortInFlight(`node ${this.#node.name} is not keeping up: more than ${this.#options.maxPendingBytesPerNode} bytes wait for it`);
    this.#pump();
  }

  async #compress(body: Buffer): Promise<{ payload: Buffer; gzipped: boolean }> {
    if (!this.#gzip || body.length < this.#options.gzipMinBytes) return { payload: body, gzipped: false };
    return { payload: await gzipAsync(body, { level: this.#options.gzipLevel }), gzipped: true };
  }

  async #deliver(batch: Batch): Promise<void> {
    if (batch.statement !== null) {
      if (this.#node.live) await this.#applyLive(batch, batch.statement);
      else await this.#buffer(batch, batch.body(), false, this.#node.healthy ? 'divert' : 'failed');
      return;
    }
    const { payload, gzipped } = await this.#compress(batch.body());
    if (!this.#node.live) {
      // Not tried: a node known down fails the batch; a healthy node still replaying diverts it.
      await this.#buffer(batch, payload, gzipped, this.#node.healthy ? 'divert' : 'failed');
      return;
    }
    await this.#writeLive(batch, payload, gzipped);
  }

  /** Runs a statement batch on the node; a node that cannot take it gets it in its replay buffer. */
  async #applyLive(batch: Batch, statement: NodeStatement): Promise<void> {
    let failure: string;
    try {
      const reply = await this.#node.statement(statement.text, statement.db, this.#options.nodeTimeout);
      if (reply.status < 500) {
        (batch.onStatement as (outcome: StatementOutcome) => void)({ kind: 'applied', reply });
        return;
      }
      failure = `node answered ${reply.status}`;
    } catch (err) {
      failure = (err as Error).message;
    }
    this.#markDown(failure);
    await this.#buffer(batch, batch.body(), false, 'failed');
  }

  async #writeLive(batch: Batch, payload: Buffer, gzipped: boolean): Promise<void> {
    if (batch.statement !== null) {
      await this.#applyLive(batch, batch.statement);
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
        await this.#buffer(batch, payload, gzipped, 'failed');
        return;
      case 'rejected':
        if (batch.parts.length > 1 && outcome.scope === 'request') {
          // The node stored what it could; send each request's part alone to learn whose it was.
          await this.#split(batch, batch.parts.map((part) => [part]));
          return;
        }
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
    for (const parts of groups) await this.#deliver(batch.subset(parts));
  }

  #markDown(reason: string): void {
    if (this.#node.healthy) this.#log.warn({ node: this.#node.name, reason }, 'node write failed; buffering its writes');
    this.#node.healthy = false;
    this.#node.buffering = true;
    this.#node.recordError(reason);
  }

  /**
   * Stores the batch in the node's replay buffer; the parts are settled as buffered or unavailable.
   * A `divert` push that finds the node live again (its buffer drained meanwhile) is sent live.
   */
  async #buffer(batch: Batch, payload: Buffer, gzipped: boolean, kind: PushKind): Promise<void> {
    const node = this.#node;
    const entry = {
      db: batch.db,
      rp: batch.rp,
      precision: batch.precision,
      points: batch.lines,
      enqueuedAt: Date.now(),
      gzipped,
      statement: batch.statement !== null,
      payload,
    };
    // While the replayer sends a buffer's last entries, a push must wait; if the replayer died doing
    // so, the wait ends after one lease and the batch is stored as failed (buffering resumes).
    const waitUntil = Date.now() + this.#drainWait;
    let result: 'stored' | 'full' | 'live' | 'wait';
    try {
      for (;;) {
        result = await this.#replayBuffer.push(node.name, entry, Date.now() < waitUntil ? kind : 'failed');
        if (result !== 'wait') break;
        await sleep(DRAIN_POLL_MS);
      }
    } catch (err) {
      this.#metrics.redisErrors.labels('replay_push').inc();
      this.#metrics.pointsRejected.labels('unavailable').inc(batch.lines);
      batch.settle({ kind: 'unavailable', node: node.name, reason: `Redis: ${(err as Error).message}` });
      return;
    }
    if (result === 'live') {
      node.buffering = false;
      await this.#writeLive(batch, payload, gzipped);
      return;
    }
    if (result === 'full') {
      this.#metrics.pointsRejected.labels('unavailable').inc(batch.lines);
      batch.settle({ kind: 'unavailable', node: node.name, reason: 'its replay buffer is full' });
      return;
    }
    node.buffering = true;
    node.buffered.entries++;
    node.buffered.points += batch.lines;
    node.buffered.bytes += payload.length;
    node.buffered.oldestAt ??= Date.now();
    this.#nodeMetrics.buffered.inc(batch.lines);
    batch.settle(PART_BUFFERED);
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
