// Replays a node's buffer once the node is healthy again: oldest batches first, consecutive batches
// for the same destination merged into one request (concatenated gzip members are one valid gzip
// stream), each removed from Redis only after the node accepted it. One process replays a node at a
// time (a renewed lease). The node's state in Redis says `buffering` from the first push on; every
// process then sends that node's writes to the buffer, so no write overtakes an older buffered one,
// and replay (large merged batches) outpaces live traffic. When the replayer reaches the end of the
// buffer it sets `draining`: new writes wait for a moment instead of queueing, the last entries are
// sent, and the replayer ends buffering in the script that finds the buffer empty.
import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { KnownDatabases } from './known-databases.js';
import type { Metrics } from './metrics.js';
import { replyError, type InfluxNode } from './node.js';
import type { NodeOutcome } from './node-outcome.js';
import type { ReplayBuffer, StoredBatch } from './replay-buffer.js';

const READ_WINDOW = 64;
/** Replay batches' worth of bytes read from Redis at once. */
const READ_BATCHES = 4;

/**
 * What a replay step did with the head of the buffer: `done` — replayed (or dropped) and trimmed;
 * `blocked` — kept at the head, to be tried again (nothing behind it may pass it); `stop` — the node
 * failed or the lease is lost.
 */
type Step = 'done' | 'blocked' | 'stop';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class Replayer {
  readonly #node: InfluxNode;
  readonly #buffer: ReplayBuffer;
  readonly #options: Config['replay'];
  readonly #writeTimeout: number;
  readonly #metrics: Metrics;
  readonly #known: KnownDatabases;
  readonly #log: Logger;
  #running: Promise<void> | null = null;
  #stopped = false;
  #leaseLost = false;

  constructor(
    node: InfluxNode,
    buffer: ReplayBuffer,
    options: Config['replay'],
    writeTimeout: number,
    metrics: Metrics,
    known: KnownDatabases,
    log: Logger,
  ) {
    this.#node = node;
    this.#buffer = buffer;
    this.#options = options;
    this.#writeTimeout = writeTimeout;
    this.#metrics = metrics;
    this.#known = known;
    this.#log = log;
  }

  /** Drains the node's buffer unless this process already does or another holds the lease. */
  run(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#running ??= this.#run().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
  }

  async #run(): Promise<void> {
    const node = this.#node;
    const token = randomUUID();
    try {
      if (!(await this.#buffer.acquire(node.name, token, this.#options.lockTtl))) return;
    } catch (err) {
      this.#metrics.redisErrors.labels('replay_lease').inc();
      this.#log.debug({ node: node.name, err: (err as Error).message }, 'cannot take the replay lease');
      return;
    }
    this.#leaseLost = false;
    node.replaying = true;
    const renew = setInterval(() => {
      this.#buffer.renew(node.name, token, this.#options.lockTtl).then(
        (held) => {
          if (!held) this.#leaseLost = true;
        },
        () => this.#metrics.redisErrors.labels('replay_lease').inc(),
      );
    }, Math.max(100, Math.floor(this.#options.lockTtl / 3)));
    const started = Date.now();
    const before = node.buffered.points;
    this.#log.info({ node: node.name, points: before }, 'replaying buffered writes');
    try {
      await this.#drain(token);
    } catch (err) {
      this.#metrics.redisErrors.labels('replay_read').inc();
      this.#log.warn({ node: node.name, err: (err as Error).message }, 'replay interrupted');
    } finally {
      clearInterval(renew);
      node.replaying = false;
      await this.#buffer.release(node.name, token).catch(() => undefined);
      this.#log.info({ node: node.name, ms: Date.now() - started, buffering: node.buffering }, 'replay stopped');
    }
  }

  async #drain(token: string): Promise<void> {
    const node = this.#node;
    while (!this.#stopped && !this.#leaseLost && node.healthy) {
      const window = this.#readWindow();
      const entries = await this.#buffer.read(node.name, window);
      // The end of the buffer is in sight: make new writes wait (briefly) instead of queueing behind
      // it, or under steady traffic the buffer would never be empty and the node never live again.
      if (entries.length < window && (await this.#buffer.drain(node.name, token)) === 'lease-lost') return;
      if (entries.length === 0) {
        // Empty: end buffering in Redis, atomically with finding it empty, for every process.
        const state = await this.#buffer.goLive(node.name, token);
        if (state === 'lease-lost') return;
        if (state === 'not-empty') continue;
        node.buffering = false;
        node.buffered.entries = 0;
        node.buffered.points = 0;
        node.buffered.bytes = 0;
        node.buffered.oldestAt = null;
        this.#metrics.observeNode(node);
        return;
      }
      // Replay the entries read, group by group, from the head; read again once they are used up.
      let rest = entries;
      while (rest.length > 0 && !this.#stopped && !this.#leaseLost && node.healthy) {
        const group = this.#group(rest);
        const step = await this.#replay(group, token);
        if (step === 'stop') return;
        if (step === 'blocked') break;
        rest = rest.slice(group.length);
      }
    }
  }

  /** How many entries to read at once: a few replay batches' worth, never hundreds of megabytes. */
  #readWindow(): number {
    const { entries, bytes } = this.#node.buffered;
    if (entries === 0 || bytes === 0) return 8;
    return Math.max(1, Math.min(READ_WINDOW, Math.floor((READ_BATCHES * this.#options.batchBytes) / (bytes / entries))));
  }

  /** The longest run of head entries with the same destination, within the replay batch limits. */
  #group(entries: readonly StoredBatch[]): StoredBatch[] {
    const first = entries[0] as StoredBatch;
    const group = [first];
    if (first.statement === true) return group;
    let points = first.points;
    let bytes = first.payload.length;
    for (let i = 1; i < entries.length; i++) {
      const e = entries[i] as StoredBatch;
      if (e.statement === true || e.db !== first.db || e.rp !== first.rp || e.precision !== first.precision || e.gzipped !== first.gzipped) break;
      if (points + e.points > this.#options.batchLines || bytes + e.payload.length > this.#options.batchBytes) break;
      group.push(e);
      points += e.points;
      bytes += e.payload.length;
    }
    return group;
  }

  async #write(group: readonly StoredBatch[], payload: Buffer, gzipped: boolean): Promise<NodeOutcome> {
    const first = group[0] as StoredBatch;
    return this.#node.write({ db: first.db, rp: first.rp, precision: first.precision, body: payload, gzipped }, this.#writeTimeout);
  }

  /** A buffered statement (DELETE, DROP …, SELECT … INTO): run it; only an unreachable node keeps it. */
  async #replayStatement(entry: StoredBatch, token: string): Promise<Step> {
    const text = entry.payload.toString('utf8');
    try {
      const reply = await this.#node.statement(text, entry.db, this.#writeTimeout);
      if (reply.status >= 500) throw new Error(`node answered ${reply.status}`);
      const error = replyError(reply);
      if (error !== null) this.#log.warn({ node: this.#node.name, statement: text, error }, 'node refused a replayed statement');
    } catch (err) {
      this.#node.healthy = false;
      this.#node.recordError(`replay: ${(err as Error).message}`);
      return 'stop';
    }
    return this.#done([entry], token, 'replayed');
  }

  async #replay(group: readonly StoredBatch[], token: string): Promise<Step> {
    const first = group[0] as StoredBatch;
    if (first.statement === true) return this.#replayStatement(first, token);
    const payload = group.length === 1 ? first.payload : Buffer.concat(group.map((e) => e.payload));
    const outcome = await this.#write(group, payload, first.gzipped);
    if (outcome.kind === 'accepted') return this.#done(group, token, 'replayed');
    if (outcome.kind === 'unavailable') {
      this.#node.healthy = false;
      this.#node.recordError(`replay: ${outcome.reason}`);
      return 'stop';
    }
    if (group.length > 1) {
      // Find the batch the node refuses: replay them one at a time.
      for (const entry of group) {
        const step = await this.#replay([entry], token);
        if (step !== 'done') return step;
      }
      return 'done';
    }
    if (outcome.kind === 'too-large') return this.#replayHalves(first, token);
    if (outcome.scope === 'request') {
      // Bad points (e.g. a type conflict): the node stored the others; this batch is done.
      this.#log.warn({ node: this.#node.name, db: first.db, error: outcome.error }, 'node refused some replayed points');
      this.#metrics.pointsRejected.labels('replay_rejected').inc(first.points);
      return this.#done(group, token, 'dropped');
    }
    // The database or retention policy is missing on this node.
    if (this.#known.exists(first.db, first.rp) === false) {
      this.#log.error({ node: this.#node.name, db: first.db, rp: first.rp, error: outcome.error }, 'dropping buffered points of a database no node has');
      this.#metrics.pointsRejected.labels('replay_rejected').inc(first.points);
      return this.#done(group, token, 'dropped');
    }
    this.#node.recordError(`replay blocked: ${outcome.error} (the database exists on other nodes; create it on ${this.#node.name})`);
    await sleep(this.#options.retryDelay);
    return 'blocked';
  }

  /** One buffered batch larger than the node takes: send it in two halves of whole lines. */
  async #replayHalves(entry: StoredBatch, token: string): Promise<Step> {
    const lines = entry.gzipped ? gunzipSync(entry.payload) : entry.payload;
    let middle = lines.indexOf(0x0a, Math.floor(lines.length / 2));
    if (middle === -1 || middle === lines.length - 1) middle = lines.lastIndexOf(0x0a, Math.floor(lines.length / 2));
    if (middle <= 0) {
      this.#log.error({ node: this.#node.name, bytes: lines.length }, 'dropping one buffered line larger than the node takes');
      this.#metrics.pointsRejected.labels('replay_rejected').inc(entry.points);
      return this.#done([entry], token, 'dropped');
    }
    for (const half of [lines.subarray(0, middle + 1), lines.subarray(middle + 1)]) {
      const outcome = await this.#write([entry], half, false);
      if (outcome.kind === 'unavailable') {
        this.#node.healthy = false;
        this.#node.recordError(`replay: ${outcome.reason}`);
        return 'stop';
      }
      if (outcome.kind !== 'accepted') {
        this.#log.warn({ node: this.#node.name, outcome }, 'node refused part of a replayed batch');
        this.#metrics.pointsRejected.labels('replay_rejected').inc(entry.points);
      }
    }
    return this.#done([entry], token, 'replayed');
  }

  async #done(group: readonly StoredBatch[], token: string, how: 'replayed' | 'dropped'): Promise<Step> {
    const left = await this.#buffer.trim(this.#node.name, token, group);
    if (left === -1) {
      this.#leaseLost = true;
      return 'stop';
    }
    let points = 0;
    let bytes = 0;
    for (const e of group) {
      points += e.points;
      bytes += e.size;
    }
    if (how === 'replayed') this.#metrics.node(this.#node).replayed.inc(points);
    const buffered = this.#node.buffered;
    buffered.entries = left;
    buffered.points = Math.max(0, buffered.points - points);
    buffered.bytes = Math.max(0, buffered.bytes - bytes);
    return 'done';
  }
}
