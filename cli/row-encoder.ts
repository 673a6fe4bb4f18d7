// One CSV row → one line of line protocol, following the column plan: measurement, tags (empty values
// left out), fields (empty values left out), nanosecond timestamp. A row that cannot become a point
// gives null and `reason` says why, in words that name the column and the value.
import type { ColumnPlan } from './column-plan.js';
import { describeFieldProblem, fieldText, inferFieldType, isEmptyCell } from './field-value.js';
import { escapeKey, escapeMeasurement, unwritableMeasurement, unwritableTag } from './line-protocol-writer.js';
import { describeTimeProblem, parseTime, type Precision, type TimeFormat } from './time-value.js';

export class RowEncoder {
  /** Why the last `encode` gave null. */
  reason = '';
  private readonly plan: ColumnPlan;
  private readonly timeFormat: TimeFormat;
  private readonly precision: Precision;

  constructor(plan: ColumnPlan, timeFormat: TimeFormat, precision: Precision) {
    this.plan = plan;
    this.timeFormat = timeFormat;
    this.precision = precision;
  }

  /** The line for `cells` (without a newline), or null (see `reason`). */
  encode(cells: readonly string[]): string | null {
    const plan = this.plan;
    if (cells.length !== plan.columns.length) return this.fail(`${cells.length} cell${cells.length === 1 ? '' : 's'}, but the header has ${plan.columns.length}`);

    const timeCell = cells[plan.timeIndex] as string;
    const time = parseTime(timeCell, this.timeFormat, this.precision);
    if ('problem' in time) return this.fail(describeTimeProblem(time.problem, timeCell, this.timeFormat));

    let line: string;
    if (plan.measurement !== null) {
      line = plan.measurement;
    } else {
      const name = cells[plan.measurementIndex] as string;
      const why = unwritableMeasurement(name);
      if (why !== null) return this.fail(name === '' ? `measurement column "${plan.columns[plan.measurementIndex]}" is empty` : `measurement '${name}' ${why}`);
      line = escapeMeasurement(name);
    }

    for (const tag of plan.tags) {
      const value = cells[tag.index] as string;
      if (value === '') continue;
      const why = unwritableTag(value);
      if (why !== null) return this.fail(`tag "${tag.name}" value '${value}' ${why}`);
      line += tag.prefix + escapeKey(value);
    }

    let separator = ' ';
    for (const field of plan.fields) {
      const cell = cells[field.index] as string;
      if (isEmptyCell(field.type, cell)) continue;
      // A column without a value in the first rows takes the type of its first value.
      const type = field.type ?? (field.type = inferFieldType([cell]) ?? 'string');
      const text = fieldText(type, cell);
      if (text === null) {
        const hint = field.declared ? '' : ` (its type, ${type}, was inferred from the column's first values; set another with --field-type ${field.name}=string)`;
        return this.fail(`field "${field.name}": ${describeFieldProblem(type, cell)}${hint}`);
      }
      line += separator + field.prefix + text;
      separator = ',';
    }
    if (separator === ' ') return this.fail('no field has a value (every field cell is empty)');

    return `${line} ${time.nanos}`;
  }

  private fail(reason: string): null {
    this.reason = reason;
    return null;
  }
}
