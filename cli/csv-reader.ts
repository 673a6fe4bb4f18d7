// A streaming CSV reader (RFC 4180): fields separated by commas, records by LF, CRLF or CR; a field in
// double quotes may hold commas, newlines and quotes written twice (`""`). The parser takes the text
// piece by piece as it is read, keeps only the record in progress, and tells the file line where each
// record starts, so errors can name it. Memory stays constant on files of any size: a record longer
// than `maxRecordChars` (an unclosed quote swallowing the file) stops the read.
//
// Lenient where it costs nothing: a quote inside an unquoted field is kept as text; blank lines are
// skipped; a UTF-8 BOM is dropped. Text after a closing quote (`"ab"c`) makes the record malformed —
// it is returned with `error` set, so the caller can report or skip it, and parsing goes on.
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { CliError } from './errors.js';

export interface CsvRecord {
  readonly cells: string[];
  /** The file line (1-based) where the record starts. */
  readonly line: number;
  /** Why the record is malformed, or null. */
  readonly error: string | null;
}

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** A quote was read inside a quoted field: it either closes the field or is the first of `""`. */
const QUOTE_IN_QUOTED = 3;

/** Records longest accepted by default (characters), far above any real row. */
const DEFAULT_MAX_RECORD_CHARS = 16 * 1024 * 1024;

export class CsvParser {
  private readonly maxRecordChars: number;
  private state = FIELD_START;
  private cells: string[] = [];
  private field = '';
  private recordLine = 1;
  private recordChars = 0;
  private recordError: string | null = null;
  /** The last piece ended with a CR outside quotes: an LF starting the next piece belongs to it. */
  private afterCR = false;
  /** Line breaks seen so far. */
  private breaks = 0;
  /** Text was seen after the last line break. */
  private lineOpen = false;

  constructor(options: { maxRecordChars?: number } = {}) {
    this.maxRecordChars = options.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS;
  }

  /**
   * Set when the record in progress grew beyond `maxRecordChars`: the records completed before it are
   * still returned; the caller stops once it has dealt with them.
   */
  overflow: CliError | null = null;

  /** Lines of the input read so far (a last line without a newline counts). */
  get linesRead(): number {
    return this.breaks + (this.lineOpen ? 1 : 0);
  }

  /** Parses the next piece of the input, appending every record it completes to `out`. */
  push(text: string, out: CsvRecord[]): void {
    const n = text.length;
    let i = 0;
    if (n === 0) return;
    if (this.afterCR) {
      this.afterCR = false;
      if (text.charCodeAt(0) === LF) i = 1;
    }
    while (i < n) {
      switch (this.state) {
        case FIELD_START: {
          const c = text.charCodeAt(i);
          if (c === QUOTE) {
            this.state = QUOTED;
            this.lineOpen = true;
            i++;
          } else if (c === COMMA) {
            this.cells.push('');
            this.lineOpen = true;
            i++;
          } else if (c === LF || c === CR) {
            // A comma just before the break leaves one empty field; nothing at all is a blank line.
            if (this.cells.length > 0) {
              this.cells.push('');
              this.endRecord(out);
            }
            i = this.lineBreak(text, i);
            this.recordLine = this.breaks + 1;
          } else {
            this.state = UNQUOTED;
            this.lineOpen = true;
          }
          break;
        }
        case UNQUOTED: {
          let j = i;
          let c = 0;
          while (j < n) {
            c = text.charCodeAt(j);
            if (c === COMMA || c === LF || c === CR) break;
            j++;
          }
          this.field = this.field === '' ? text.slice(i, j) : this.field + text.slice(i, j);
          if (j === n) {
            i = n;
            break;
          }
          this.endField();
          if (c === COMMA) {
            this.state = FIELD_START;
            i = j + 1;
          } else {
            this.endRecord(out);
            i = this.lineBreak(text, j);
            this.recordLine = this.breaks + 1;
          }
          break;
        }
        case QUOTED: {
          const q = text.indexOf('"', i);
          const end = q === -1 ? n : q;
          for (let k = text.indexOf('\n', i); k !== -1 && k < end; k = text.indexOf('\n', k + 1)) this.breaks++;
          this.field += text.slice(i, end);
          if (q === -1) {
            i = n;
          } else {
            this.state = QUOTE_IN_QUOTED;
            i = q + 1;
          }
          break;
        }
        case QUOTE_IN_QUOTED: {
          const c = text.charCodeAt(i);
          if (c === QUOTE) {
            this.field += '"';
            this.state = QUOTED;
            i++;
          } else if (c === COMMA) {
            this.endField();
            this.state = FIELD_START;
            i++;
          } else if (c === LF || c === CR) {
            this.endField();
            this.endRecord(out);
            i = this.lineBreak(text, i);
            this.recordLine = this.breaks + 1;
          } else {
            this.recordError ??= `text after the closing quote of field ${this.cells.length + 1}`;
            this.state = UNQUOTED;
          }
          break;
        }
      }
    }
    if (this.overflow === null && this.recordChars + this.field.length > this.maxRecordChars) {
      this.overflow = new CliError(
        'IRX_ERR_CLI_CSV',
        `line ${this.recordLine}: a row longer than ${this.maxRecordChars} characters (is a quote left open?); nothing from this row on was sent`,
      );
    }
  }

  /** The end of the input: completes the last record (one without a final newline). */
  end(out: CsvRecord[]): void {
    if (this.state === QUOTED) {
      this.recordError ??= `the quoted field ${this.cells.length + 1} is not closed before the end of the file`;
    }
    if (this.state !== FIELD_START || this.cells.length > 0) {
      this.endField();
      this.endRecord(out);
    }
    this.state = FIELD_START;
  }

  private endField(): void {
    this.cells.push(this.field);
    this.recordChars += this.field.length;
    this.field = '';
  }

  private endRecord(out: CsvRecord[]): void {
    out.push({ cells: this.cells, line: this.recordLine, error: this.recordError });
    this.cells = [];
    this.recordChars = 0;
    this.recordError = null;
    this.state = FIELD_START;
  }

  /** Counts the line break at `i` (CR, LF or CRLF) and returns the index after it. */
  private lineBreak(text: string, i: number): number {
    this.breaks++;
    this.lineOpen = false;
    if (text.charCodeAt(i) === CR) {
      if (i + 1 === text.length) this.afterCR = true;
      else if (text.charCodeAt(i + 1) === LF) return i + 2;
    }
    return i + 1;
  }
}

/** A piece of the input, parsed. */
/** The records of a whole CSV text, as cells (for files read at once). */
export function parseCsvText(text: string): string[][] {
  const parser = new CsvParser({ maxRecordChars: text.length + 1 });
  const records: CsvRecord[] = [];
  parser.push(text, records);
  parser.end(records);
  return records.map((record) => record.cells);
}

export interface CsvChunk {
  /** Records completed by this piece. */
  readonly records: CsvRecord[];
  /** Bytes of the input read so far. */
  readonly bytesRead: number;
}

/**
 * Reads CSV records from a byte stream (a file or stdin), piece by piece. Checks the text is UTF-8:
 * `IRX_ERR_CLI_FILE` naming the byte where it is not.
 */
export async function* readCsv(input: Readable, name: string, parser: CsvParser): AsyncGenerator<CsvChunk> {
  // `fatal`: bad bytes are an error instead of silently becoming U+FFFD in tags and fields.
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let bytesRead = 0;
  for await (const chunk of input) {
    const bytes = chunk as Buffer;
    let text: string;
    try {
      text = decoder.decode(bytes, { stream: true });
    } catch (err) {
      throw new CliError('IRX_ERR_CLI_FILE', `${name} is not UTF-8 text (bad bytes within bytes ${bytesRead}–${bytesRead + bytes.length}); convert it, e.g. with iconv -t UTF-8`, { cause: err });
    }
    bytesRead += bytes.length;
    const records: CsvRecord[] = [];
    parser.push(text, records);
    yield { records, bytesRead };
    if (parser.overflow !== null) throw parser.overflow;
  }
  let rest: string;
  try {
    rest = decoder.decode();
  } catch (err) {
    throw new CliError('IRX_ERR_CLI_FILE', `${name} is not UTF-8 text (it ends inside a character)`, { cause: err });
  }
  const records: CsvRecord[] = [];
  parser.push(rest, records);
  parser.end(records);
  yield { records, bytesRead };
}

/** The size of a file in bytes, or IRX_ERR_CLI_FILE when it cannot be opened. */
export async function fileSize(path: string): Promise<number> {
  try {
    const handle = await open(path, 'r');
    try {
      const stat = await handle.stat();
      if (stat.isDirectory()) throw new CliError('IRX_ERR_CLI_FILE', `cannot read ${path}: it is a directory`);
      return stat.size;
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError('IRX_ERR_CLI_FILE', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}
