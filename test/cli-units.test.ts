// The pure parts of the `influxring` CLI, table-driven: the CSV parser (quotes, line breaks, line
// numbers, any split of the input), times, field types and values, the flag parser, tables, job
// progress; and docs/cli.md, which must name every command and every error code.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, findCommand } from '../cli/commands.js';
import { CsvParser, type CsvRecord } from '../cli/csv-reader.js';
import { CLI_ERRORS } from '../cli/errors.js';
import { fieldText, inferFieldType, type FieldType } from '../cli/field-value.js';
import { parseFlags, type FlagSpec } from '../cli/flags.js';
import { closest } from '../cli/help.js';
import { formatJobLine, jobSubject, progressText } from '../cli/job-progress.js';
import { formatTable } from '../cli/output.js';
import { parseTime, type Precision, type TimeFormat } from '../cli/time-value.js';
import { projectRoot } from '../proxy/version.js';

function parseCsv(text: string, pieces: number = 1): CsvRecord[] {
  const parser = new CsvParser();
  const out: CsvRecord[] = [];
  const size = Math.ceil(text.length / pieces) || 1;
  for (let i = 0; i < text.length; i += size) parser.push(text.slice(i, i + size), out);
  parser.end(out);
  return out;
}

describe('CSV parser', () => {
  it.each([
    ['plain', 'a,b\n1,2\n', [[['a', 'b'], 1, null], [['1', '2'], 2, null]]],
    ['no final newline', 'a,b\n1,2', [[['a', 'b'], 1, null], [['1', '2'], 2, null]]],
    ['CRLF and CR', 'a,b\r\n1,2\r3,4\r\n', [[['a', 'b'], 1, null], [['1', '2'], 2, null], [['3', '4'], 3, null]]],
    ['empty cells', 'a,,c\n,,\n', [[['a', '', 'c'], 1, null], [['', '', ''], 2, null]]],
    ['quoted comma and quote', 'x,"a, ""b"""\n', [[['x', 'a, "b"'], 1, null]]],
    ['quoted line breaks count as lines', 'h\n"one\ntwo\nthree"\nnext\n', [[['h'], 1, null], [['one\ntwo\nthree'], 2, null], [['next'], 5, null]]],
    ['blank lines skipped, still counted', 'h\n\n\nv\n', [[['h'], 1, null], [['v'], 4, null]]],
    ['quote inside an unquoted field is text', 'a"b,c\n', [[['a"b', 'c'], 1, null]]],
    ['UTF-8 text', 'ville,°C\nZürich,"−3,5"\n', [[['ville', '°C'], 1, null], [['Zürich', '−3,5'], 2, null]]],
    ['text after a closing quote', '"ab"c,d\n', [[['abc', 'd'], 1, 'text after the closing quote of field 1']]],
    ['a quote left open', 'h\n"abc\n', [[['h'], 1, null], [['abc\n'], 2, 'the quoted field 1 is not closed before the end of the file']]],
  ])('%s', (_name, text, expected) => {
    const want = expected.map(([cells, line, error]) => ({ cells, line, error }));
    expect(parseCsv(text)).toEqual(want);
    // the same records however the input is split into pieces
    for (let pieces = 2; pieces <= text.length; pieces++) expect(parseCsv(text, pieces), `in ${pieces} pieces`).toEqual(want);
  });

  it('counts the lines read', () => {
    const parser = new CsvParser();
    parser.push('a\n"b\nc"\nd', []);
    expect(parser.linesRead).toBe(4);
  });

  it('stops on a record longer than the limit', () => {
    const parser = new CsvParser({ maxRecordChars: 10 });
    const out: CsvRecord[] = [];
    parser.push('h\n"0123456789012', out);
    expect(out).toHaveLength(1);
    expect(parser.overflow?.message).toMatch(/^line 2: a row longer than 10 characters/);
  });
});

describe('times', () => {
  it.each<[string, TimeFormat, Precision, string]>([
    ['2024-05-01T12:00:00Z', 'auto', 'ns', '1714564800000000000'],
    ['2024-05-01 12:00:00Z', 'auto', 'ns', '1714564800000000000'],
    ['2024-05-01T12:00:00.123456789Z', 'auto', 'ns', '1714564800123456789'],
    ['2024-05-01T14:00:00.5+02:00', 'auto', 's', '1714564800500000000'],
    ['1969-12-31T23:59:59Z', 'rfc3339', 'ns', '-1000000000'],
    ['1714564800', 'auto', 's', '1714564800000000000'],
    ['1714564800123', 'auto', 'ms', '1714564800123000000'],
    ['  1714564800123456  ', 'us', 'ns', '1714564800123456000'],
    ['-5', 's', 'ns', '-5000000000'],
    ['0', 'auto', 's', '0'],
    ['2262-04-11T23:47:16.854775806Z', 'auto', 'ns', '9223372036854775806'],
  ])('%s (%s, %s) → %s ns', (cell, format, precision, nanos) => {
    expect(parseTime(cell, format, precision)).toEqual({ nanos });
  });

  it.each<[string, TimeFormat, string]>([
    ['', 'auto', 'empty'],
    ['yesterday', 'auto', 'syntax'],
    ['2024-05-01', 'auto', 'syntax'],
    ['2024-02-30T00:00:00Z', 'auto', 'date'],
    ['2024-05-01T24:00:00Z', 'auto', 'date'],
    ['1.5', 's', 'syntax'],
    ['1714564800', 'rfc3339', 'syntax'],
    ['9223372036854775807', 'ns', 'range'],
    ['9999999999999', 's', 'range'],
    ['2262-04-11T23:47:16.854775807Z', 'auto', 'range'],
  ])('%j (%s) is refused: %s', (cell, format, problem) => {
    expect(parseTime(cell, format, 'ns')).toEqual({ problem });
  });
});

describe('field types', () => {
  it.each<[string[], FieldType | null]>([
    [['1', '2.5', '-3e2', '.5'], 'float'],
    [['1', '2', '3'], 'float'],
    [['true', 'False', 't', 'F'], 'boolean'],
    [['abc', 'def'], 'string'],
    [['1', '2', 'abc'], 'float'],
    [['1', 'abc', 'def'], 'string'],
    [['1', 'true'], 'string'],
    [['', '  ', '3'], 'float'],
    [['', ''], null],
    [[], null],
  ])('%j → %s', (values, type) => {
    expect(inferFieldType(values)).toBe(type);
  });

  it.each<[FieldType, string, string | null]>([
    ['float', '12.50', '12.5'],
    ['float', ' 1e3 ', '1000'],
    ['float', 'abc', null],
    ['float', '1e999', null],
    ['integer', '42', '42i'],
    ['integer', '-007', '-7i'],
    ['integer', '9223372036854775807', '9223372036854775807i'],
    ['integer', '9223372036854775808', null],
    ['integer', '-9223372036854775808', '-9223372036854775808i'],
    ['integer', '2.5', null],
    ['boolean', 'TRUE', 'true'],
    ['boolean', 'f', 'false'],
    ['boolean', 'yes', null],
    ['string', 'say "hi" \\ bye', '"say \\"hi\\" \\\\ bye"'],
  ])('%s %j → %s', (type, cell, text) => {
    expect(fieldText(type, cell)).toBe(text);
  });
});

describe('flags', () => {
  const specs: FlagSpec[] = [
    { name: 'db', kind: 'string', help: '' },
    { name: 'tag', kind: 'string', repeated: true, help: '' },
    { name: 'json', kind: 'boolean', help: '' },
  ];

  it('parses values, repeated flags, booleans, positionals and --', () => {
    const flags = parseFlags(['FILE', '--db', 'demo', '--tag=a', '--tag', 'b', '--json', '--', '--not-a-flag'], specs);
    expect(flags.positionals).toEqual(['FILE', '--not-a-flag']);
    expect(flags.string('db')).toBe('demo');
    expect(flags.strings('tag')).toEqual(['a', 'b']);
    expect(flags.boolean('json')).toBe(true);
    expect(parseFlags(['--json=false'], specs).boolean('json')).toBe(false);
    expect(parseFlags(['-'], specs).positionals).toEqual(['-']);
    expect(parseFlags(['-h'], specs).help).toBe(true);
  });

  it.each([
    [['--dbb', 'x'], 'unknown option --dbb'],
    [['--db'], '--db needs a value'],
    [['--db', '--json'], '--db needs a value (got --json; write --db=--json if that is the value)'],
    [['--db', 'a', '--db', 'b'], '--db given more than once'],
    [['--json=maybe'], '--json takes no value, or true/false (got "maybe")'],
  ])('%j → %s', (args, message) => {
    expect(() => parseFlags(args, specs)).toThrow(message);
  });
});

describe('commands', () => {
  it('finds two-word commands before one-word ones', () => {
    expect(findCommand(['nodes', 'add', '--name', 'x'])?.command.name).toBe('nodes add');
    expect(findCommand(['nodes', '--json'])?.command.name).toBe('nodes');
    expect(findCommand(['jobs', 'show', '3'])).toMatchObject({ command: { name: 'jobs show' }, rest: ['3'] });
    expect(findCommand(['nope'])).toBeNull();
  });

  it('suggests the closest command name', () => {
    expect(closest('stauts', ['status', 'nodes'])).toBe('status');
    expect(closest('xyz', ['status', 'nodes'])).toBeNull();
  });

  it('every command declares each flag once', () => {
    for (const command of COMMANDS) {
      const names = command.flags.map((flag) => flag.name);
      expect(new Set(names).size, command.name).toBe(names.length);
    }
  });
});

describe('output', () => {
  it('aligns a table, the last column unpadded', () => {
    expect(formatTable(['A', 'LONGER'], [['xyz', '1'], ['x', '']])).toBe('A    LONGER\nxyz  1\nx\n');
  });

  it('tells a job in words', () => {
    const job = { id: '7', type: 'rebalance' as const, node: null, circles: ['circle-a'], state: 'active' as const, cancelRequested: false, progress: { step: 'copy', done: 3, total: 10, points: 12345 } };
    expect(jobSubject(job)).toBe('rebalance of circle circle-a');
    expect(jobSubject({ ...job, type: 'recovery', node: 'a1' })).toBe('recovery of node a1');
    expect(progressText(job)).toBe('copy 3/10 (30%), 12,345 points');
    expect(progressText({ progress: null })).toBe('-');
    expect(formatJobLine({ ...job, createdAt: '', startedAt: null, finishedAt: null, failedReason: null, result: null })).toBe('job 7: running, copy 3/10 (30%), 12,345 points');
  });
});

describe('docs/cli.md', () => {
  const docs = readFileSync(join(projectRoot(), 'docs', 'cli.md'), 'utf8');

  it.each(Object.entries(CLI_ERRORS))('documents %s with its exit status', (code, definition) => {
    expect(docs, `add a row for ${code} to the error table of docs/cli.md`).toMatch(new RegExp(`^\\| \`${code}\` \\| ${definition.exitCode} \\|`, 'm'));
  });

  it.each(COMMANDS.map((command) => command.name))('has an example of influxring %s', (name) => {
    expect(docs).toContain(`influxring ${name}`);
  });
});
