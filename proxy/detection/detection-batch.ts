// A shard's batch of lines: the lines as written, in segments that share a database, a precision and a
// receive time (for lines without a timestamp), and the names of the rules that sent them there (a
// worker that does not know one of them yet looks it up). Lines, not parsed points: the proxy copies
// bytes, the worker that owns the shard reads them. The bytes go to Redis as they are (a key of their
// own, `payload`); the queue job carries the rest — so no JSON or msgpack encoding of the lines.
import { copyRange, viewOf } from './byte-words.js';
import { HEAD_ROOM, TAIL_ROOM } from './pre-encoded-set.js';

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

interface OpenSegment {
  /** The write its lines come from (a number: the batch does not keep the write's body alive). */
  readonly write: number;
  readonly entry: [string, string, number, number];
  readonly from: number;
}

const NEWLINE = 0x0a;

/**
 * The lines of one shard gathered until they are handed to its queue. Each line is copied when it is
 * added, while the write's body is still in the CPU's caches (copied at hand-over, the lines of many
 * bodies cost a cache miss each), into a buffer that keeps HEAD_ROOM bytes before the lines and
 * TAIL_ROOM after them for the framing of the SET that stores them (pre-encoded-set.ts).
 */
export class PendingBatch {
  lines = 0;
  #bytes: Buffer;
  #view: DataView;
  #length = 0;
  readonly #segments: [string, string, number, number][] = [];
  #open: OpenSegment | null = null;
  readonly #rules = new Set<string>();

  /** `buffer`: where the lines go (it is replaced by a larger one as needed), e.g. one a batch handed over before used. */
  constructor(buffer: Buffer = Buffer.allocUnsafe(65_536)) {
    this.#bytes = buffer.length >= HEAD_ROOM + TAIL_ROOM + 64 ? buffer : Buffer.allocUnsafe(HEAD_ROOM + TAIL_ROOM + 1024);
    this.#view = viewOf(this.#bytes);
    this.#length = HEAD_ROOM;
  }

  /** The bytes of the lines. */
  get bytes(): number {
    return this.#length - HEAD_ROOM;
  }

  /** Line [start, end) of `body` (`view`: a DataView of it), of write number `write` (a segment per write). */
  add(db: string, precision: string, receivedAt: number, write: number, body: Buffer, view: DataView, start: number, end: number, rules: readonly string[]): void {
    let open = this.#open;
    if (open === null || open.write !== write) {
      this.#close();
      const entry: [string, string, number, number] = [db, precision, receivedAt, 0];
      this.#segments.push(entry);
      open = { write, entry, from: this.#length };
      this.#open = open;
    }
    const size = end - start;
    let at = this.#length;
    if (at + size + 1 + TAIL_ROOM > this.#bytes.length) this.#grow(at + size + 1 + TAIL_ROOM);
    if (at > open.from) this.#bytes[at++] = NEWLINE;
    this.#length = copyRange(body, view, start, end, this.#bytes, this.#view, at);
    for (let i = 0; i < rules.length; i++) this.#rules.add(rules[i] as string);
    this.lines++;
  }

  /**
   * The batch as a job's data (the payload's key to be set), and where its payload (every segment's
   * lines) is: [start, end) of `buffer`, with the rooms around it.
   */
  build(payloadKey: string): { batch: DetectionBatch; buffer: Buffer; start: number; end: number } {
    this.#close();
    const batch = { rules: [...this.#rules], segments: this.#segments, payload: payloadKey };
    return { batch, buffer: this.#bytes, start: HEAD_ROOM, end: this.#length };
  }

  #close(): void {
    const open = this.#open;
    if (open !== null) open.entry[3] = this.#length - open.from;
    this.#open = null;
  }

  #grow(needed: number): void {
    const bytes = Buffer.allocUnsafe(Math.max(needed, this.#bytes.length * 2));
    this.#bytes.copy(bytes, 0, 0, this.#length);
    this.#bytes = bytes;
    this.#view = viewOf(bytes);
  }
}
