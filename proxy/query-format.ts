// Query answers in the forms influxd writes them: JSON (compact, or indented with `pretty=true`),
// chunked JSON (one document per line, `partial` while a series or a statement goes on), and CSV
// (`Accept: application/csv`). Used for answers the proxy assembles; a single node's answer is passed
// through as it is.
import { JsonNumber, writeJson, writePrettyJson, type JsonValue } from './json-lossless.js';
import { escapeKey } from './line-protocol-escape.js';
import type { Series, StatementResult } from './query-merge.js';

export interface OutputFormat {
  readonly csv: boolean;
  readonly pretty: boolean;
  readonly chunked: boolean;
  readonly chunkSize: number;
}

function seriesJson(s: Series): JsonValue {
  const out: { [key: string]: JsonValue } = {};
  if (s.name !== undefined) out.name = s.name;
  if (s.tags !== undefined) out.tags = s.tags;
  out.columns = s.columns;
  if (s.values !== undefined) out.values = s.values;
  if (s.partial) out.partial = true;
  return out;
}

/** A statement's result with influxd's key order. */
function resultJson(r: StatementResult): JsonValue {
  const out: { [key: string]: JsonValue } = { statement_id: new JsonNumber(String(r.statement_id)) };
  if (r.series !== undefined) out.series = r.series.map(seriesJson);
  if (r.messages !== undefined) out.messages = r.messages.map((m) => ({ level: m.level, text: m.text }));
  if (r.partial) out.partial = true;
  if (r.error !== undefined) out.error = r.error;
  return out;
}

/** A JSON document as influxd writes one: compact or pretty, then a newline. */
function jsonDocument(value: JsonValue, pretty: boolean): string {
  return `${pretty ? writePrettyJson(value) : writeJson(value)}\n`;
}

export function renderJson(results: readonly StatementResult[], pretty: boolean): string {
  return jsonDocument({ results: results.map(resultJson) }, pretty);
}

/** influxd's chunks of one statement: each series cut into `chunkSize` rows, `partial` on all but the last. */
export function renderChunks(result: StatementResult, chunkSize: number, pretty: boolean): string {
  if (result.error !== undefined || result.series === undefined || result.series.length === 0) return renderJson([result], pretty);
  const chunks: StatementResult[] = [];
  for (const s of result.series) {
    const values = s.values ?? [];
    if (values.length <= chunkSize) {
      chunks.push({ statement_id: result.statement_id, series: [s] });
      continue;
    }
    for (let at = 0; at < values.length; at += chunkSize) {
      const last = at + chunkSize >= values.length;
      chunks.push({ statement_id: result.statement_id, series: [{ ...s, values: values.slice(at, at + chunkSize), ...(last ? {} : { partial: true }) }] });
    }
  }
  return chunks.map((chunk, i) => renderJson([i < chunks.length - 1 ? { ...chunk, partial: true } : chunk], pretty)).join('');
}

/** A number as Go's strconv.FormatFloat(v, 'f', -1, 64) writes it, from its JSON text. */
export function plainNumber(text: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?[eE]([-+]?\d+)$/.exec(text);
  if (match === null) return text;
  const [, sign, whole, fraction = '', exponentText] = match;
  const digits = `${whole}${fraction}`.replace(/^0+(?=\d)/, '');
  const point = (whole as string).length + Number(exponentText);
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  if (out.includes('.')) out = out.replace(/0+$/, '').replace(/\.$/, '');
  return `${sign}${out.replace(/^0+(?=\d)/, '')}`;
}

/** A field as Go's encoding/csv writes it: quoted when it holds `"`, `,`, CR/LF, starts with a space or tab, or is `\.`. */
const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

function csvField(value: string): string {
  // Go's encoding/csv: a comma, quote or line break anywhere, a leading space (unicode.IsSpace), or `\.`.
  const quote = /[",\r\n]/.test(value) || GO_SPACE.test(value) || value === '\\.';
  return quote ? `"${value.replace(/"/g, '""')}"` : value;
}

function csvValue(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (value instanceof JsonNumber) return plainNumber(value.text);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return csvField(value);
  return csvField(writeJson(value));
}

function csvTags(tags: Record<string, string> | undefined): string {
  if (tags === undefined) return '';
  return csvField(
    Object.keys(tags)
      .sort()
      .filter((k) => tags[k] !== '')
      .map((k) => `${escapeKey(k)}=${escapeKey(tags[k] ?? '')}`)
      .join(','),
  );
}

/**
 * CSV of the results: a header per series whose columns differ from the previous, a blank line between
 * statements. Statement errors are left out, as influxd leaves them out of CSV.
 */
export function renderCsv(results: readonly StatementResult[]): string {
  const parts: string[] = [];
  for (const result of results) {
    let text = '';
    if (result.error === undefined) {
      let header = '';
      for (const s of result.series ?? []) {
        const h = `name,tags,${s.columns.map(csvField).join(',')}\n`;
        if (h !== header) {
          text += h;
          header = h;
        }
        // name and tags are the same on every row of a series
        const prefix = `${csvField(s.name ?? '')},${csvTags(s.tags)},`;
        for (const row of s.values ?? []) {
          text += `${prefix}${s.columns.map((_, i) => csvValue(row[i])).join(',')}\n`;
        }
      }
    }
    if (text !== '') parts.push(text);
  }
  return parts.join('\n');
}

/** A request-level error body (`{"error": …}`), in JSON or CSV. */
export function renderError(message: string, format: OutputFormat): string {
  if (format.csv) return `error\n${csvField(message)}\n`;
  return jsonDocument({ error: message }, format.pretty);
}
