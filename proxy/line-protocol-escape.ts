// Writing names and values as InfluxDB 1.x line protocol (the reverse of line-protocol.ts's reading):
//   measurement:                          `,` and space escaped with `\`;
//   tag keys, tag values, field keys:     `,`, `=` and space escaped with `\`;
//   string field values:                  in double quotes, `\` and `"` escaped with `\`.

const MEASUREMENT_SPECIAL = /[, ]/g;
const KEY_SPECIAL = /[,= ]/g;
const STRING_SPECIAL = /["\\]/g;
const NEEDS_MEASUREMENT_ESCAPE = /[, ]/;
const NEEDS_KEY_ESCAPE = /[,= ]/;
const NEEDS_STRING_ESCAPE = /["\\]/;

/** A measurement name as line protocol. */
export function escapeMeasurement(name: string): string {
  return NEEDS_MEASUREMENT_ESCAPE.test(name) ? name.replace(MEASUREMENT_SPECIAL, '\\$&') : name;
}

/** A tag key, tag value or field key as line protocol. */
export function escapeKey(text: string): string {
  return NEEDS_KEY_ESCAPE.test(text) ? text.replace(KEY_SPECIAL, '\\$&') : text;
}

/** A string field value as line protocol, quotes included. */
export function quoteString(value: string): string {
  return NEEDS_STRING_ESCAPE.test(value) ? `"${value.replace(STRING_SPECIAL, '\\$&')}"` : `"${value}"`;
}
