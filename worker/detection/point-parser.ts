// Reads one valid line of line protocol (the write path has validated it) into what detection needs:
// measurement, tags, the numeric fields (floats, integers, unsigned; booleans and strings are not
// curves) and the timestamp as digits (absent when the client sent none).

export interface ParsedPoint {
  readonly measurement: string;
  readonly tags: [string, string][];
  readonly fields: [string, number][];
  /** The timestamp's digits as sent, or null. */
  readonly timestamp: string | null;
}

/**
 * Reads up to an unescaped delimiter in `stops`; returns the text with influxd's unescaping (a
 * backslash before one of `unescaped` is dropped; any other backslash, `\\` included, is kept, as
 * influxd keeps it) and where it stopped.
 */
function readPart(line: string, at: number, stops: string, unescaped: string): [string, number] {
  let out = '';
  let i = at;
  while (i < line.length) {
    const ch = line[i] as string;
    if (ch === '\\' && i + 1 < line.length && unescaped.includes(line[i + 1] as string)) {
      out += line[i + 1] as string;
      i += 2;
      continue;
    }
    if (stops.includes(ch)) break;
    out += ch;
    i++;
  }
  return [out, i];
}

/** What influxd unescapes in a measurement (see unescapeMeasurement), and in tag and field keys and tag values. */
const MEASUREMENT_ESCAPES = ', ="';
const KEY_ESCAPES = ', =';

function numericValue(text: string): number | null {
  const last = text[text.length - 1];
  if (last === 'i' || last === 'u') {
    const value = Number(text.slice(0, -1));
    return Number.isFinite(value) ? value : null;
  }
  if (text === '' || text[0] === '"' || /^(t|T|true|True|TRUE|f|F|false|False|FALSE)$/.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

export function parsePoint(line: string): ParsedPoint {
  const [measurement, afterName] = readPart(line, 0, ', ', MEASUREMENT_ESCAPES);
  const tags: [string, string][] = [];
  let i = afterName;
  while (line[i] === ',') {
    const [key, eq] = readPart(line, i + 1, '=', KEY_ESCAPES);
    const [value, end] = readPart(line, eq + 1, ', ', KEY_ESCAPES);
    tags.push([key, value]);
    i = end;
  }
  while (line[i] === ' ' || line[i] === '\t') i++; // the blanks before the fields
  const fields: [string, number][] = [];
  for (;;) {
    const [key, eq] = readPart(line, i, '=', KEY_ESCAPES);
    let end = eq + 1;
    if (line[end] === '"') {
      // A string value: skip to its closing quote.
      end++;
      while (end < line.length && line[end] !== '"') end += line[end] === '\\' ? 2 : 1;
      end++;
    } else {
      while (end < line.length && line[end] !== ',' && line[end] !== ' ') end++;
    }
    const value = numericValue(line.slice(eq + 1, end));
    if (value !== null) fields.push([key, value]);
    i = end;
    if (line[i] !== ',') break;
    i++;
  }
  const rest = line.slice(i).trim();
  return { measurement, tags, fields, timestamp: rest === '' ? null : rest };
}
