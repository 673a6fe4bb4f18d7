// What commands print on stdout: aligned tables and `key  value` lists for people, or — with --json on
// the read commands — the admin API's answer as it came, for scripts (jq).
import type { FlagSpec, ParsedFlags } from './flags.js';

export const JSON_FLAG: FlagSpec = { name: 'json', kind: 'boolean', help: "print the admin API's JSON answer instead of a table" };

/** Writes `value` as indented JSON when --json was given; says whether it did. */
export function printedJson(flags: ParsedFlags, stdout: NodeJS.WritableStream, value: unknown): boolean {
  if (!flags.boolean('json')) return false;
  stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  return true;
}

/** Rows under a header, columns padded to their widest cell (the last one not padded). */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** `key  value` lines, keys padded to the longest. */
export function formatPairs(pairs: readonly (readonly [string, string])[], indent = ''): string {
  const width = Math.max(0, ...pairs.map(([key]) => key.length));
  return pairs.map(([key, value]) => `${indent}${key.padEnd(width)}  ${value}`.trimEnd()).join('\n') + '\n';
}

/** `yes` / `no`. */
export function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

/** A list for a cell: `a1, a2`, or `-` when empty or absent. */
export function listCell(items: readonly string[] | null | undefined): string {
  return items === null || items === undefined || items.length === 0 ? '-' : items.join(', ');
}
