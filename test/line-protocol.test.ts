// The line-protocol scanner, row by row: each row is a request body and what the scanner must report
// for it (per line: valid with its measurement and whether it has a timestamp, or invalid with
// influxd's reason). The reasons and boundaries are influxd 1.6.7's, checked by hand against a real
// influxd (and again, automatically, by line-protocol-influxd.test.ts).
import { describe, expect, it } from 'vitest';
import { parseErrorMessage, scanLines, unescapeMeasurement } from '../proxy/line-protocol.js';

type Outcome =
  | { readonly line: string; readonly measurement: string; readonly hasTimestamp: boolean }
  | { readonly invalid: string; readonly reason: string };

interface Row {
  readonly name: string;
  readonly body: string;
  readonly precision?: string;
  readonly maxLineBytes?: number;
  readonly expected: readonly Outcome[];
}

const MiB = 1024 * 1024;
const OUT_OF_RANGE = 'time outside range -9223372036854775806 - 9223372036854775806';

function scan(body: string, precision = 'n', maxLineBytes = MiB): Outcome[] {
  const buf = Buffer.from(body);
  const outcomes: Outcome[] = [];
  scanLines(buf, { precision, maxLineBytes }, {
    line(start, end, measurementEnd, hasTimestamp) {
      outcomes.push({ line: buf.toString('utf8', start, end), measurement: buf.toString('utf8', start, measurementEnd), hasTimestamp });
    },
    invalid(start, end, reason) {
      outcomes.push({ invalid: buf.toString('utf8', start, end), reason });
    },
  });
  return outcomes;
}

/** A valid line; its measurement is everything before the first unescaped space or comma. */
function ok(line: string, measurement: string, hasTimestamp: boolean): Outcome {
  return { line, measurement, hasTimestamp };
}

function bad(line: string, reason: string): Outcome {
  return { invalid: line, reason };
}

/** A one-line body that must be valid. */
function valid(name: string, line: string, measurement: string, hasTimestamp: boolean, precision?: string): Row {
  return { name, body: line, precision, expected: [ok(line, measurement, hasTimestamp)] };
}

/** A one-line body that must be rejected with `reason`. */
function invalid(name: string, line: string, reason: string, precision?: string): Row {
  return { name, body: line, precision, expected: [bad(line, reason)] };
}

const measurementRows: Row[] = [
  valid('a plain measurement ends at the space', 'cpu v=1', 'cpu', false),
  valid('a measurement with tags ends at the first comma', 'cpu,host=a v=1 1', 'cpu', true),
  valid('an escaped space does not end the measurement', 'my\\ cpu v=1', 'my\\ cpu', false),
  valid('an escaped comma does not end the measurement', 'my\\,cpu,host=a v=1', 'my\\,cpu', false),
  valid('a plain backslash is part of the measurement', 'c:\\path v=1', 'c:\\path', false),
  valid('a double backslash is kept', 'm\\\\x v=1', 'm\\\\x', false),
  valid('an unescaped = belongs to the measurement', 'a=b v=1', 'a=b', false),
  valid('utf-8 measurement', 'ünïcode\\ m,t=ö v=1', 'ünïcode\\ m', false),
  invalid('a line starting with a comma has no measurement', ',m v=1', 'missing measurement'),
  invalid('a measurement alone has no fields', 'm', 'missing fields'),
  invalid('a measurement and tags alone have no fields', 'm,a=1', 'missing fields'),
  invalid('a backslash escapes the space after it even when escaped itself', 'm\\\\ v=1', 'missing fields'),
  invalid('an escaped space at the end of the measurement leaves no fields', 'trail\\ v=1', 'missing fields'),
];

const tagRows: Row[] = [
  valid('escaped space and comma in tag values', 'm,host=a\\ b,dc=x\\,y v=1', 'm', false),
  valid('escaped = in a tag key', 'm,k\\=ey=v v=1', 'm', false),
  valid('escaped = in a tag value', 'm,a=b\\=c v=1', 'm', false),
  invalid('a tag without a key', 'm,=x v=1', 'missing tag key'),
  invalid('a comma after the measurement and nothing else', 'm, v=1', 'missing tag key'),
  invalid('a tag key without =', 'm,a v=1', 'missing tag value'),
  invalid('a tag with an empty value', 'm,a= v=1', 'missing tag value'),
  invalid('an escaped backslash does not escape the = after it', 'm,t\\\\=x v=1', 'missing tag value'),
  invalid('an unescaped = in a tag value', 'm,a=b=c v=1', 'invalid tag format'),
  invalid('duplicate tags, sorted', 'm,a=1,a=2 v=1', 'duplicate tags'),
  invalid('duplicate tags, unsorted', 'm,b=1,a=2,b=3 v=1', 'duplicate tags'),
  invalid('duplicate tags, sorted but not adjacent', 'm,a=1,b=2,a=3 v=1', 'duplicate tags'),
  valid('unsorted tags without a duplicate', 'm,c=1,b=2,a=3 v=1', 'm', false),
];

const fieldRows: Row[] = [
  valid('float, integer, string and boolean fields', 'm f=1.5,i=-3i,s="x",b=t,B=FALSE,c=True 1', 'm', true),
  valid('a quoted string holds spaces, commas and =', 'm s="a b,c=d" 1', 'm', true),
  valid('escaped quotes inside a string', 'm s="say \\"hi\\""', 'm', false),
  valid('an escaped backslash before the closing quote', 'm s="a\\\\"', 'm', false),
  valid('an escaped = in a field key', 'm a\\=b=1', 'm', false),
  valid('scientific notation', 'm v=1e5,w=-1.5E-3', 'm', false),
  invalid('a field without a key', 'm =1', 'missing field key'),
  invalid('a second field without a key', 'm v=1,=2', 'missing field key'),
  invalid('a field without a value at the end', 'm v=', 'missing field value'),
  invalid('a field without a value before a comma', 'm v=,w=1', 'missing field value'),
  invalid('a field without =', 'm v', 'invalid field format'),
  invalid('a comma before the first field', 'm ,v=1', 'invalid field format'),
  invalid('only a space after the measurement', 'm ', 'invalid field format'),
  invalid('a trailing comma after the fields', 'm v=1,', 'invalid field format'),
  invalid('an escaped = is not a field separator', 'm f\\=1', 'invalid field format'),
  invalid('a string that is never closed', 'm v="abc', 'unbalanced quotes'),
  invalid('two decimal points', 'm v=1.2.3', 'invalid number'),
  invalid('digits after the integer suffix', 'm v=1i2', 'invalid number'),
  invalid('a minus sign alone', 'm v=-', 'invalid number'),
  invalid('unsigned integers are off in 1.x', 'm v=1u', 'invalid number'),
  invalid('an integer with a decimal point', 'm v=1.5i', 'invalid number'),
  invalid('an exponent without digits', 'm v=1e', 'invalid float'),
  invalid('a float beyond float64', 'm v=1e500', 'invalid float'),
  invalid('a truncated boolean', 'm v=tru', 'invalid boolean'),
  invalid('a word that is not a boolean', 'm v=yes', 'invalid boolean'),
  invalid('mixed-case boolean other than True/False', 'm v=tRUE', 'invalid boolean'),
  valid('the largest int64', 'm v=9223372036854775807i', 'm', false),
  valid('the smallest int64', 'm v=-9223372036854775808i', 'm', false),
  invalid(
    'an integer beyond int64',
    'm v=9999999999999999999i',
    'unable to parse integer 9999999999999999999: strconv.ParseInt: parsing "9999999999999999999": value out of range',
  ),
  invalid(
    'an integer one beyond int64',
    'm v=9223372036854775808i',
    'unable to parse integer 9223372036854775808: strconv.ParseInt: parsing "9223372036854775808": value out of range',
  ),
  invalid(
    'an integer one below int64',
    'm v=-9223372036854775809i',
    'unable to parse integer -9223372036854775809: strconv.ParseInt: parsing "-9223372036854775809": value out of range',
  ),
  valid('a float of 19 digits is fine without the integer suffix', 'm v=9999999999999999999', 'm', false),
  invalid('a field key ending in a backslash', 'm a\\\\=1', 'invalid value: field-key=a\\\\=1'),
  invalid('a second field key ending in a backslash, after a string', 'm v="a\\\\",b\\\\=1', 'invalid value: field-key=b\\\\=1'),
  valid('a field key ending in a backslash followed by another field', 'm a\\\\=1,b=2', 'm', false),
];

const timestampRows: Row[] = [
  valid('a line without a timestamp', 'm v=1', 'm', false),
  valid('a trailing space is not a timestamp', 'm v=1 ', 'm', false),
  valid('a timestamp after two spaces', 'm v=1  1', 'm', true),
  valid('spaces after the timestamp', 'm v=1 1 ', 'm', true),
  valid('a negative timestamp', 'm v=1 -1', 'm', true),
  invalid('letters in the timestamp', 'm v=1 1x', 'bad timestamp'),
  invalid('a minus sign after digits', 'm v=1 1-', 'bad timestamp'),
  invalid('two minus signs', 'm v=1 --1', 'bad timestamp'),
  invalid('a tab after the timestamp', 'm v=1 1\t', 'bad timestamp'),
  invalid('a tab is not a field separator', 'm v=1\t1', 'invalid number'),
  invalid('a minus sign alone', 'm v=1 -', 'strconv.ParseInt: parsing "-": invalid syntax'),
  invalid('a second timestamp', 'm v=1 1 2', 'point is invalid'),
  invalid('a timestamp beyond int64', 'm v=1 99999999999999999999', 'strconv.ParseInt: parsing "99999999999999999999": value out of range'),
  invalid(
    'a timestamp beyond int64 is a parse error in any precision',
    'm v=1 99999999999999999999',
    'strconv.ParseInt: parsing "99999999999999999999": value out of range',
    's',
  ),
];

/** The last valid and first invalid timestamp of each precision, on both sides of zero. */
const PRECISION_LIMITS: readonly (readonly [precision: string, last: string])[] = [
  ['n', '9223372036854775806'],
  ['ns', '9223372036854775806'],
  ['x', '9223372036854775806'],
  ['', '9223372036854775806'],
  ['u', '9223372036854775'],
  ['ms', '9223372036854'],
  ['s', '9223372036'],
  ['m', '153722867'],
  ['h', '2562047'],
];

const precisionRows: Row[] = PRECISION_LIMITS.flatMap(([precision, last]) => {
  const first = (BigInt(last) + 1n).toString();
  const label = precision === '' ? 'an empty precision (ns)' : `precision ${precision}`;
  return [
    valid(`${label}: ${last} is the last valid timestamp`, `m v=1 ${last}`, 'm', true, precision),
    invalid(`${label}: ${first} is out of range`, `m v=1 ${first}`, OUT_OF_RANGE, precision),
    valid(`${label}: -${last} is the first valid timestamp`, `m v=1 -${last}`, 'm', true, precision),
    invalid(`${label}: -${first} is out of range`, `m v=1 -${first}`, OUT_OF_RANGE, precision),
  ];
});

precisionRows.push(
  invalid('precision n: int64 max is out of range', 'm v=1 9223372036854775807', OUT_OF_RANGE, 'n'),
  invalid('precision s: 9223372037 is out of range', 'm v=1 9223372037', OUT_OF_RANGE, 's'),
  valid('an unknown precision is ns: 9223372037 is fine', 'm v=1 9223372037', 'm', true, 'x'),
  valid('precision s: a 10-digit timestamp of today', 'm v=1 1700000000', 'm', true, 's'),
  valid('precision n: a 19-digit timestamp of today', 'm v=1 1700000000000000000', 'm', true, 'n'),
  valid('precision n: leading zeros', 'm v=1 0000000000000000000009', 'm', true, 'n'),
);

const bodyRows: Row[] = [
  {
    name: 'several lines, each reported in order',
    body: 'a v=1\nb,t=x v=2 3\nc v=\n',
    expected: [ok('a v=1', 'a', false), ok('b,t=x v=2 3', 'b', true), bad('c v=', 'missing field value')],
  },
  {
    name: 'a newline inside a quoted field value does not end the line',
    body: 'm s="line1\nline2",v=1 5\nm2 v=2',
    expected: [ok('m s="line1\nline2",v=1 5', 'm', true), ok('m2 v=2', 'm2', false)],
  },
  {
    name: 'a newline in a quoted tag value ends the line (quotes only count in fields)',
    body: 'm,t="a\nb" v=1',
    expected: [bad('m,t="a', 'missing fields'), ok('b" v=1', 'b"', false)],
  },
  {
    name: 'an unclosed quote runs to the end of the body',
    body: 'm s="x\nm2 v=2\n',
    expected: [bad('m s="x\nm2 v=2', 'unbalanced quotes')],
  },
  {
    name: 'an escaped quote does not open a string, so the newline ends the line',
    body: 'm s=\\"x\nm2 v=2',
    expected: [bad('m s=\\"x', 'invalid boolean'), ok('m2 v=2', 'm2', false)],
  },
  {
    name: 'comment lines are skipped',
    body: '# a comment\nm v=1\n#m v=2\n   # indented comment\n',
    expected: [ok('m v=1', 'm', false)],
  },
  {
    name: 'blank and whitespace-only lines are skipped',
    body: '\n\nm v=1\n   \n\t\n \t \nm v=2\n\n',
    expected: [ok('m v=1', 'm', false), ok('m v=2', 'm', false)],
  },
  {
    name: 'leading spaces and tabs are not part of the line',
    body: '  m v=1\n\t\tm v=2',
    expected: [ok('m v=1', 'm', false), ok('m v=2', 'm', false)],
  },
  {
    name: 'an empty body has no lines',
    body: '',
    expected: [],
  },
  {
    name: 'CRLF line endings are accepted: the \\r is stripped (influxd rejects it, on purpose)',
    body: 'm v=1\r\nm,t=a v=2 3\r\n',
    expected: [ok('m v=1', 'm', false), ok('m,t=a v=2 3', 'm', true)],
  },
  {
    name: 'CRLF after a quoted string',
    body: 'm s="a b"\r\nm v=1\r\n',
    expected: [ok('m s="a b"', 'm', false), ok('m v=1', 'm', false)],
  },
  {
    name: 'a backslash before the newline escapes it: both lines become one',
    body: 'm v=1,s="a"\\\nm v=2',
    expected: [bad('m v=1,s="a"\\\nm v=2', 'bad timestamp')],
  },
  {
    name: 'the good lines around a bad one are reported as good',
    body: 'a v=1\nbad\nb v=2',
    expected: [ok('a v=1', 'a', false), bad('bad', 'missing fields'), ok('b v=2', 'b', false)],
  },
];

// influxd's MaxKeyLength (65535) applies to the series key (measurement and tags) and to the series
// key plus `#!~#` plus each field key.
const keyLengthRows: Row[] = [
  invalid('a series key of 65536 bytes', `m,t=${'x'.repeat(65532)} v=1`, 'max key length exceeded: 65536 > 65535'),
  invalid('a series key of 65535 bytes is too long with its field', `m,t=${'x'.repeat(65531)} v=1`, 'max key length exceeded: 65540 > 65535'),
  valid('a series key and field of 65535 bytes together', `m,t=${'x'.repeat(65526)} v=1`, 'm', false),
  invalid('a field key making the key 65536 bytes', `m ${'f'.repeat(65531)}=1`, 'max key length exceeded: 65536 > 65535'),
  valid('a field key making the key 65535 bytes', `m ${'f'.repeat(65530)}=1`, 'm', false),
  invalid('a second field key that is too long', `m v=1,${'f'.repeat(65531)}=1`, 'max key length exceeded: 65536 > 65535'),
];

const lineLengthRows: Row[] = [
  {
    name: 'a line of exactly maxLineBytes is accepted',
    body: 'm v=123456',
    maxLineBytes: 10,
    expected: [ok('m v=123456', 'm', false)],
  },
  {
    name: 'a line longer than maxLineBytes is rejected, the others are kept',
    body: 'm v=1\nmeasurement v=12345\nm v=2',
    maxLineBytes: 10,
    expected: [ok('m v=1', 'm', false), bad('measurement v=12345', 'line too long: 19 bytes, the limit is 10'), ok('m v=2', 'm', false)],
  },
  {
    name: 'the line length does not count leading whitespace or the CRLF',
    body: '   m v=123456\r\n',
    maxLineBytes: 10,
    expected: [ok('m v=123456', 'm', false)],
  },
  {
    name: 'a too-long line is rejected even when it is also malformed',
    body: 'this is not line protocol',
    maxLineBytes: 10,
    expected: [bad('this is not line protocol', 'line too long: 25 bytes, the limit is 10')],
  },
];

describe('scanLines', () => {
  const tables: [string, Row[]][] = [
    ['measurement', measurementRows],
    ['tags', tagRows],
    ['fields', fieldRows],
    ['timestamp', timestampRows],
    ['precision', precisionRows],
    ['line boundaries', bodyRows],
    ['key length', keyLengthRows],
    ['line length', lineLengthRows],
  ];
  for (const [table, rows] of tables) {
    describe(table, () => {
      it.each(rows)('$name', (row) => {
        expect(scan(row.body, row.precision ?? 'n', row.maxLineBytes ?? MiB)).toEqual(row.expected);
      });
    });
  }

  it('gives the same answers for a body of every row as for each row alone', () => {
    // The scanner keeps per-line results and cached quote/backslash positions across lines: one
    // body holding many lines must not let one line's state leak into the next.
    // (Unclosed quotes are left out: they run to the end of the body, swallowing the rows after them.)
    const rows = [...measurementRows, ...tagRows, ...fieldRows, ...timestampRows].filter(
      (row) => row.precision === undefined && !row.expected.some((outcome) => 'reason' in outcome && outcome.reason === 'unbalanced quotes'),
    );
    const body = rows.map((row) => row.body).join('\n');
    expect(scan(body)).toEqual(rows.flatMap((row) => row.expected));
  });
});

describe('unescapeMeasurement', () => {
  // The measurement name as influxd 1.6.7 stores it: the name a SELECT finds the line's points
  // under (checked against a real influxd). influxd's escape.Unescape turns `\,` `\ ` `\=` and `\"`
  // into the bare byte and keeps every other backslash.
  const rows: { escaped: string; stored: string }[] = [
    { escaped: 'cpu', stored: 'cpu' },
    { escaped: 'my\\ cpu', stored: 'my cpu' },
    { escaped: 'my\\,cpu', stored: 'my,cpu' },
    { escaped: 'a\\,b\\ c', stored: 'a,b c' },
    { escaped: 'c:\\path', stored: 'c:\\path' },
    { escaped: 'm\\\\x', stored: 'm\\\\x' },
    { escaped: 'ünï\\ code', stored: 'ünï code' },
    { escaped: 'a=b', stored: 'a=b' },
    { escaped: 'a\\=b', stored: 'a=b' },
    { escaped: 'q\\"r', stored: 'q"r' },
  ];
  it.each(rows)('$escaped is stored as $stored', ({ escaped, stored }) => {
    const buf = Buffer.from(`xx${escaped} v=1`);
    expect(unescapeMeasurement(buf, 2, 2 + Buffer.byteLength(escaped))).toBe(stored);
  });
});

describe('parseErrorMessage', () => {
  it('is influxd\'s text: the line in quotes, then the reason', () => {
    const buf = Buffer.from('ok v=1\nm v=tru\n');
    expect(parseErrorMessage(buf, 7, 14, 'invalid boolean')).toBe("unable to parse 'm v=tru': invalid boolean");
  });

  it('keeps newlines and quotes of the line as they are', () => {
    const line = 'm s="a\nb\'c'; // unbalanced quotes
    expect(parseErrorMessage(Buffer.from(line), 0, Buffer.byteLength(line), 'unbalanced quotes')).toBe(`unable to parse '${line}': unbalanced quotes`);
  });

  it('echoes a long line whole, as influxd does', () => {
    const line = `m v="${'x'.repeat(5000)}`;
    const message = parseErrorMessage(Buffer.from(line), 0, line.length, 'unbalanced quotes');
    expect(message).toBe(`unable to parse '${line}': unbalanced quotes`);
  });

  it('echoes only the start of a line over maxLineBytes, and says so', () => {
    const line = `m v="${'x'.repeat(5000)}"`;
    const got = scan(line, 'n', 2000);
    expect(got).toEqual([{ invalid: line.slice(0, 1024), reason: `line too long: ${line.length} bytes, the limit is 2000 (shown cut at 1024 bytes)` }]);
  });
});

describe('tag counts influxd 1.x cannot parse', () => {
  // influxd 1.6.7's tag scanner fails on exactly 100, 200, 400… tags (the whole request gets a bare
  // 500); the proxy refuses such a line with a 400 instead of sending it to every circle.
  const line = (tags: number): string => `m,${Array.from({ length: tags }, (_, i) => `t${String(i).padStart(3, '0')}=x`).join(',')} v=1`;
  it.each([1, 99, 101, 199, 201, 300])('%i tags are fine', (tags) => {
    expect(scan(line(tags))).toEqual([ok(line(tags), 'm', false)]);
  });
  it.each([100, 200, 400])('exactly %i tags are refused', (tags) => {
    expect(scan(line(tags))).toEqual([
      bad(line(tags), `exactly ${tags} tags: influxd 1.x cannot parse a line with 100, 200, 400… tags (one more or one less is fine)`),
    ]);
  });
});
