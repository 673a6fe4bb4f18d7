// Line protocol, scanned the way influxd 1.x scans it: the same line boundaries (a newline inside a
// quoted field value does not end a line), the same validity rules and the same error texts, so the
// proxy can answer a bad line exactly as a node would without sending it anywhere.
// Differences, on purpose: CRLF line endings are accepted (influxd rejects the `\r`); lines longer
// than a configurable limit are rejected (their start echoed); lines with exactly 100, 200, 400… tags,
// which make influxd 1.x's parser fail the whole request with a 500, are rejected with a 400.
//
// The scanner works on the request Buffer with offsets and allocates nothing for a valid line; the
// caller gets, per line, where it starts and ends, where its measurement ends and whether it carries a
// timestamp.

const NEWLINE = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const NUL = 0x00;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HASH = 0x23;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;

const MAX_KEY_LENGTH = 65535;
const SHOWN_OF_LONG_LINE = 1024;
const MIN_NANO = -9223372036854775806n;
const MAX_NANO = 9223372036854775806n;
const MAX_INT64 = 9223372036854775807n;
const MIN_INT64 = -9223372036854775808n;

/** Nanoseconds per unit of each precision influxd knows; anything else is nanoseconds, as in influxd. */
const PRECISION_NANOS: Record<string, bigint> = {
  u: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Digits a timestamp may have in this precision before its range must be checked exactly. */
function safeDigits(precision: string): number {
  const nanos = PRECISION_NANOS[precision];
  return nanos === undefined ? 18 : 18 - (nanos.toString().length - 1);
}

export interface LineSink {
  /**
   * A valid line: bytes [start, end) without the line ending; the measurement (escaped, as sent) is
   * [start, measurementEnd), the series key (measurement and tags, as sent) [start, seriesEnd);
   * `hasTimestamp` is false when the proxy must add one.
   */
  line(start: number, end: number, measurementEnd: number, hasTimestamp: boolean, seriesEnd: number): void;
  /** An invalid line, with influxd's reason (`unable to parse '<line>': <reason>` is built by the caller). */
  invalid(start: number, end: number, reason: string): void;
}

export interface ScanOptions {
  /** The request's precision as given (`n`, `u`, `ms`, `s`, `m`, `h`; anything else means ns). */
  precision: string;
  /** Longest accepted line in bytes. */
  maxLineBytes: number;
}

// Results of scanning one line, kept in module scope so a valid line allocates nothing.
let measurementEnd = 0;
let seriesEnd = 0;
let hasTimestamp = false;

/** Scans every line of `buf`, reporting each valid and invalid line to `sink`. */
export function scanLines(buf: Buffer, options: ScanOptions, sink: LineSink): void {
  const len = buf.length;
  const timestampSafeDigits = safeDigits(options.precision);
  const maxLine = options.maxLineBytes;
  // Next quote / backslash at or after the current position: lines without either end at the next
  // newline, found natively; the byte-by-byte scan runs only for the lines that contain them.
  let nextQuote = -2;
  let nextBackslash = -2;
  let pos = 0;
  while (pos < len) {
    let nl = buf.indexOf(NEWLINE, pos);
    if (nl === -1) nl = len;
    if (nextQuote !== -1 && nextQuote < pos) nextQuote = buf.indexOf(QUOTE, pos);
    if (nextBackslash !== -1 && nextBackslash < pos) nextBackslash = buf.indexOf(BACKSLASH, pos);
    let end = nl;
    if ((nextQuote !== -1 && nextQuote < nl) || (nextBackslash !== -1 && nextBackslash < nl)) {
      end = scanLineEnd(buf, pos, len);
    }
    const next = end + 1;
    let start = pos;
    let lineEnd = end;
    // A line scanned to the end of the body keeps its last newline (as in influxd): strip it.
    if (lineEnd > start && buf[lineEnd - 1] === NEWLINE) lineEnd--;
    if (lineEnd > start && buf[lineEnd - 1] === CR) lineEnd--;
    while (start < lineEnd && isWhitespace(buf[start] as number)) start++;
    if (start < lineEnd && buf[start] !== HASH) {
      if (lineEnd - start > maxLine) {
        // Only the start of the line is echoed: it may be megabytes long.
        const shown = Math.min(lineEnd, start + SHOWN_OF_LONG_LINE);
        const cut = shown < lineEnd ? ` (shown cut at ${shown - start} bytes)` : '';
        sink.invalid(start, shown, `line too long: ${lineEnd - start} bytes, the limit is ${maxLine}${cut}`);
      } else {
        const backslash = nextBackslash !== -1 && nextBackslash < lineEnd;
        const reason = checkLine(buf, start, lineEnd, options.precision, timestampSafeDigits, backslash);
        if (reason === null) sink.line(start, lineEnd, measurementEnd, hasTimestamp, seriesEnd);
        else sink.invalid(start, lineEnd, reason);
      }
    }
    pos = next;
  }
}

function hasBackslash(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] === BACKSLASH) return true;
  return false;
}

function isWhitespace(c: number): boolean {
  return c === SPACE || c === TAB || c === NUL;
}

/** influxd's scanLine: the end of the line starting at `i`, honouring escapes and quoted field values. */
function scanLineEnd(buf: Buffer, i: number, len: number): number {
  let quoted = false;
  let fields = false;
  let equals = 0;
  let commas = 0;
  while (i < len) {
    const c = buf[i] as number;
    if (c === BACKSLASH) {
      i += 2;
      continue;
    }
    if (c === SPACE) fields = true;
    if (fields) {
      if (!quoted && c === EQUALS) {
        i++;
        equals++;
        continue;
      } else if (!quoted && c === COMMA) {
        i++;
        commas++;
        continue;
      } else if (c === QUOTE && equals > commas) {
        i++;
        quoted = !quoted;
        continue;
      }
    }
    if (c === NEWLINE && !quoted) break;
    i++;
  }
  return i > len ? len : i;
}

/**
 * Checks one line [start, end) as influxd's parsePoint does; returns null when valid (and sets
 * `measurementEnd` / `hasTimestamp`), else influxd's reason.
 */
function checkLine(
  buf: Buffer,
  start: number,
  end: number,
  precision: string,
  timestampSafeDigits: number,
  backslash: boolean,
): string | null {
  // --- measurement
  let i = start;
  let prev = buf[i] as number;
  if (prev === COMMA) return 'missing measurement';
  let inTags = false;
  for (;;) {
    i++;
    if (i >= end) return 'missing fields';
    const c = buf[i] as number;
    if (prev !== BACKSLASH) {
      if (c === COMMA) {
        inTags = true;
        measurementEnd = i;
        i++;
        break;
      }
      if (c === SPACE) {
        measurementEnd = i;
        break;
      }
    }
    prev = c;
  }

  // --- tags
  if (inTags) {
    const reason = checkTags(buf, i, end);
    if (reason !== null) return reason;
    i = tagsEnd;
  }
  const keyEnd = i;
  seriesEnd = keyEnd;
  if (keyEnd - start > MAX_KEY_LENGTH) return `max key length exceeded: ${keyEnd - start} > ${MAX_KEY_LENGTH}`;

  // --- fields
  while (i < end && isWhitespace(buf[i] as number)) i++;
  const fieldsStart = i;
  let quoted = false;
  let equals = 0;
  let commas = 0;
  while (i < end) {
    const c = buf[i] as number;
    if (c === BACKSLASH && i + 1 < end) {
      i += 2;
      continue;
    }
    if (c === QUOTE && equals > commas) {
      quoted = !quoted;
      i++;
      continue;
    }
    if (c === EQUALS && !quoted) {
      equals++;
      const before = buf[i - 1];
      if ((before === SPACE || before === COMMA) && buf[i - 2] !== BACKSLASH) return 'missing field key';
      if (i + 1 >= end) return 'missing field value';
      const v = buf[i + 1] as number;
      if (v === COMMA || v === SPACE) return 'missing field value';
      if ((v >= 0x30 && v <= 0x39) || v === DOT || v === MINUS || v === 0x4e /* N */ || v === 0x6e /* n */) {
        const reason = checkNumber(buf, i + 1, end);
        if (reason !== null) return reason;
        i = numberEnd;
        continue;
      }
      if (v !== QUOTE) {
        const reason = checkBoolean(buf, i + 1, end);
        if (reason !== null) return reason;
        i = booleanEnd;
        continue;
      }
    }
    if (c === COMMA && !quoted) commas++;
    if (c === SPACE && !quoted) break;
    i++;
  }
  if (quoted) return 'unbalanced quotes';
  if (equals === 0 || commas !== equals - 1) return 'invalid field format';
  if (i === fieldsStart) return 'missing fields';
  const fieldsEnd = i;
  if (keyEnd - start + 4 + (fieldsEnd - fieldsStart) > MAX_KEY_LENGTH || (backslash && hasBackslash(buf, fieldsStart, fieldsEnd))) {
    const reason = checkFieldWalk(buf, keyEnd - start, fieldsStart, fieldsEnd);
    if (reason !== null) return reason;
  }

  // --- timestamp
  while (i < end && isWhitespace(buf[i] as number)) i++;
  const tsStart = i;
  while (i < end) {
    const c = buf[i] as number;
    if (c === SPACE) break;
    if (i === tsStart && c === MINUS) {
      i++;
      continue;
    }
    if (c < 0x30 || c > 0x39) return 'bad timestamp';
    i++;
  }
  if (i === tsStart) {
    hasTimestamp = false;
    return null;
  }
  const digits = i - tsStart - (buf[tsStart] === MINUS ? 1 : 0);
  if (digits === 0 || (digits > timestampSafeDigits && !nanosWithinRange(buf, i - 19, digits, timestampSafeDigits))) {
    const reason = checkTimestampRange(buf.toString('latin1', tsStart, i), precision);
    if (reason !== null) return reason;
  }
  for (; i < end; i++) if (buf[i] !== SPACE) return 'point is invalid';
  hasTimestamp = true;
  return null;
}

let tagsEnd = 0;

/** influxd's scanTags, then its duplicate-tag check; sets `tagsEnd` to the space before the fields. */
function checkTags(buf: Buffer, i: number, end: number): string | null {
  let previousKey = -1;
  let previousKeyEnd = -1;
  let sorted = true;
  let duplicate = false;
  let keys: number[] | null = null; // [start, end) pairs of the tag keys, once there are two
  for (;;) {
    // key: up to the first unescaped `=`
    if (i >= end) return 'missing tag key';
    let c = buf[i] as number;
    if (c === SPACE || c === COMMA || c === EQUALS) return 'missing tag key';
    const keyStart = i;
    let prev = c;
    for (;;) {
      i++;
      if (i >= end) return 'missing tag value';
      c = buf[i] as number;
      if (prev !== BACKSLASH) {
        if (c === SPACE || c === COMMA) return 'missing tag value';
        if (c === EQUALS) break;
      }
      prev = c;
    }
    const keyEnd = i;
    i++;
    if (previousKey !== -1) {
      if (sorted) {
        const cmp = compareRanges(buf, previousKey, previousKeyEnd, keyStart, keyEnd);
        if (cmp === 0) duplicate = true;
        else if (cmp > 0) sorted = false;
      }
      (keys ??= [previousKey, previousKeyEnd]).push(keyStart, keyEnd);
    }
    previousKey = keyStart;
    previousKeyEnd = keyEnd;
    // value: its first byte may be anything but a comma or space
    if (i >= end) return 'missing tag value';
    c = buf[i] as number;
    if (c === COMMA || c === SPACE) return 'missing tag value';
    prev = c;
    let another = false;
    for (;;) {
      i++;
      if (i >= end) return 'missing fields';
      c = buf[i] as number;
      if (prev !== BACKSLASH) {
        if (c === EQUALS) return 'invalid tag format';
        if (c === COMMA) {
          i++;
          another = true;
          break;
        }
        if (c === SPACE) break;
      }
      prev = c;
    }
    if (!another) break;
  }
  // influxd 1.x's tag scanner fails (a 500 for the whole request) on exactly 100, 200, 400… tags.
  const tags = keys === null ? 1 : keys.length / 2;
  if (tags >= 100 && tags % 100 === 0 && isPowerOfTwo(tags / 100)) {
    return `exactly ${tags} tags: influxd 1.x cannot parse a line with 100, 200, 400… tags (one more or one less is fine)`;
  }
  if (duplicate) return 'duplicate tags';
  if (!sorted && keys !== null && hasDuplicateKey(buf, keys)) return 'duplicate tags';
  tagsEnd = i;
  return null;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** Bytewise comparison of [a, aEnd) and [b, bEnd), as Go's bytes.Compare. */
function compareRanges(buf: Buffer, a: number, aEnd: number, b: number, bEnd: number): number {
  const n = Math.min(aEnd - a, bEnd - b);
  for (let k = 0; k < n; k++) {
    const d = (buf[a + k] as number) - (buf[b + k] as number);
    if (d !== 0) return d;
  }
  return aEnd - a - (bEnd - b);
}

function hasDuplicateKey(buf: Buffer, keys: number[]): boolean {
  if (keys.length <= 32) {
    for (let x = 0; x < keys.length; x += 2) {
      for (let y = x + 2; y < keys.length; y += 2) {
        if (compareRanges(buf, keys[x] as number, keys[x + 1] as number, keys[y] as number, keys[y + 1] as number) === 0) return true;
      }
    }
    return false;
  }
  const order: number[] = [];
  for (let k = 0; k < keys.length; k += 2) order.push(k);
  order.sort((x, y) => compareRanges(buf, keys[x] as number, keys[x + 1] as number, keys[y] as number, keys[y + 1] as number));
  for (let k = 1; k < order.length; k++) {
    const x = order[k - 1] as number;
    const y = order[k] as number;
    if (compareRanges(buf, keys[x] as number, keys[x + 1] as number, keys[y] as number, keys[y + 1] as number) === 0) return true;
  }
  return false;
}

let numberEnd = 0;

/** influxd's scanNumber (unsigned integers disabled, as in 1.x); sets `numberEnd`. */
function checkNumber(buf: Buffer, start: number, end: number): string | null {
  let i = start;
  let isInt = false;
  let isUnsigned = false;
  let decimal = false;
  let scientific = false;
  if (buf[i] === MINUS) {
    i++;
    if (i === end) return 'invalid number';
  }
  for (; i < end; i++) {
    const c = buf[i] as number;
    if (c >= 0x30 && c <= 0x39) continue;
    if (c === COMMA || c === SPACE) break;
    if (c === 0x69 /* i */ && i > start && !(isInt || isUnsigned)) {
      isInt = true;
      continue;
    }
    if (c === 0x75 /* u */ && i > start && !(isInt || isUnsigned)) {
      isUnsigned = true;
      continue;
    }
    if (c === DOT) {
      if (decimal) return 'invalid number';
      decimal = true;
    }
    if (i > start && (c === 0x65 || c === 0x45) /* e E */) {
      scientific = true;
      continue;
    }
    if ((c === PLUS || c === MINUS) && (buf[i - 1] === 0x65 || buf[i - 1] === 0x45)) continue;
    if (i + 2 < end && (c === 0x4e || c === 0x6e)) return 'invalid number';
    if (!((c >= 0x30 && c <= 0x39) || c === DOT)) return 'invalid number';
  }
  numberEnd = i;
  if ((isInt || isUnsigned) && (decimal || scientific)) return 'invalid number';
  let numericDigits = i - start;
  if (isInt) numericDigits--;
  if (decimal) numericDigits--;
  if (buf[start] === MINUS) numericDigits--;
  if (numericDigits === 0) return 'invalid number';
  if (isInt) {
    if (buf[i - 1] !== 0x69) return 'invalid number';
    if (i - 1 - start >= 19) {
      const text = buf.toString('latin1', start, i - 1);
      const reason = goParseInt(text);
      if (reason !== null) return `unable to parse integer ${text}: ${reason}`;
    }
  } else if (isUnsigned) {
    return 'invalid number';
  } else if (scientific || i - start >= 25) {
    const text = buf.toString('latin1', start, i);
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) || !Number.isFinite(Number(text))) return 'invalid float';
  }
  return null;
}

let booleanEnd = 0;

/** influxd's scanBoolean; sets `booleanEnd`. */
function checkBoolean(buf: Buffer, start: number, end: number): string | null {
  const first = buf[start];
  if (start < end && first !== 0x74 && first !== 0x66 && first !== 0x54 && first !== 0x46) return 'invalid boolean';
  let i = start + 1;
  while (i < end && buf[i] !== COMMA && buf[i] !== SPACE) i++;
  booleanEnd = i;
  const n = i - start;
  if (n === 1) return null;
  const word = buf.toString('latin1', start, i);
  switch (word) {
    case 'true':
    case 'TRUE':
    case 'True':
    case 'false':
    case 'FALSE':
    case 'False':
      return null;
    default:
      return 'invalid boolean';
  }
}

/** Go's strconv.ParseInt(text, 10, 64) error text, or null when it parses. */
function goParseInt(text: string): string | null {
  if (!/^[+-]?\d+$/.test(text)) return `strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`;
  const value = BigInt(text);
  if (value > MAX_INT64 || value < MIN_INT64) return `strconv.ParseInt: parsing ${JSON.stringify(text)}: value out of range`;
  return null;
}

const MAX_NANO_DIGITS = Buffer.from(MAX_NANO.toString());

/** Fast path for the common 19-digit nanosecond timestamp: true when it is surely within range. */
function nanosWithinRange(buf: Buffer, at: number, digits: number, timestampSafeDigits: number): boolean {
  if (digits !== 19 || timestampSafeDigits !== 18) return false;
  for (let k = 0; k < 19; k++) {
    const d = (buf[at + k] as number) - (MAX_NANO_DIGITS[k] as number);
    if (d !== 0) return d < 0;
  }
  return true;
}

/** A valid timestamp in a request's precision, as milliseconds since the epoch. */
export function timestampMs(text: string, precision: string): number {
  return Number((BigInt(text) * (PRECISION_NANOS[precision] ?? 1n)) / 1_000_000n);
}

function checkTimestampRange(text: string, precision: string): string | null {
  const reason = goParseInt(text);
  if (reason !== null) return reason;
  const nanos = BigInt(text) * (PRECISION_NANOS[precision] ?? 1n);
  if (nanos < MIN_NANO || nanos > MAX_NANO) return `time outside range ${MIN_NANO} - ${MAX_NANO}`;
  return null;
}

/**
 * influxd's walkFields over the fields [start, end) with its series-key size check: it finds keys with
 * its own (simpler) escape rule, so a field key ending in a backslash fails here. Only run when the
 * fields hold a backslash or the key could be too long; otherwise it cannot fail.
 */
function checkFieldWalk(buf: Buffer, keyLength: number, start: number, end: number): string | null {
  let i = start;
  while (i < end) {
    let k = i;
    while (k < end && !(buf[k] === EQUALS && (k === i || buf[k - 1] !== BACKSLASH))) k++;
    if (k > end - 2) return `invalid value: field-key=${buf.toString('utf8', i, k)}`;
    const size = keyLength + 4 + (k - i);
    if (size > MAX_KEY_LENGTH) return `max key length exceeded: ${size} > ${MAX_KEY_LENGTH}`;
    let v = k + 1;
    let quoted = false;
    while (v < end) {
      const c = buf[v];
      if (c === BACKSLASH && v + 1 < end && (buf[v + 1] === QUOTE || buf[v + 1] === BACKSLASH)) {
        v += 2;
        continue;
      }
      if (c === QUOTE) quoted = !quoted;
      else if (c === COMMA && !quoted) break;
      v++;
    }
    i = v < end ? v + 1 : v;
  }
  return null;
}

/**
 * The measurement name as influxd stores it: `\,`, `\ `, `\=` and `\"` unescaped (influxd's
 * escape.Unescape), every other byte kept. [start, end) is the escaped measurement of a line.
 */
export function unescapeMeasurement(buf: Buffer, start: number, end: number): string {
  if (!hasBackslash(buf, start, end)) return buf.toString('utf8', start, end);
  const out: number[] = [];
  for (let i = start; i < end; i++) {
    const c = buf[i] as number;
    const next = buf[i + 1];
    if (c === BACKSLASH && i + 1 < end && (next === COMMA || next === SPACE || next === EQUALS || next === QUOTE)) continue;
    out.push(c);
  }
  return Buffer.from(out).toString('utf8');
}

/** influxd's message for a line that failed to parse. */
export function parseErrorMessage(buf: Buffer, start: number, end: number, reason: string): string {
  return `unable to parse '${buf.toString('utf8', start, end)}': ${reason}`;
}
