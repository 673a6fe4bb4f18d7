// The write path of one request: scan its lines, find each line's owner in every circle, hand each
// owner its part, and wait until every part is durable (on the node or in its replay buffer). Lines
// without a timestamp get the proxy's receive time, so every circle stores identical points.
import type { Config } from '../config/schema.js';
import { ProxyError } from './errors.js';
import type { LineSpans } from './detection/line-spans.js';
import type { KnownDatabases } from './known-databases.js';
import { parseErrorMessage, scanLines, type LineSink } from './line-protocol.js';
import { databaseSeed, type MeasurementOwners, type ShardTarget } from './measurement-owners.js';
import type { Metrics, RejectReason } from './metrics.js';
import type { InfluxNode } from './node.js';
import { receiveTime } from './precision.js';
import type { Cluster } from './cluster.js';
import type { Topology } from './topology.js';
import { WriteRequest, type WriteResult } from './write-request.js';

export interface WriteInput {
  readonly db: string;
  readonly rp: string;
  /** Precision as sent to nodes (v1 names). */
  readonly precision: string;
  readonly body: Buffer;
  /** Receive time in ms since the epoch (with fractions), for lines without a timestamp. */
  readonly receivedAt: number;
}

/** Detection's side of a write: which measurements it wants the lines of, and where they go once stored. */
export interface WriteWatch {
  /** A function telling whether the lines of a shard key are wanted, or null when none of `db` are. */
  watcher(db: string): ((shardKey: string) => boolean) | null;
  /** Where a write notes the lines wanted (taken at its first such line). */
  lineSpans(): LineSpans;
  /** The lines wanted of a stored write (`lines`: start, end, series key end in `body`); `lines` is the watch's from then on. */
  offer(db: string, precision: string, body: Buffer, lines: LineSpans, receivedAt: number): void;
}

/** Points a node dropped, from its `dropped=N` (partial writes), else all the points sent. */
function droppedPoints(error: string, points: number): number {
  const match = /dropped=(\d+)\s*$/.exec(error);
  return match ? Number(match[1]) : points;
}

export type WriteResponse =
  | { readonly status: 204 }
  | { readonly status: number; readonly error: string; readonly reason: RejectReason; readonly retryAfter?: number };

/** One node's share of a request: segments [start, end) of the body and whether each needs a timestamp. */
class Part {
  readonly node: InfluxNode;
  /** Shard keys of the lines in this part (the batcher keeps batches sharing one in order). */
  readonly shardKeys = new Set<string>();
  /** Triplets: start, end, needsTimestamp (1/0). */
  readonly segments: number[] = [];
  lines = 0;
  bytes = 0;
  timestamps = 0;

  constructor(node: InfluxNode) {
    this.node = node;
  }

  add(start: number, end: number, needsTimestamp: boolean): void {
    const s = this.segments;
    const n = s.length;
    this.lines++;
    this.bytes += end - start + 1;
    // Extend the previous segment when this line follows it directly (one newline apart).
    if (!needsTimestamp && n > 0 && s[n - 1] === 0 && s[n - 2] === start - 1) {
      s[n - 2] = end;
      return;
    }
    if (needsTimestamp) this.timestamps++;
    s.push(start, end, needsTimestamp ? 1 : 0);
  }

  /** The part as one buffer of lines, each ending with a newline (a view of the body when possible). */
  build(body: Buffer, timestamp: Buffer | null): Buffer {
    const s = this.segments;
    if (s.length === 3 && s[2] === 0 && body[s[1] as number] === 0x0a) return body.subarray(s[0], (s[1] as number) + 1);
    const out = Buffer.allocUnsafe(this.bytes + this.timestamps * (timestamp === null ? 0 : timestamp.length + 1));
    let at = 0;
    for (let i = 0; i < s.length; i += 3) {
      at += body.copy(out, at, s[i], s[i + 1]);
      if (s[i + 2] === 1 && timestamp !== null) {
        out[at++] = 0x20;
        at += timestamp.copy(out, at);
      }
      out[at++] = 0x0a;
    }
    return at === out.length ? out : out.subarray(0, at);
  }
}

/** Scans one request and collects its parts per owner node. */
class RequestScan implements LineSink {
  readonly parts: (Part | undefined)[];
  readonly errors: string[] = [];
  readonly #targets: MeasurementOwners;
  readonly #nodeIndex: ReadonlyMap<InfluxNode, number>;
  readonly #body: Buffer;
  readonly #db: string;
  readonly #seed: number;
  lines = 0;
  needsTimestamp = false;
  /** Lines detection wants (triplets: start, end, series key end). */
  watched: LineSpans | null = null;
  readonly #watch: WriteWatch;
  readonly #watcher: ((shardKey: string) => boolean) | null;
  #watching = false;
  // The previous line's measurement: consecutive lines usually share it.
  #lastStart = -1;
  #lastEnd = -1;
  #last: ShardTarget | null = null;

  constructor(targets: MeasurementOwners, nodeIndex: ReadonlyMap<InfluxNode, number>, body: Buffer, db: string, watch: WriteWatch) {
    this.#watch = watch;
    this.#watcher = watch.watcher(db);
    this.parts = new Array<Part | undefined>(nodeIndex.size);
    this.#targets = targets;
    this.#nodeIndex = nodeIndex;
    this.#body = body;
    this.#db = db;
    this.#seed = databaseSeed(db);
  }

  line(start: number, end: number, measurementEnd: number, hasTimestamp: boolean, seriesEnd: number): void {
    let target = this.#last;
    const changed = target === null || !this.#sameMeasurement(start, measurementEnd);
    if (changed) {
      target = this.#targets.lookup(this.#db, this.#seed, this.#body, start, measurementEnd);
      this.#last = target;
      this.#lastStart = start;
      this.#lastEnd = measurementEnd;
      this.#watching = this.#watcher !== null && this.#watcher((target as ShardTarget).key);
    }
    const { owners, key } = target as ShardTarget;
    if (this.#watching) (this.watched ??= this.#watch.lineSpans()).push(start, end, seriesEnd);
    if (!hasTimestamp) this.needsTimestamp = true;
    for (let i = 0; i < owners.length; i++) {
      const node = owners[i] as InfluxNode;
      const index = this.#nodeIndex.get(node) as number;
      let part = this.parts[index];
      if (part === undefined) {
        part = new Part(node);
        this.parts[index] = part;
      }
      if (changed) part.shardKeys.add(key);
      part.add(start, end, !hasTimestamp);
    }
    this.lines++;
  }

  invalid(start: number, end: number, reason: string): void {
    this.errors.push(parseErrorMessage(this.#body, start, end, reason));
  }

  #sameMeasurement(start: number, end: number): boolean {
    const length = end - start;
    if (this.#lastEnd - this.#lastStart !== length) return false;
    const body = this.#body;
    const last = this.#lastStart;
    for (let i = 0; i < length; i++) if (body[start + i] !== body[last + i]) return false;
    return true;
  }
}

export class WriteRouter {
  readonly #cluster: Cluster;
  readonly #metrics: Metrics;
  readonly #known: KnownDatabases;
  readonly #maxLineBytes: number;
  readonly #retryAfter: number;

  readonly #watch: WriteWatch;

  constructor(cluster: Cluster, known: KnownDatabases, metrics: Metrics, config: Config, watch: WriteWatch) {
    this.#cluster = cluster;
    this.#watch = watch;
    this.#metrics = metrics;
    this.#known = known;
    this.#maxLineBytes = config.limits.maxLineBytes;
    this.#retryAfter = config.replay.retryAfterSeconds;
  }

  /** Routes with the topology current when the request starts, until it is durable. */
  async write(input: WriteInput, endpoint: string): Promise<WriteResponse> {
    const topology = this.#cluster.begin();
    try {
      return await this.#write(input, endpoint, topology);
    } finally {
      this.#cluster.end(topology);
    }
  }

  async #write(input: WriteInput, endpoint: string, topology: Topology): Promise<WriteResponse> {
    const scan = new RequestScan(topology.measurementOwners, topology.nodeIndex, input.body, input.db, this.#watch);
    scanLines(input.body, { precision: input.precision, maxLineBytes: this.#maxLineBytes }, scan);
    this.#metrics.pointsReceived.labels(endpoint).inc(scan.lines);
    if (scan.errors.length > 0) this.#countParseErrors(scan.errors);

    let result: WriteResult = { kind: 'stored' };
    // As influxd: a body of only bad lines is refused for them; otherwise (even an empty body) an
    // unknown retention policy is refused.
    const parseOnly = scan.lines === 0 && scan.errors.length > 0;
    if (!parseOnly && input.rp !== '' && !this.#known.has(input.db, input.rp)) {
      if ((await this.#known.check(input.db, input.rp)) === 'retention-policy-not-found') {
        this.#metrics.pointsRejected.labels('retention_policy_not_found').inc(scan.lines);
        const err = new ProxyError('IRX_ERR_WRITE_RETENTION_POLICY_NOT_FOUND', [input.rp]);
        return { status: err.status, error: err.message, reason: 'retention_policy_not_found' };
      }
    }
    if (scan.lines > 0) {
      const timestamp = scan.needsTimestamp ? Buffer.from(receiveTime(input.receivedAt, input.precision)) : null;
      const request = new WriteRequest();
      for (const part of scan.parts) {
        if (part === undefined) continue;
        const { batcher } = this.#cluster.parts(part.node);
        batcher.add(input.db, input.rp, input.precision, part.build(input.body, timestamp), part.lines, part.shardKeys, request);
      }
      request.seal();
      result = await request.done;
    }
    const response = this.#respond(result, scan);
    // Stored lines go to detection: all of them (204), or the valid ones of a partial write.
    const stored = response.status === 204 || ('reason' in response && response.reason === 'parse' && scan.lines > 0);
    if (stored && scan.watched !== null) this.#watch.offer(input.db, input.precision, input.body, scan.watched, input.receivedAt);
    return response;
  }

  #respond(result: WriteResult, scan: RequestScan): WriteResponse {
    if (result.kind === 'unavailable') {
      return {
        status: 503,
        error: new ProxyError('IRX_ERR_WRITE_UNAVAILABLE', [result.node, result.reason]).message,
        reason: 'unavailable',
        retryAfter: this.#retryAfter,
      };
    }
    // A node's refusal hides the lines that failed to parse, as in influxd.
    if (result.kind === 'rejected') {
      this.#metrics.pointsRejected.labels('node_rejected').inc(droppedPoints(result.error, scan.lines));
      return { status: result.status, error: result.error, reason: 'node_rejected' };
    }
    if (scan.errors.length === 0) return { status: 204 };
    const parseErrors = scan.errors.join('\n');
    return { status: 400, error: scan.lines > 0 ? `partial write: ${parseErrors} dropped=0` : parseErrors, reason: 'parse' };
  }

  #countParseErrors(errors: readonly string[]): void {
    let tooLong = 0;
    for (const error of errors) if (error.includes('line too long:')) tooLong++;
    if (tooLong > 0) this.#metrics.pointsRejected.labels('line_too_long').inc(tooLong);
    if (errors.length > tooLong) this.#metrics.pointsRejected.labels('parse').inc(errors.length - tooLong);
  }
}
