// Timestamps of CSV cells as nanosecond epochs (decimal text, exact: no floating point), checked
// against the range influxd stores (±9223372036854775806 ns). A cell is RFC 3339
// (`2024-05-01T12:00:00.123456789Z`, `…+02:00`; a space may stand for the `T`; up to 9 fraction
// digits) or an integer epoch in a unit; `auto` takes either, integers in the unit of --precision.

export type TimeFormat = 'auto' | 'rfc3339' | 's' | 'ms' | 'us' | 'ns';
export type Precision = 's' | 'ms' | 'us' | 'ns';

export const TIME_FORMATS: readonly TimeFormat[] = ['auto', 'rfc3339', 's', 'ms', 'us', 'ns'];
export const PRECISIONS: readonly Precision[] = ['s', 'ms', 'us', 'ns'];

const ZEROS: Record<Precision, string> = { s: '000000000', ms: '000000', us: '000', ns: '' };
const MAX_NANOS = '9223372036854775806';
const MAX_NANOS_BIG = 9223372036854775806n;
const TIME_RANGE_TEXT = '1677-09-21T00:12:43.145224194Z to 2262-04-11T23:47:16.854775806Z';

const INTEGER = /^[+-]?\d+$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/** Why a time cell was refused (the constants below; no allocation per bad cell). */
export type TimeProblem = 'empty' | 'syntax' | 'date' | 'range';

/** A parsed time: the nanosecond epoch as text, or what is wrong with the cell. */
export type TimeResult = { readonly nanos: string } | { readonly problem: TimeProblem };

const EMPTY: TimeResult = { problem: 'empty' };
const SYNTAX: TimeResult = { problem: 'syntax' };
const DATE: TimeResult = { problem: 'date' };
const RANGE: TimeResult = { problem: 'range' };

/** Whether decimal digits `d` (no sign, no leading zeros) exceed the largest storable epoch. */
function beyondRange(d: string): boolean {
  return d.length > MAX_NANOS.length || (d.length === MAX_NANOS.length && d > MAX_NANOS);
}

/** An integer epoch in `unit` as nanoseconds. */
function integerNanos(text: string, unit: Precision): TimeResult {
  if (!INTEGER.test(text)) return SYNTAX;
  const negative = text.charCodeAt(0) === 0x2d;
  let start = negative || text.charCodeAt(0) === 0x2b ? 1 : 0;
  while (start < text.length - 1 && text.charCodeAt(start) === 0x30) start++;
  const digits = text.slice(start);
  if (digits === '0') return { nanos: '0' };
  const nanos = digits + ZEROS[unit];
  if (beyondRange(nanos)) return RANGE;
  return { nanos: negative ? `-${nanos}` : nanos };
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** An RFC 3339 time as nanoseconds. */
export function rfc3339Nanos(text: string): TimeResult {
  const m = RFC3339.exec(text);
  if (m === null) return SYNTAX;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  const offsetHours = m[8] === undefined ? 0 : Number(m[9]);
  const offsetMinutes = m[8] === undefined ? 0 : Number(m[10]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) {
    return DATE;
  }
  const offset = (m[8] === '-' ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
  const seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  const fraction = m[7] === undefined ? 0n : BigInt(m[7].padEnd(9, '0'));
  const nanos = BigInt(seconds) * 1_000_000_000n + fraction;
  if (nanos > MAX_NANOS_BIG || nanos < -MAX_NANOS_BIG) return RANGE;
  return { nanos: nanos.toString() };
}

/** A time cell as nanoseconds, by `format` (integers in `precision` when `auto`). */
export function parseTime(cell: string, format: TimeFormat, precision: Precision): TimeResult {
  const text = cell.trim();
  if (text === '') return EMPTY;
  switch (format) {
    case 'auto': {
      const code = text.charCodeAt(text.length - 1);
      // RFC 3339 ends in Z or an offset's digits; an integer has no `-` or `:` after its sign.
      return INTEGER.test(text) ? integerNanos(text, precision) : code === 0x5a || code === 0x7a || text.includes(':') ? rfc3339Nanos(text) : SYNTAX;
    }
    case 'rfc3339':
      return rfc3339Nanos(text);
    default:
      return integerNanos(text, format);
  }
}

/** Why `cell` is not a time in `format`, for messages such as `time 'abc' is not RFC3339 or an integer`. */
export function describeTimeProblem(problem: TimeProblem, cell: string, format: TimeFormat): string {
  switch (problem) {
    case 'empty':
      return 'time is empty';
    case 'date':
      return `time '${cell}' is not a valid date and time`;
    case 'range':
      return `time '${cell}' is outside what InfluxDB stores (${TIME_RANGE_TEXT})`;
    case 'syntax':
      if (format === 'auto') return `time '${cell}' is not RFC3339 or an integer`;
      if (format === 'rfc3339') return `time '${cell}' is not RFC3339 (e.g. 2024-05-01T12:00:00.123456789Z)`;
      return `time '${cell}' is not an integer epoch in ${format}`;
  }
}
