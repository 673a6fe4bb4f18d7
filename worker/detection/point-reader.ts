// Reads the lines of a detection batch into detection points: every (series, field) a rule matches
// becomes [rule, series key, time in ms, value] for its shard (the worker keeps those of the shard it
// is processing). A series (the line's text up to the first space) is looked up in a cache of what the
// rules make of it (per database), so a line of a known series costs a pass over its fields and a
// number or two; a line with escapes or quotes is read fully (point-parser). A string field may hold
// a newline: a line with a quote ends at the first newline outside a string.
import type { Curve, RuleIndex } from '../../proxy/detection/rule-index.js';
import { SeriesCache } from '../../proxy/detection/series-cache.js';
import { splitSeries } from '../../proxy/detection/series-key.js';
import { timestampMs } from '../../proxy/line-protocol.js';
import { parsePoint } from './point-parser.js';

/** One point of one curve: rule name, series key, time (ms), value. */
export type DetectionPoint = [string, string, number, number];

/** What the rules make of one series: per field, the curves (rule, series key, shard) it feeds. */
interface SeriesTargets {
  readonly fields: Map<string, Curve[]>;
  /** The shards of all its curves. */
  readonly shards: ReadonlySet<number>;
}

/** Series whose targets are cached (per rule set), at most. */
const SERIES_CACHE = 100_000;

/** Digits to drop from a timestamp to get milliseconds, per precision (negative: digits to add). */
const PRECISION_DIGITS: Record<string, number> = { u: 3, ms: 0, s: -3 };

/** A timestamp's digits as milliseconds (minutes and hours through BigInt, they are rare). */
function millis(stamp: string, drop: number, precision: string): number {
  if (precision === 'm' || precision === 'h') return timestampMs(stamp, precision);
  if (drop > 0) return stamp.length > drop ? Number(stamp.slice(0, stamp.length - drop)) : 0;
  return drop === 0 ? Number(stamp) : Number(stamp) * 10 ** -drop;
}

/** A field value as a number, or null for strings and booleans. */
function numericField(text: string): number | null {
  const last = text.charCodeAt(text.length - 1);
  if (last === 105 || last === 117) return Number(text.slice(0, -1)); // i, u
  const value = Number(text);
  return Number.isNaN(value) ? null : value;
}

const NEWLINE = 10;
const QUOTE = 34;
const BACKSLASH = 92;
const EQUALS = 61;

/**
 * Where the line starting at `from` ends when a quote comes before the next newline: a string field
 * may hold newlines. Past the series key (up to its first unescaped space), a quote right after `=`
 * opens a string that ends at the next unescaped quote.
 */
function quotedLineEnd(lines: string, from: number): number {
  let i = from;
  while (i < lines.length) {
    const c = lines.charCodeAt(i);
    if (c === BACKSLASH) i += 2;
    else if (c === 32 || c === NEWLINE) break;
    else i++;
  }
  let previous = 0;
  while (i < lines.length) {
    const c = lines.charCodeAt(i);
    if (c === NEWLINE) return i;
    if (c === QUOTE && previous === EQUALS) {
      i++;
      while (i < lines.length && lines.charCodeAt(i) !== QUOTE) i += lines.charCodeAt(i) === BACKSLASH ? 2 : 1;
    }
    previous = c;
    i++;
  }
  return lines.length;
}

const isBlank = (c: number): boolean => c === 32 || c === 9 || c === 13;

export class PointReader {
  readonly #shards: number;
  /** Per database: series text → what the rules make of it. */
  readonly #series = new SeriesCache<string, SeriesTargets>(SERIES_CACHE);
  /** Lines that could not be read (skipped). */
  unreadable = 0;

  constructor(shards: number) {
    this.#shards = shards;
  }

  /**
   * Calls `emit` with every point a rule of `index` matches among `lines` (joined by "\n") of database
   * `db` — only those of shard `only` when it is given.
   */
  read(index: RuleIndex, db: string, precision: string, lines: string, receivedAt: number, emit: (shard: number, point: DetectionPoint) => void, only = -1): void {
    const cache = this.#series.of(index, db);
    const drop = PRECISION_DIGITS[precision] ?? 6;
    // The next quote (or the end): a line with one is read fully, as a string field may hold a newline.
    let nextQuote = lines.indexOf('"');
    if (nextQuote === -1) nextQuote = lines.length;
    let from = 0;
    while (from < lines.length) {
      let to = lines.indexOf('\n', from);
      if (to === -1) to = lines.length;
      if (nextQuote < from) {
        nextQuote = lines.indexOf('"', from);
        if (nextQuote === -1) nextQuote = lines.length;
      }
      let end: number;
      try {
        end =
          nextQuote < to
            ? this.#readSlowly(index, db, precision, lines, from, receivedAt, emit, only)
            : this.#readLine(index, cache, db, precision, drop, lines, from, to, receivedAt, emit, only);
      } catch {
        this.unreadable++;
        end = quotedLineEnd(lines, from);
      }
      from = end + 1;
    }
  }

  /** Reads the line [start, to) (it has no quote); returns where it ends. */
  #readLine(index: RuleIndex, cache: Map<string, SeriesTargets>, db: string, precision: string, drop: number, lines: string, start: number, to: number, receivedAt: number, emit: (shard: number, point: DetectionPoint) => void, only: number): number {
    const lineEnd = to;
    // Trailing blanks are not part of the timestamp.
    while (to > start && isBlank(lines.charCodeAt(to - 1))) to--;
    // The series part (measurement and tags) ends at the first space; with no escape in it, it is a
    // cache key for what the rules make of it.
    const space = lines.indexOf(' ', start);
    if (space === -1 || space >= to) return lineEnd;
    const head = lines.slice(start, space);
    let series = cache.get(head);
    if (series === undefined) {
      if (head.includes('\\')) return this.#readSlowly(index, db, precision, lines, start, receivedAt, emit, only);
      series = this.#describe(index, db, head);
      this.#series.set(cache, head, series);
    }
    if (series.fields.size === 0 || (only >= 0 && !series.shards.has(only))) return lineEnd;
    // Fields, then the timestamp, in one pass over the rest of the line (an escape in it: the slow
    // path). Runs of blanks separate them, as influxd reads them.
    let fieldStart = space + 1;
    while (fieldStart < to && isBlank(lines.charCodeAt(fieldStart))) fieldStart++;
    let lastSpace = -1;
    for (let i = fieldStart; i < to; i++) {
      const c = lines.charCodeAt(i);
      if (c === 32 || c === 9) lastSpace = i;
      else if (c === BACKSLASH) return this.#readSlowly(index, db, precision, lines, start, receivedAt, emit, only);
    }
    let fieldsEnd = lastSpace === -1 ? to : lastSpace;
    while (fieldsEnd > fieldStart && isBlank(lines.charCodeAt(fieldsEnd - 1))) fieldsEnd--;
    const time = lastSpace === -1 ? receivedAt : millis(lines.slice(lastSpace + 1, to), drop, precision);
    for (let i = fieldStart; i <= fieldsEnd; i++) {
      if (i < fieldsEnd && lines.charCodeAt(i) !== 44) continue; // ","
      const eq = lines.indexOf('=', fieldStart);
      const targets = eq < i ? series.fields.get(lines.slice(fieldStart, eq)) : undefined;
      if (targets !== undefined) {
        const value = numericField(lines.slice(eq + 1, i));
        if (value !== null) for (const target of targets) if (only < 0 || target.shard === only) emit(target.shard, [target.rule, target.key, time, value]);
      }
      fieldStart = i + 1;
    }
    return lineEnd;
  }

  /** What the rules make of a series (measurement and tags as sent, without escapes). */
  #describe(index: RuleIndex, db: string, head: string): SeriesTargets {
    const { measurement, tags } = splitSeries(head);
    const fields = new Map<string, Curve[]>();
    const shards = new Set<number>();
    for (const curve of index.curves(db, measurement, tags, this.#shards)) {
      fields.set(curve.field, [...(fields.get(curve.field) ?? []), curve]);
      shards.add(curve.shard);
    }
    return { fields, shards };
  }

  /** A line with escapes or quotes (a string may hold a newline): read fully; returns where it ends. */
  #readSlowly(index: RuleIndex, db: string, precision: string, lines: string, start: number, receivedAt: number, emit: (shard: number, point: DetectionPoint) => void, only: number): number {
    const end = quotedLineEnd(lines, start);
    const point = parsePoint(lines.slice(start, end).trimEnd());
    const values = new Map(point.fields);
    const time = point.timestamp === null ? receivedAt : timestampMs(point.timestamp, precision);
    for (const curve of index.curves(db, point.measurement, point.tags, this.#shards)) {
      const value = values.get(curve.field);
      if (value !== undefined && (only < 0 || curve.shard === only)) emit(curve.shard, [curve.rule, curve.key, time, value]);
    }
    return end;
  }
}
