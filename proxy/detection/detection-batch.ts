// A shard's batch of lines: the lines as written, in segments that share a database, a precision and a
// receive time (for lines without a timestamp), and the names of the rules that sent them there (a
// worker that does not know one of them yet looks it up). Lines, not parsed points: the proxy copies
// bytes, the worker that owns the shard reads them. The bytes go to Redis as they are (a key of their
// own, `payload`); the queue job carries the rest — so no JSON or msgpack encoding of the lines.

/** [database, precision, receive time in ms, the lines joined by "\n"]. */
export type BatchSegment = [string, string, number, string];

/** The job: the rules, each segment's [database, precision, receive time, byte length], the payload's key. */
export interface DetectionBatch {
  readonly rules: string[];
  readonly segments: [string, string, number, number][];
  readonly payload: string;
}

/** A batch's segments, from its job and its payload's bytes. */
export function batchSegments(batch: Pick<DetectionBatch, 'segments'>, payload: Buffer): BatchSegment[] {
  let at = 0;
  return batch.segments.map(([db, precision, receivedAt, bytes]) => {
    const text = payload.toString('utf8', at, at + bytes);
    at += bytes;
    return [db, precision, receivedAt, text];
  });
}

interface PendingSegment {
  readonly db: string;
  readonly precision: string;
  readonly receivedAt: number;
  readonly body: Buffer;
  /** start, end pairs in `body`. */
  readonly ranges: number[];
  bytes: number;
}

const NEWLINE = 0x0a;

/** The lines of one shard gathered until they are handed to its queue. */
export class PendingBatch {
  lines = 0;
  readonly #segments: PendingSegment[] = [];
  readonly #rules = new Set<string>();

  add(db: string, precision: string, receivedAt: number, body: Buffer, start: number, end: number, rules: readonly string[]): void {
    let segment = this.#segments[this.#segments.length - 1];
    if (segment === undefined || segment.body !== body) {
      segment = { db, precision, receivedAt, body, ranges: [], bytes: 0 };
      this.#segments.push(segment);
    }
    // A line right after the previous one (a write's lines of one series, or of one shard) extends its
    // range: one copy for the run of them.
    const ranges = segment.ranges;
    const last = ranges.length - 1;
    if (last > 0 && ranges[last] === start - 1) ranges[last] = end;
    else ranges.push(start, end);
    segment.bytes += end - start + 1;
    for (let i = 0; i < rules.length; i++) this.#rules.add(rules[i] as string);
    this.lines++;
  }

  /** The batch as a job's data (the payload's key to be set) and its payload: every segment's lines, copied. */
  build(payloadKey: string): { batch: DetectionBatch; payload: Buffer } {
    let total = 0;
    for (const segment of this.#segments) total += Math.max(0, segment.bytes - 1);
    const payload = Buffer.allocUnsafe(total);
    let at = 0;
    const segments = this.#segments.map((segment): [string, string, number, number] => {
      const from = at;
      const { ranges, body } = segment;
      for (let i = 0; i < ranges.length; i += 2) {
        if (at > from) payload[at++] = NEWLINE;
        const start = ranges[i] as number;
        const end = ranges[i + 1] as number;
        // Lines are short: a loop costs less than Buffer#copy's call for each.
        if (end - start > 256) at += body.copy(payload, at, start, end);
        else for (let b = start; b < end; b++) payload[at++] = body[b] as number;
      }
      return [segment.db, segment.precision, segment.receivedAt, at - from];
    });
    return { batch: { rules: [...this.#rules], segments, payload: payloadKey }, payload: payload.subarray(0, at) };
  }
}
