// Field values of CSV cells as line protocol, by field type, and the type of a column inferred from
// its first values. Numbers are inferred as float, never integer: influxd keeps the type a field was
// first written with and refuses the others, so a column that looks integral in its first rows but
// has `2.5` further down would fail half-way. Integer only when the user says so (--field-type). A
// column takes the type most of its first values have; the cells that do not fit are bad rows.
import { quoteString } from './line-protocol-writer.js';

export type FieldType = 'float' | 'integer' | 'string' | 'boolean';

export const FIELD_TYPES: readonly FieldType[] = ['float', 'integer', 'string', 'boolean'];

const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;
const MAX_INT64 = '9223372036854775807';
const MIN_INT64_DIGITS = '9223372036854775808';

/** A float cell as line protocol (the shortest text of the same double), or null. */
function floatText(cell: string): string | null {
  const text = cell.trim();
  if (!FLOAT.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? String(value) : null;
}

/** An integer cell as line protocol (`42i`), or null when not an integer or outside int64. */
function integerText(cell: string): string | null {
  const text = cell.trim();
  if (!INTEGER.test(text)) return null;
  const negative = text.charCodeAt(0) === 0x2d;
  let start = negative || text.charCodeAt(0) === 0x2b ? 1 : 0;
  while (start < text.length - 1 && text.charCodeAt(start) === 0x30) start++;
  const digits = text.slice(start);
  const limit = negative ? MIN_INT64_DIGITS : MAX_INT64;
  if (digits.length > limit.length || (digits.length === limit.length && digits > limit)) return null;
  return digits === '0' ? '0i' : `${negative ? '-' : ''}${digits}i`;
}

/** A boolean cell (true/false/t/f, any case) as line protocol, or null. */
function booleanText(cell: string): string | null {
  switch (cell.trim().toLowerCase()) {
    case 'true':
    case 't':
      return 'true';
    case 'false':
    case 'f':
      return 'false';
    default:
      return null;
  }
}

/** A cell as a field value of `type`, or null when it is not one. */
export function fieldText(type: FieldType, cell: string): string | null {
  switch (type) {
    case 'float':
      return floatText(cell);
    case 'integer':
      return integerText(cell);
    case 'boolean':
      return booleanText(cell);
    case 'string':
      // Every cell is a valid string: quoted, `\` and `"` escaped.
      return quoteString(cell);
  }
}

/** Whether a cell has no value: empty, or only spaces for the types that are not strings. */
export function isEmptyCell(type: FieldType | null, cell: string): boolean {
  return cell === '' || (type !== 'string' && cell.trim() === '');
}

/** Why `cell` is not a `type`, for row errors. */
export function describeFieldProblem(type: FieldType, cell: string): string {
  switch (type) {
    case 'float':
      return FLOAT.test(cell.trim()) ? `'${cell}' is out of range for a float` : `'${cell}' is not a number`;
    case 'integer':
      return INTEGER.test(cell.trim()) ? `'${cell}' is out of range for a 64-bit integer` : `'${cell}' is not an integer`;
    case 'boolean':
      return `'${cell}' is not a boolean (true/false/t/f)`;
    case 'string':
      return `'${cell}' is not a string`;
  }
}

/**
 * The type of a column from its first non-empty values: float when most of them (more than half) are
 * numbers, boolean when most are true/false/t/f, else string; null when there is no value to go by.
 * Most, not all: one bad cell (`N/A`, `abc`) among numbers must not turn the column into text, which
 * would write every number as a string without a word; it is reported as a bad row instead.
 */
export function inferFieldType(values: readonly string[]): FieldType | null {
  let numbers = 0;
  let booleans = 0;
  let seen = 0;
  for (const value of values) {
    const text = value.trim();
    if (text === '') continue;
    seen++;
    if (floatText(text) !== null) numbers++;
    else if (booleanText(text) !== null) booleans++;
  }
  if (seen === 0) return null;
  if (numbers * 2 > seen) return 'float';
  if (booleans * 2 > seen) return 'boolean';
  return 'string';
}
