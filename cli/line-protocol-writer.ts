// Writing names and values as InfluxDB 1.x line protocol, so that influxd stores exactly the text of
// the CSV cell: the escaping (proxy/line-protocol-escape.ts), and which names it cannot express. The
// rules (checked against influxd 1.6.7):
//   measurement:            `,` and space escaped with `\`;
//   tag keys, tag values,
//   field keys:             `,`, `=` and space escaped with `\`;
//   string field values:    in double quotes, `\` and `"` escaped with `\`.
// influxd does not unescape `\\` in names, so a backslash is written as it is — except where influxd
// would read it as an escape: directly before one of the escaped characters, at the end of a name
// (before the delimiter that follows), or, in a field key, before `"`. Those names, and names with a
// newline (which ends a line), or a measurement starting with `#` (a comment line), cannot be written:
// `unwritable*` says why, and the caller rejects the row (or, for a column name, the command line).

export { escapeKey, escapeMeasurement, quoteString } from '../proxy/line-protocol-escape.js';

/** A backslash influxd would take for an escape: before one of `special`, or at the end. */
function hasAmbiguousBackslash(text: string, special: string): boolean {
  for (let i = text.indexOf('\\'); i !== -1; i = text.indexOf('\\', i + 1)) {
    if (i === text.length - 1) return true;
    if (special.includes(text.charAt(i + 1))) return true;
  }
  return false;
}

/** Why `name` cannot be a measurement, or null when it can. */
export function unwritableMeasurement(name: string): string | null {
  if (name === '') return 'is empty';
  if (name.includes('\n')) return 'contains a newline';
  if (name.startsWith('#')) return 'starts with # (line protocol reads the line as a comment)';
  if (hasAmbiguousBackslash(name, ', ')) return 'has a backslash before a comma or space, or at the end (line protocol reads it as an escape)';
  return null;
}

/** Why `text` cannot be a tag key or tag value, or null when it can. */
export function unwritableTag(text: string): string | null {
  if (text.includes('\n')) return 'contains a newline';
  if (hasAmbiguousBackslash(text, ',= ')) return 'has a backslash before a comma, = or space, or at the end (line protocol reads it as an escape)';
  return null;
}

/** Why `key` cannot be a field key, or null when it can. */
export function unwritableFieldKey(key: string): string | null {
  if (key === '') return 'is empty';
  if (key.includes('\n')) return 'contains a newline';
  if (hasAmbiguousBackslash(key, ',= "')) return 'has a backslash before a comma, =, space or quote, or at the end (line protocol reads it as an escape)';
  return null;
}
