// The configuration reference: a Markdown table generated from the one schema (config/schema.ts), one
// row per key with its environment variable, type, default and description, so the README can never
// drift from the code. `npm run docs:config` rewrites the README's table; `--check` only compares
// (exit 1 when the README is out of date); test/config-docs.test.ts fails on any difference.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { projectRoot } from '../proxy/version.js';
import { configLeaves } from './load.js';
import { DURATION_PATTERN, SIZE_PATTERN } from './units.js';

export const TABLE_START = '<!-- config-table:start -->';
export const TABLE_END = '<!-- config-table:end -->';

/** The parts of a JSON Schema (as zod 4 emits it) that the table shows. */
interface JsonSchema {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  pattern?: string;
  format?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
}

interface Row {
  key: string;
  env: string;
  type: string;
  default: string;
  description: string;
}

function code(text: string): string {
  return `\`${text}\``;
}

/** A table cell: one line, with the column separator escaped. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function integerType(schema: JsonSchema): string {
  const min = schema.minimum ?? (schema.exclusiveMinimum === undefined ? undefined : schema.exclusiveMinimum + 1);
  const max = schema.maximum === undefined || schema.maximum >= Number.MAX_SAFE_INTEGER ? undefined : schema.maximum;
  if (min !== undefined && max !== undefined) return `integer ${min}–${max}`;
  if (min !== undefined) return `integer ≥ ${min}`;
  if (max !== undefined) return `integer ≤ ${max}`;
  return 'integer';
}

function typeOf(schema: JsonSchema): string {
  if (schema.anyOf) {
    const text = schema.anyOf.find((option) => option.type === 'string' && option.pattern !== undefined);
    if (text?.pattern === SIZE_PATTERN.source) return 'size';
    if (text?.pattern === DURATION_PATTERN.source) return 'duration';
    return schema.anyOf.map(typeOf).join(' or ');
  }
  if (schema.const !== undefined) return code(String(schema.const));
  if (schema.enum) return schema.enum.map((value) => code(String(value))).join(' or ');
  switch (schema.type) {
    case 'integer':
      return integerType(schema);
    case 'string':
      return schema.format === 'uri' ? 'URL' : 'string';
    case 'array':
      return schema.items?.type === 'object' ? 'list of objects' : `list of ${typeOf(schema.items ?? {})}s`;
    default:
      return schema.type ?? 'any';
  }
}

function defaultOf(schema: JsonSchema, required: boolean): string {
  if (schema.default === undefined) return required ? 'required' : '';
  const value = schema.default;
  if (typeof value === 'string') return value === '' ? code('""') : code(value);
  return code(JSON.stringify(value));
}

/** Rows of the fields of one array's items (and of arrays nested in them), e.g. `circles[].nodes[].url`. */
function itemRows(prefix: string, items: JsonSchema): Row[] {
  const rows: Row[] = [];
  const required = new Set(items.required ?? []);
  for (const [name, field] of Object.entries(items.properties ?? {})) {
    const key = `${prefix}[].${name}`;
    rows.push({
      key,
      env: '',
      type: typeOf(field),
      default: defaultOf(field, required.has(name)),
      description: field.description ?? '',
    });
    if (field.type === 'array' && field.items?.type === 'object') rows.push(...itemRows(key, field.items));
  }
  return rows;
}

/** One row per configurable key, in schema order; arrays of objects are followed by their item fields. */
export function configRows(): Row[] {
  const rows: Row[] = [];
  for (const leaf of configLeaves()) {
    const schema = z.toJSONSchema(leaf.schema, { io: 'input' }) as JsonSchema;
    const key = leaf.path.join('.');
    rows.push({
      key,
      env: leaf.envName,
      type: typeOf(schema),
      default: defaultOf(schema, true),
      description: schema.description ?? '',
    });
    if (schema.type === 'array' && schema.items?.type === 'object') rows.push(...itemRows(key, schema.items));
  }
  return rows;
}

/** The Markdown table of every configuration key. */
export function buildConfigTable(): string {
  const lines = ['| key | environment variable | type | default | description |', '|---|---|---|---|---|'];
  for (const row of configRows()) {
    const env = row.env === '' ? '—' : code(row.env);
    lines.push(`| ${code(row.key)} | ${env} | ${cell(row.type)} | ${cell(row.default)} | ${cell(row.description)} |`);
  }
  return lines.join('\n');
}

function markers(readme: string): { start: number; end: number } {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start === -1 || end === -1 || end < start) {
    throw new Error(`README.md needs the markers ${TABLE_START} and ${TABLE_END} around the configuration table`);
  }
  return { start: start + TABLE_START.length, end };
}

/** The table between the README's markers, as it is now. */
export function readConfigTable(readme: string): string {
  const { start, end } = markers(readme);
  return readme.slice(start, end).trim();
}

/** The README with `table` between its markers. */
export function replaceConfigTable(readme: string, table: string): string {
  const { start, end } = markers(readme);
  return `${readme.slice(0, start)}\n${table}\n${readme.slice(end)}`;
}

export function readmePath(): string {
  return join(projectRoot(), 'README.md');
}

function main(argv: string[]): number {
  const file = readmePath();
  const readme = readFileSync(file, 'utf8');
  const updated = replaceConfigTable(readme, buildConfigTable());
  if (argv.includes('--check')) {
    if (updated === readme) return 0;
    process.stderr.write(`${file}: the configuration table is out of date; run \`npm run docs:config\`\n`);
    return 1;
  }
  if (updated === readme) {
    process.stdout.write(`${file}: the configuration table is up to date\n`);
  } else {
    writeFileSync(file, updated);
    process.stdout.write(`${file}: the configuration table was rewritten\n`);
  }
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`docs:config: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
