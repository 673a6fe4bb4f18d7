// What each CSV column becomes — the time, the measurement, a tag, a field or nothing — decided once
// from the header and the options, with every key escaped here so rows only escape their values.
// Problems a header can have (a named column missing, a column used twice, a name line protocol
// cannot carry) are reported before anything is sent.
import { CliError } from './errors.js';
import { inferFieldType, type FieldType } from './field-value.js';
import type { ImportOptions } from './import-options.js';
import { escapeKey, escapeMeasurement, unwritableFieldKey, unwritableMeasurement, unwritableTag } from './line-protocol-writer.js';

export interface TagColumn {
  readonly index: number;
  readonly name: string;
  /** `,<escaped key>=`, written before the value. */
  readonly prefix: string;
}

export interface FieldColumn {
  readonly index: number;
  readonly name: string;
  /** `<escaped key>=`, written before the value. */
  readonly prefix: string;
  /** The type; null until it is inferred (from the first values, or from the first value seen). */
  type: FieldType | null;
  /** Given with --field-type (else inferred). */
  readonly declared: boolean;
}

export interface ColumnPlan {
  /** The header, names trimmed. */
  readonly columns: readonly string[];
  readonly timeIndex: number;
  /** The escaped measurement of every point, or null when it comes from `measurementIndex`. */
  readonly measurement: string | null;
  readonly measurementIndex: number;
  /** Tags in key order (the order influxd keeps them in). */
  readonly tags: readonly TagColumn[];
  readonly fields: readonly FieldColumn[];
}

function columnsError(message: string): CliError {
  return new CliError('IRX_ERR_CLI_COLUMNS', message);
}

function listColumns(columns: readonly string[]): string {
  const shown = columns.slice(0, 20).map((c) => (c === '' ? '(unnamed)' : c));
  return shown.join(', ') + (columns.length > shown.length ? `, … (${columns.length} in all)` : '');
}

/** Decides what every column becomes; IRX_ERR_CLI_COLUMNS when the header and the options disagree. */
export function planColumns(header: readonly string[], options: ImportOptions, inputName: string): ColumnPlan {
  const columns = header.map((name) => name.trim());
  const indexOf = (flag: string, name: string): number => {
    const found = columns.indexOf(name);
    if (found === -1) {
      const hint = flag === 'time column' ? '; name the time column with --time COL' : '';
      throw columnsError(`${flag} "${name}": no such column in ${inputName} (its columns: ${listColumns(columns)})${hint}`);
    }
    if (columns.indexOf(name, found + 1) !== -1) throw columnsError(`${flag} "${name}": ${inputName} has two columns of that name`);
    return found;
  };

  const timeIndex = indexOf(options.timeColumn === 'time' ? 'time column' : '--time', options.timeColumn);
  let measurement: string | null = null;
  let measurementIndex = -1;
  if (options.measurement !== null) {
    const why = unwritableMeasurement(options.measurement);
    if (why !== null) throw columnsError(`--measurement "${options.measurement}" ${why}`);
    measurement = escapeMeasurement(options.measurement);
  } else if (options.measurementColumn !== null) {
    measurementIndex = indexOf('--measurement-column', options.measurementColumn);
  }

  const role = new Map<number, string>([[timeIndex, 'the time column']]);
  if (measurementIndex !== -1) role.set(measurementIndex, 'the measurement column');
  const claim = (index: number, what: string): void => {
    const taken = role.get(index);
    if (taken !== undefined) throw columnsError(`column "${columns[index]}" cannot be ${what}: it is ${taken}`);
    role.set(index, what);
  };
  const checkKey = (name: string, what: string, why: string | null): void => {
    if (name === '') throw columnsError(`an unnamed column cannot be ${what}; name it in the header, or list the fields with --field`);
    if (why !== null) throw columnsError(`column "${name}" cannot be ${what}: its name ${why}`);
    if (name === 'time') throw columnsError(`column "time" cannot be ${what}: InfluxDB reserves the key "time"`);
  };

  const tags: TagColumn[] = [];
  for (const name of options.tags) {
    const index = indexOf('--tag', name);
    claim(index, 'a tag');
    checkKey(name, 'a tag', name === '' ? null : unwritableTag(name));
    tags.push({ index, name, prefix: `,${escapeKey(name)}=` });
  }
  tags.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));

  const fieldIndexes = options.fields === null ? columns.map((_, i) => i).filter((i) => !role.has(i)) : options.fields.map((name) => indexOf('--field', name));
  if (options.fields === null) {
    const names = fieldIndexes.map((i) => columns[i] as string);
    const twice = names.find((name, i) => names.indexOf(name) !== i);
    if (twice !== undefined) throw columnsError(`${inputName} has two columns named "${twice}"; list the fields to write with --field`);
  }
  const fields: FieldColumn[] = [];
  for (const index of fieldIndexes) {
    const name = columns[index] as string;
    claim(index, 'a field');
    checkKey(name, 'a field', name === '' ? null : unwritableFieldKey(name));
    const declared = options.fieldTypes.get(name);
    fields.push({ index, name, prefix: `${escapeKey(name)}=`, type: declared ?? null, declared: declared !== undefined });
  }
  for (const name of options.fieldTypes.keys()) {
    if (!fields.some((field) => field.name === name)) {
      throw columnsError(`--field-type "${name}": not a field column (fields: ${fields.map((f) => f.name).join(', ') || 'none'})`);
    }
  }
  if (fields.length === 0) throw columnsError(`no field columns in ${inputName}: every column is the time, the measurement or a tag; a point needs a field`);

  return { columns, timeIndex, measurement, measurementIndex, tags, fields };
}

/**
 * Infers the type of every field column not declared, from the values of `rows` (the first rows of the
 * file). Columns without a value there stay null and take the type of their first value later.
 */
export function inferTypes(plan: ColumnPlan, rows: readonly (readonly string[])[]): void {
  for (const field of plan.fields) {
    if (field.type !== null) continue;
    field.type = inferFieldType(rows.map((cells) => cells[field.index] ?? ''));
  }
}

/** `value float, note string (inferred), …`: the types used, for the summary. */
export function describeFieldTypes(plan: ColumnPlan): string {
  return plan.fields.map((field) => `${field.name} ${field.type ?? 'none (no value)'}${field.declared ? '' : ' (inferred)'}`).join(', ');
}
