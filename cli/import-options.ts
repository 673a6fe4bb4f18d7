// The `import` command's flags, and their values checked and defaulted (ImportOptions). Everything the
// command line alone can tell is refused here, before the file is opened or the proxy is called.
import { usageError } from './errors.js';
import { FIELD_TYPES, type FieldType } from './field-value.js';
import { positiveInteger, type FlagSpec, type ParsedFlags } from './flags.js';
import type { ProgressMode } from './progress.js';
import { PRECISIONS, TIME_FORMATS, type Precision, type TimeFormat } from './time-value.js';

export const IMPORT_FLAGS: readonly FlagSpec[] = [
  { name: 'db', kind: 'string', value: 'DB', help: 'database to write to (required)' },
  { name: 'rp', kind: 'string', value: 'RP', help: "retention policy (default: the database's default)" },
  { name: 'measurement', kind: 'string', value: 'NAME', help: 'measurement of every point' },
  { name: 'measurement-column', kind: 'string', value: 'COL', help: 'or: the column holding each row\'s measurement' },
  { name: 'time', kind: 'string', value: 'COL', help: 'column of the timestamps (default: time)' },
  { name: 'time-format', kind: 'string', value: 'FORMAT', help: 'auto, rfc3339, s, ms, us or ns (default: auto)' },
  { name: 'precision', kind: 'string', value: 'UNIT', help: 'unit of integer times with --time-format auto: s, ms, us or ns (default: ns)' },
  { name: 'tag', kind: 'string', value: 'COL', repeated: true, help: 'a column to write as a tag' },
  { name: 'field', kind: 'string', value: 'COL', repeated: true, help: 'a column to write as a field (default: every other column)' },
  { name: 'field-type', kind: 'string', value: 'COL=TYPE', repeated: true, help: "a field's type: float, integer, string or boolean" },
  { name: 'batch-lines', kind: 'string', value: 'N', help: 'points per write request (default: 5000)' },
  { name: 'concurrency', kind: 'string', value: 'N', help: 'write requests in flight at once (default: 4)' },
  { name: 'skip-invalid', kind: 'boolean', help: 'skip rows that cannot become points (counted and shown) instead of stopping' },
  { name: 'progress', kind: 'string', value: 'MODE', help: 'auto, bar, lines or none (default: auto: a bar on a terminal, else lines)' },
  { name: 'progress-interval', kind: 'string', value: 'SECONDS', help: 'time between progress lines in lines mode (default: 5)' },
];

export interface ImportOptions {
  /** The CSV file, or `-` for stdin. */
  readonly file: string;
  readonly db: string;
  readonly rp: string | null;
  /** The measurement of every point, or null when it comes from `measurementColumn`. */
  readonly measurement: string | null;
  readonly measurementColumn: string | null;
  readonly timeColumn: string;
  readonly timeFormat: TimeFormat;
  readonly precision: Precision;
  readonly tags: readonly string[];
  /** Field columns, or null for every column that is not time, tag or measurement. */
  readonly fields: readonly string[] | null;
  /** Declared field types by column. */
  readonly fieldTypes: ReadonlyMap<string, FieldType>;
  readonly batchLines: number;
  readonly concurrency: number;
  readonly skipInvalid: boolean;
  readonly progress: 'auto' | ProgressMode;
  readonly progressIntervalMs: number;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw usageError(`--${flag} "${value}": expected one of ${allowed.join(', ')}`);
}

function noDuplicates(flag: string, columns: readonly string[]): void {
  const seen = new Set<string>();
  for (const column of columns) {
    if (seen.has(column)) throw usageError(`--${flag} "${column}" given twice`);
    seen.add(column);
  }
}

/** The import options from the command line; usage errors for anything wrong or missing. */
export function importOptions(flags: ParsedFlags): ImportOptions {
  const [file, ...extra] = flags.positionals;
  if (file === undefined || file === '') throw usageError('which file? influxring import FILE --db DB --measurement NAME (FILE may be - for stdin)');
  if (extra.length > 0) throw usageError(`one file at a time (also given: ${extra.join(' ')})`);

  const db = flags.string('db');
  if (db === null || db === '') throw usageError('--db is required: the database to write to');
  const rp = flags.string('rp');
  if (rp === '') throw usageError('--rp needs a retention policy name');

  const measurement = flags.string('measurement');
  const measurementColumn = flags.string('measurement-column');
  if (measurement === null && measurementColumn === null) throw usageError('give --measurement NAME, or --measurement-column COL to take it from each row');
  if (measurement !== null && measurementColumn !== null) throw usageError('give --measurement or --measurement-column, not both');

  const timeFormat = oneOf('time-format', flags.string('time-format') ?? 'auto', TIME_FORMATS);
  const precisionGiven = flags.string('precision');
  if (precisionGiven !== null && timeFormat !== 'auto') {
    throw usageError(`--precision is the unit of integer times with --time-format auto; with --time-format ${timeFormat} leave it out`);
  }
  const precision = oneOf('precision', precisionGiven ?? 'ns', PRECISIONS);

  const tags = flags.strings('tag');
  noDuplicates('tag', tags);
  const fields = flags.has('field') ? flags.strings('field') : null;
  if (fields !== null) noDuplicates('field', fields);

  const fieldTypes = new Map<string, FieldType>();
  for (const spec of flags.strings('field-type')) {
    const eq = spec.lastIndexOf('=');
    if (eq <= 0) throw usageError(`--field-type "${spec}": write COL=TYPE, e.g. --field-type count=integer`);
    const column = spec.slice(0, eq);
    if (fieldTypes.has(column)) throw usageError(`--field-type given twice for "${column}"`);
    fieldTypes.set(column, oneOf('field-type', spec.slice(eq + 1), FIELD_TYPES));
  }

  const intervalText = flags.string('progress-interval') ?? '5';
  const interval = /^\d+(\.\d+)?$/.test(intervalText) ? Number(intervalText) : Number.NaN;
  if (!(interval > 0 && interval <= 3600)) throw usageError(`--progress-interval "${intervalText}": expected seconds, more than 0 and at most 3600`);

  return {
    file,
    db,
    rp,
    measurement,
    measurementColumn,
    timeColumn: flags.string('time') ?? 'time',
    timeFormat,
    precision,
    tags,
    fields,
    fieldTypes,
    batchLines: positiveInteger('batch-lines', flags.string('batch-lines') ?? '5000', 1_000_000),
    concurrency: positiveInteger('concurrency', flags.string('concurrency') ?? '4', 64),
    skipInvalid: flags.boolean('skip-invalid'),
    progress: oneOf('progress', flags.string('progress') ?? 'auto', ['auto', 'bar', 'lines', 'none'] as const),
    progressIntervalMs: Math.round(interval * 1000),
  };
}
