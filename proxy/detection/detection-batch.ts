// A shard's batch of lines as a queue job carries it: the lines as written, in segments that share a
// database, a precision and a receive time (for lines without a timestamp), and the names of the rules
// that sent them there (a worker that does not know one of them yet looks it up). Lines, not parsed
// points: the proxy copies bytes, the worker that owns the shard reads them.

/** [database, precision, receive time in ms, the lines joined by "\n"]. */
export type BatchSegment = [string, string, number, string];

export interface DetectionBatch {
  readonly rules: string[];
  readonly segments: BatchSegment[];
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

  /** The batch as a job's data (each segment's lines copied into one string). */
  build(): DetectionBatch {
    const segments: BatchSegment[] = this.#segments.map((segment) => {
      const text = Buffer.allocUnsafe(Math.max(0, segment.bytes - 1));
      let at = 0;
      const { ranges, body } = segment;
      for (let i = 0; i < ranges.length; i += 2) {
        if (at > 0) text[at++] = NEWLINE;
        const from = ranges[i] as number;
        const to = ranges[i + 1] as number;
        // Lines are short: a loop costs less than Buffer#copy's call for each.
        if (to - from > 256) at += body.copy(text, at, from, to);
        else for (let b = from; b < to; b++) text[at++] = body[b] as number;
      }
      return [segment.db, segment.precision, segment.receivedAt, text.toString('utf8', 0, at)];
    });
    return { rules: [...this.#rules], segments };
  }
}
