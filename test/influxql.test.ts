// The InfluxQL tokenizer, the statement splitter and the statement analysis, row by row. What influxd
// 1.6.7 does was checked by hand against a real influxd: which `/` starts a regex, which escapes a
// quoted identifier or string takes, how a duration is scanned, which statements exist and what their
// clauses are.
import { describe, expect, it } from 'vitest';
import {
  analyzeStatement,
  hasSubquery,
  rewriteClauses,
  selectMeasurements,
  StatementError,
  type Clause,
  type Clauses,
  type MeasurementRef,
  type Statement,
} from '../proxy/influxql-statement.js';
import { quoteIdent, splitStatements, tokenize, TokenizeError, type StatementText, type TokenType } from '../proxy/influxql-tokens.js';

// ---------------------------------------------------------------------------------------------------
// Splitting a query into statements

interface SplitRow {
  readonly name: string;
  readonly query: string;
  /** The text of each statement, in order. */
  readonly statements: readonly string[];
}

const splitRows: readonly SplitRow[] = [
  { name: 'one statement', query: 'SHOW DATABASES', statements: ['SHOW DATABASES'] },
  { name: 'two statements, text trimmed', query: '  SHOW DATABASES ;\n SHOW MEASUREMENTS  ', statements: ['SHOW DATABASES', 'SHOW MEASUREMENTS'] },
  {
    name: '; inside a single-quoted string',
    query: "SELECT v FROM m WHERE t = 'a;b'; SHOW DATABASES",
    statements: ["SELECT v FROM m WHERE t = 'a;b'", 'SHOW DATABASES'],
  },
  {
    name: '; inside a string with an escaped quote before it',
    query: "SELECT v FROM m WHERE t = 'it\\'s;x'; SHOW DATABASES",
    statements: ["SELECT v FROM m WHERE t = 'it\\'s;x'", 'SHOW DATABASES'],
  },
  {
    name: '; inside double-quoted identifiers',
    query: 'SELECT "a;b" FROM "m;n"; SHOW DATABASES',
    statements: ['SELECT "a;b" FROM "m;n"', 'SHOW DATABASES'],
  },
  {
    name: '; inside an identifier with an escaped double quote before it',
    query: 'SELECT "a\\";b" FROM m; SHOW DATABASES',
    statements: ['SELECT "a\\";b" FROM m', 'SHOW DATABASES'],
  },
  { name: '; inside a regex after FROM', query: 'SELECT v FROM /a;b/; SHOW DATABASES', statements: ['SELECT v FROM /a;b/', 'SHOW DATABASES'] },
  {
    name: '; inside a regex after =~',
    query: 'SELECT v FROM m WHERE t =~ /a;b/ ; SHOW DATABASES',
    statements: ['SELECT v FROM m WHERE t =~ /a;b/', 'SHOW DATABASES'],
  },
  {
    name: '; inside a regex after !~',
    query: 'SELECT v FROM m WHERE t !~ /a;b/;SHOW DATABASES',
    statements: ['SELECT v FROM m WHERE t !~ /a;b/', 'SHOW DATABASES'],
  },
  {
    name: '; inside a regex after GROUP BY',
    query: 'SELECT mean(v) FROM m GROUP BY /a;b/; SHOW DATABASES',
    statements: ['SELECT mean(v) FROM m GROUP BY /a;b/', 'SHOW DATABASES'],
  },
  {
    name: '; inside a regex after db.rp.',
    query: 'SHOW TAG KEYS FROM "db"."rp"./a;b/; SHOW DATABASES',
    statements: ['SHOW TAG KEYS FROM "db"."rp"./a;b/', 'SHOW DATABASES'],
  },
  {
    name: '; inside a regex of WITH MEASUREMENT',
    query: 'SHOW MEASUREMENTS WITH MEASUREMENT =~ /a;b/; SHOW DATABASES',
    statements: ['SHOW MEASUREMENTS WITH MEASUREMENT =~ /a;b/', 'SHOW DATABASES'],
  },
  {
    name: '; inside a regex after an escaped slash',
    query: 'SELECT v FROM /a\\/;b/; SHOW DATABASES',
    statements: ['SELECT v FROM /a\\/;b/', 'SHOW DATABASES'],
  },
  {
    name: 'a / that divides does not start a regex',
    query: 'SELECT a / b FROM m; SELECT c / 2 FROM m; SELECT mean(a) / 2 FROM m',
    statements: ['SELECT a / b FROM m', 'SELECT c / 2 FROM m', 'SELECT mean(a) / 2 FROM m'],
  },
  {
    name: '; inside a -- comment',
    query: 'SELECT v FROM m -- a;b\n; SHOW DATABASES',
    statements: ['SELECT v FROM m', 'SHOW DATABASES'],
  },
  {
    name: '; inside a /* */ comment (kept in the statement text)',
    query: 'SELECT v /* a;b */ FROM m; SHOW DATABASES',
    statements: ['SELECT v /* a;b */ FROM m', 'SHOW DATABASES'],
  },
  {
    name: 'a -- comment runs to the end of the query',
    query: 'SHOW DATABASES -- ; SHOW MEASUREMENTS',
    statements: ['SHOW DATABASES'],
  },
  {
    name: 'empty statements between ;; are dropped',
    query: ';;SHOW DATABASES;; ;\n;SHOW MEASUREMENTS;',
    statements: ['SHOW DATABASES', 'SHOW MEASUREMENTS'],
  },
  { name: 'only ; whitespace and comments: no statement', query: ' ; ;\n-- nothing\n/* ; */ ;', statements: [] },
  { name: 'an empty query: no statement', query: '', statements: [] },
];

describe('splitStatements', () => {
  it.each(splitRows)('$name', (row) => {
    const statements = splitStatements(row.query);
    expect(statements.map((s) => s.text)).toEqual(row.statements);
    for (const s of statements) {
      // `start` places the text in the query, and the tokens are the statement's own.
      expect(row.query.slice(s.start, s.start + s.text.length)).toBe(s.text);
      expect(s.tokens[0]?.start).toBe(s.start);
      expect(s.tokens[s.tokens.length - 1]?.end).toBe(s.start + s.text.length);
      expect(s.tokens.some((t) => t.type === 'semicolon')).toBe(false);
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Tokens

type TokenRow = { readonly name: string; readonly query: string; readonly tokens: readonly (readonly [TokenType, string])[] };

const K = (word: string): readonly [TokenType, string] => ['keyword', word];
const I = (name: string): readonly [TokenType, string] => ['ident', name];
const DOT: readonly [TokenType, string] = ['dot', '.'];

const tokenRows: readonly TokenRow[] = [
  // Quoted identifiers and strings, with their escapes.
  { name: 'identifier with an escaped double quote', query: '"a\\"b"', tokens: [I('a"b')] },
  { name: 'identifier with an escaped backslash', query: '"a\\\\b"', tokens: [I('a\\b')] },
  { name: 'identifier with a space and a keyword', query: '"my select"', tokens: [I('my select')] },
  { name: 'string with an escaped single quote', query: "'it\\'s'", tokens: [['string', "it's"]] },
  { name: 'string with an escaped backslash', query: "'a\\\\b'", tokens: [['string', 'a\\b']] },
  { name: 'string with \\n', query: "'a\\nb'", tokens: [['string', 'a\nb']] },
  // influxd scans quoted identifiers with the same escapes as strings (\n, \\, \" and \'):
  // `SELECT v FROM "it\'s"` reads measurement it's on influxd 1.6.7.
  { name: "identifier with an escaped single quote (influxd: it's)", query: '"it\\\'s"', tokens: [I("it's")] },
  { name: 'identifier with \\n (influxd: a newline)', query: '"a\\nb"', tokens: [I('a\nb')] },
  { name: 'string with escaped double quotes (influxd: say "hi")', query: "'say \\\"hi\\\"'", tokens: [['string', 'say "hi"']] },
  // Qualified measurements.
  { name: 'db.rp.m', query: 'db.rp.m', tokens: [I('db'), DOT, I('rp'), DOT, I('m')] },
  { name: 'db..m', query: 'db..m', tokens: [I('db'), DOT, DOT, I('m')] },
  { name: '"rp"."m"', query: '"rp"."m"', tokens: [I('rp'), DOT, I('m')] },
  { name: '"my db"."autogen"./re/', query: '"my db"."autogen"./re/', tokens: [I('my db'), DOT, I('autogen'), DOT, ['regex', 're']] },
  // Regex or division.
  { name: 'a / b divides', query: 'SELECT a / b', tokens: [K('SELECT'), I('a'), ['op', '/'], I('b')] },
  { name: 'FROM /x/ is a regex', query: 'FROM /x/', tokens: [K('FROM'), ['regex', 'x']] },
  { name: '=~ /x/ is a regex', query: 't =~ /x/', tokens: [I('t'), ['op', '=~'], ['regex', 'x']] },
  { name: '!~ /x/ is a regex', query: 't !~ /x/', tokens: [I('t'), ['op', '!~'], ['regex', 'x']] },
  { name: 'GROUP BY /t/ is a regex', query: 'GROUP BY /t/', tokens: [K('GROUP'), K('BY'), ['regex', 't']] },
  { name: 'SELECT /v/ is a regex', query: 'SELECT /v/', tokens: [K('SELECT'), ['regex', 'v']] },
  { name: 'a regex after a comma', query: 'SELECT a, /v/', tokens: [K('SELECT'), I('a'), ['comma', ','], ['regex', 'v']] },
  { name: 'a / after ) divides', query: 'mean(a) / 2', tokens: [I('mean'), ['lparen', '('], I('a'), ['rparen', ')'], ['op', '/'], ['number', '2']] },
  { name: 'a / after a number divides', query: '4 / 2', tokens: [['number', '4'], ['op', '/'], ['number', '2']] },
  { name: 'an escaped slash inside a regex', query: 'FROM /a\\/b/', tokens: [K('FROM'), ['regex', 'a/b']] },
  { name: 'other escapes in a regex are kept', query: 'FROM /a\\.b\\d/', tokens: [K('FROM'), ['regex', 'a\\.b\\d']] },
  // Durations and numbers.
  { name: 'duration 1h', query: 'now() - 1h', tokens: [I('now'), ['lparen', '('], ['rparen', ')'], ['op', '-'], ['duration', '1h']] },
  { name: 'duration 10ms (not 10m then s)', query: '10ms', tokens: [['duration', '10ms']] },
  { name: 'duration 5m', query: '5m', tokens: [['duration', '5m']] },
  { name: 'duration 5d', query: '5d', tokens: [['duration', '5d']] },
  { name: 'duration 2w', query: '2w', tokens: [['duration', '2w']] },
  { name: 'duration 100ns', query: '100ns', tokens: [['duration', '100ns']] },
  { name: 'duration 3u', query: '3u', tokens: [['duration', '3u']] },
  { name: 'duration 3µ', query: '3µ', tokens: [['duration', '3µ']] },
  // influxd scans digits then letters and digits as one duration: `now() - 1h30m` is valid there.
  { name: 'duration 1h30m is one token (as influxd scans it)', query: '1h30m', tokens: [['duration', '1h30m']] },
  { name: 'integer', query: 'LIMIT 42', tokens: [K('LIMIT'), ['number', '42']] },
  { name: 'decimal', query: '3.14', tokens: [['number', '3.14']] },
  { name: 'decimal without a leading digit', query: '.5', tokens: [['number', '.5']] },
  { name: 'a decimal is never a duration', query: '1.5', tokens: [['number', '1.5']] },
  // Bound parameters.
  { name: 'bound parameter $x', query: 'host = $x', tokens: [I('host'), ['op', '='], ['param', '$x']] },
  { name: 'quoted bound parameter $"y z"', query: 'host = $"y z"', tokens: [I('host'), ['op', '='], ['param', '$"y z"']] },
  // Keywords, operators, punctuation.
  { name: 'keywords in any case', query: 'select From', tokens: [K('SELECT'), K('FROM')] },
  { name: 'two-character operators', query: '<> != <= >= ::', tokens: [['op', '<>'], ['op', '!='], ['op', '<='], ['op', '>='], ['op', '::']] },
  { name: 'a cast', query: 'usage::float', tokens: [I('usage'), ['op', '::'], I('float')] },
  { name: 'comments are skipped', query: 'a -- x\n/* y */ b', tokens: [I('a'), I('b')] },
  { name: 'a non-ASCII identifier', query: 'températures', tokens: [I('températures')] },
];

describe('tokenize', () => {
  it.each(tokenRows)('$name', (row) => {
    expect(tokenize(row.query).map((t) => [t.type, t.value])).toEqual(row.tokens);
  });

  it('keeps each token\'s position in the query', () => {
    const q = 'SELECT "a b" FROM db..m WHERE t =~ /x\\/y/ AND d > now() - 10ms';
    for (const token of tokenize(q)) {
      const text = q.slice(token.start, token.end);
      if (token.type === 'ident' && text.startsWith('"')) expect(text).toBe(`"${token.value}"`);
      else if (token.type === 'regex') expect(text).toBe('/x\\/y/');
      else if (token.type === 'keyword') expect(text.toUpperCase()).toBe(token.value);
      else expect(text).toBe(token.value);
    }
  });
});

interface TokenizeErrorRow {
  readonly name: string;
  readonly query: string;
  readonly message: string;
  readonly position: number;
}

const tokenizeErrorRows: readonly TokenizeErrorRow[] = [
  { name: 'unterminated string', query: "SELECT v FROM m WHERE t = 'abc", message: 'unterminated string', position: 26 },
  { name: 'a newline inside a string', query: "SELECT v FROM m WHERE t = 'a\nb'", message: 'unterminated string', position: 26 },
  { name: 'unterminated quoted identifier', query: 'SELECT "abc FROM m', message: 'unterminated quoted identifier', position: 7 },
  // influxd 1.6.7: `SELECT * FROM "a<newline>b"` → error parsing query: found a, expected identifier
  { name: 'a newline inside a quoted identifier', query: 'SELECT * FROM "a\nb"', message: 'newline in a quoted identifier', position: 14 },
  { name: 'unterminated regex', query: 'SELECT v FROM /abc', message: 'unterminated regex', position: 14 },
  { name: 'unterminated regex ending in an escaped slash', query: 'SELECT v FROM /abc\\/', message: 'unterminated regex', position: 14 },
  { name: 'unterminated comment', query: 'SELECT v /* abc', message: 'unterminated comment', position: 9 },
  { name: 'unterminated quoted bound parameter', query: 'SELECT v FROM m WHERE t = $"x', message: 'unterminated quoted identifier', position: 27 },
  // influxd's escapes are \n, \\, \" and \' only; any other is an error (influxd: bad escape).
  { name: 'a bad escape in a string', query: "SELECT v FROM m WHERE t = 'a\\tb'", message: 'bad escape \\t', position: 28 },
  { name: 'a bad escape in a quoted identifier', query: 'SELECT "a\\xb" FROM m', message: 'bad escape \\x', position: 9 },
  { name: 'a character InfluxQL does not have', query: 'SELECT v FROM m WHERE t = ?', message: 'unexpected character "?"', position: 26 },
];

describe('tokenize errors', () => {
  it.each(tokenizeErrorRows)('$name', (row) => {
    for (const scan of [tokenize, splitStatements]) {
      let error: unknown = null;
      try {
        scan(row.query);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(TokenizeError);
      expect((error as TokenizeError).message).toBe(row.message);
      expect((error as TokenizeError).position).toBe(row.position);
    }
  });
});

describe('quoteIdent', () => {
  it.each([
    ['cpu', 'cpu'],
    ['_cpu2', '_cpu2'],
    ['my db', '"my db"'],
    ['select', '"select"'],
    ['2cpu', '"2cpu"'],
    ['a"b', '"a\\"b"'],
    ['a\\b', '"a\\\\b"'],
  ])('%s → %s, which tokenizes back to the name', (name, quoted) => {
    expect(quoteIdent(name)).toBe(quoted);
    expect(tokenize(quoted).map((t) => [t.type, t.value])).toEqual([['ident', name]]);
  });
});

// ---------------------------------------------------------------------------------------------------
// Statement analysis

/** A clause as its text in the statement (`LIMIT 3`), instead of token indexes. */
type ClauseTexts = { readonly [K in keyof Clauses]: string | null };

/** A Statement with every Clauses replaced by ClauseTexts. */
type Shaped<T> = T extends Clauses
  ? ClauseTexts
  : T extends readonly (infer U)[]
    ? readonly Shaped<U>[]
    : T extends object
      ? { readonly [K in keyof T]: Shaped<T[K]> }
      : T;

type StatementShape = Shaped<Statement>;

function clauseText(clause: Clause | null, statement: StatementText): string | null {
  if (clause === null) return null;
  const first = statement.tokens[clause.first];
  const last = statement.tokens[clause.last];
  if (first === undefined || last === undefined) throw new Error(`clause ${JSON.stringify(clause)} is outside the statement`);
  expect(last.type).toBe('number');
  expect(clause.value).toBe(Number(last.value));
  return statement.text.slice(first.start - statement.start, last.end - statement.start);
}

function shape(value: unknown, statement: StatementText): unknown {
  if (Array.isArray(value)) return value.map((v) => shape(v, statement));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'clauses') {
      const clauses = v as Clauses;
      out[key] = {
        limit: clauseText(clauses.limit, statement),
        offset: clauseText(clauses.offset, statement),
        slimit: clauseText(clauses.slimit, statement),
        soffset: clauseText(clauses.soffset, statement),
      };
    } else {
      out[key] = shape(v, statement);
    }
  }
  return out;
}

function only(query: string): StatementText {
  const statements = splitStatements(query);
  expect(statements).toHaveLength(1);
  return statements[0] as StatementText;
}

function analyze(query: string): StatementShape {
  const statement = only(query);
  return shape(analyzeStatement(statement), statement) as StatementShape;
}

const NO_CLAUSES: ClauseTexts = { limit: null, offset: null, slimit: null, soffset: null };

function clauses(texts: Partial<ClauseTexts>): ClauseTexts {
  return { ...NO_CLAUSES, ...texts };
}

function ref(name: string, rp: string | null = null, db: string | null = null): MeasurementRef {
  return { db, rp, name, regex: null };
}

function regex(pattern: string, rp: string | null = null, db: string | null = null): MeasurementRef {
  return { db, rp, name: null, regex: pattern };
}

type SelectShape = Extract<StatementShape, { kind: 'select' }>['select'];
type SourceShape = SelectShape['sources'][number];

function from(...refs: MeasurementRef[]): SourceShape[] {
  return refs.map((r) => ({ kind: 'measurement', ref: r }));
}

function subquery(select: SelectShape): SourceShape {
  return { kind: 'subquery', select };
}

function sel(parts: Partial<SelectShape> & Pick<SelectShape, 'sources'>): SelectShape {
  return { into: null, wildcard: false, mixedWildcard: false, descending: false, groupByAll: false, clauses: NO_CLAUSES, ...parts };
}

function select(parts: Partial<SelectShape> & Pick<SelectShape, 'sources'>, explain = false): StatementShape {
  return { kind: 'select', explain, select: sel(parts) };
}

interface AnalyzeRow {
  readonly name: string;
  readonly query: string;
  readonly expected: StatementShape;
}

const selectRows: readonly AnalyzeRow[] = [
  { name: 'one measurement', query: 'SELECT v FROM cpu', expected: select({ sources: from(ref('cpu')) }) },
  {
    name: 'qualified sources: db.rp.m, db..m, "rp"."m", "my db"."autogen"./re/',
    query: 'SELECT v FROM db.rp.cpu, db..mem, "rp"."disk", "my db"."autogen"./net.*/',
    expected: select({ sources: from(ref('cpu', 'rp', 'db'), ref('mem', null, 'db'), ref('disk', 'rp'), regex('net.*', 'autogen', 'my db')) }),
  },
  { name: 'a regex source', query: 'SELECT v FROM /^cpu/', expected: select({ sources: from(regex('^cpu')) }) },
  { name: 'a regex source with an escaped slash', query: 'SELECT v FROM /a\\/b/', expected: select({ sources: from(regex('a/b')) }) },
  { name: 'a keyword as a quoted measurement', query: 'SELECT v FROM "select"', expected: select({ sources: from(ref('select')) }) },
  {
    name: 'sources end at WHERE / GROUP BY',
    query: "SELECT v FROM cpu, mem WHERE host = 'a' GROUP BY host",
    expected: select({ sources: from(ref('cpu'), ref('mem')) }),
  },
  {
    name: 'a subquery',
    query: 'SELECT max(v) FROM (SELECT v FROM cpu)',
    expected: select({ sources: [subquery(sel({ sources: from(ref('cpu')) }))] }),
  },
  {
    name: 'subqueries nested twice, each with its own clauses',
    query: 'SELECT max(m) FROM (SELECT mean(v) AS m FROM (SELECT v FROM db.rp.cpu, mem LIMIT 5) GROUP BY host SLIMIT 2) LIMIT 1 SLIMIT 3 SOFFSET 1',
    expected: select({
      sources: [
        subquery(
          sel({
            sources: [subquery(sel({ sources: from(ref('cpu', 'rp', 'db'), ref('mem')), clauses: clauses({ limit: 'LIMIT 5' }) }))],
            clauses: clauses({ slimit: 'SLIMIT 2' }),
          }),
        ),
      ],
      clauses: clauses({ limit: 'LIMIT 1', slimit: 'SLIMIT 3', soffset: 'SOFFSET 1' }),
    }),
  },
  {
    name: 'a subquery beside a measurement',
    query: 'SELECT max(v) FROM (SELECT v FROM cpu), mem',
    expected: select({ sources: [subquery(sel({ sources: from(ref('cpu')) })), ...from(ref('mem'))] }),
  },
  { name: 'INTO m', query: 'SELECT v INTO m2 FROM cpu', expected: select({ sources: from(ref('cpu')), into: ref('m2') }) },
  {
    name: 'INTO db.rp.m',
    query: 'SELECT v INTO "other db".autogen.m2 FROM cpu',
    expected: select({ sources: from(ref('cpu')), into: ref('m2', 'autogen', 'other db') }),
  },
  { name: 'INTO db..m', query: 'SELECT v INTO db..m2 FROM cpu', expected: select({ sources: from(ref('cpu')), into: ref('m2', null, 'db') }) },
  {
    name: 'INTO db.rp.:MEASUREMENT',
    query: 'SELECT * INTO db.rp.:MEASUREMENT FROM cpu, /^m/ GROUP BY *',
    expected: select({ sources: from(ref('cpu'), regex('^m')), into: { db: 'db', rp: 'rp', name: null, regex: null }, wildcard: true, groupByAll: true }),
  },
  {
    name: 'INTO rp.:MEASUREMENT',
    query: 'SELECT v INTO autogen.:MEASUREMENT FROM cpu',
    expected: select({ sources: from(ref('cpu')), into: { db: null, rp: 'autogen', name: null, regex: null } }),
  },
  // Wildcards in the field list.
  { name: 'wildcard: *', query: 'SELECT * FROM cpu', expected: select({ sources: from(ref('cpu')), wildcard: true }) },
  { name: 'wildcard: mean(*)', query: 'SELECT mean(*) FROM cpu', expected: select({ sources: from(ref('cpu')), wildcard: true }) },
  { name: 'wildcard: a regex field', query: 'SELECT /^u/ FROM cpu', expected: select({ sources: from(ref('cpu')), wildcard: true }) },
  { name: 'wildcard: *::field', query: 'SELECT *::field FROM cpu', expected: select({ sources: from(ref('cpu')), wildcard: true }) },
  { name: 'not a wildcard: a * 2', query: 'SELECT a * 2 FROM cpu', expected: select({ sources: from(ref('cpu')) }) },
  { name: 'not a wildcard: 2 * a', query: 'SELECT 2 * a FROM cpu', expected: select({ sources: from(ref('cpu')) }) },
  { name: 'not a wildcard: mean(a) * 2', query: 'SELECT mean(a) * 2 FROM cpu', expected: select({ sources: from(ref('cpu')) }) },
  { name: 'not a wildcard: "a" * $k', query: 'SELECT "a" * $k FROM cpu', expected: select({ sources: from(ref('cpu')) }) },
  // `::field` and `::tag` are casts; FIELD and TAG are keywords, so the `*` after them multiplies.
  { name: 'not a wildcard: usage::field * 2', query: 'SELECT usage::field * 2 FROM cpu', expected: select({ sources: from(ref('cpu')) }) },
  {
    name: 'not a wildcard: a regex in WHERE, GROUP BY *',
    query: 'SELECT v FROM cpu WHERE host =~ /a/ GROUP BY *',
    expected: select({ sources: from(ref('cpu')), groupByAll: true }),
  },
  { name: 'not a wildcard: * only in a subquery', query: 'SELECT v FROM (SELECT * FROM cpu)', expected: select({ sources: [subquery(sel({ sources: from(ref('cpu')), wildcard: true }))] }) },
  // `*` is a wildcard only where a field can start: after SELECT, `,` or `(`.
  { name: 'wildcard: * after a comma (mixed with a field)', query: 'SELECT a, * FROM cpu', expected: select({ sources: from(ref('cpu')), wildcard: true, mixedWildcard: true }) },
  { name: 'mixed wildcard: count(*) beside max(v)', query: 'SELECT count(*), max(v) FROM cpu', expected: select({ sources: from(ref('cpu')), wildcard: true, mixedWildcard: true }) },
  { name: 'not mixed: percentile(*, 90) (a comma inside the call)', query: 'SELECT percentile(*, 90) FROM cpu', expected: select({ sources: from(ref('cpu')), wildcard: true }) },
  { name: 'not mixed: fields without a wildcard', query: 'SELECT a, b FROM cpu', expected: select({ sources: from(ref('cpu')) }) },
  { name: 'not a wildcard: a * b', query: 'SELECT a * b FROM cpu', expected: select({ sources: from(ref('cpu')) }) },
  { name: 'not a wildcard: (a) * 2', query: 'SELECT (a) * 2 FROM cpu', expected: select({ sources: from(ref('cpu')) }) },
  // ORDER BY time DESC.
  { name: 'ORDER BY time DESC', query: 'SELECT v FROM cpu ORDER BY time DESC', expected: select({ sources: from(ref('cpu')), descending: true }) },
  { name: 'order by time desc, lower case, then LIMIT', query: 'SELECT v FROM cpu order by time desc LIMIT 3', expected: select({ sources: from(ref('cpu')), descending: true, clauses: clauses({ limit: 'LIMIT 3' }) }) },
  { name: 'ORDER BY time ASC', query: 'SELECT v FROM cpu ORDER BY time ASC', expected: select({ sources: from(ref('cpu')) }) },
  { name: "not descending: 'desc' as a string", query: "SELECT v FROM cpu WHERE t = 'desc' ORDER BY time", expected: select({ sources: from(ref('cpu')) }) },
  {
    name: 'ORDER BY time DESC inside a subquery only: the subquery descends, not the outer statement',
    query: 'SELECT max(v) FROM (SELECT v FROM cpu ORDER BY time DESC)',
    expected: select({ sources: [subquery(sel({ sources: from(ref('cpu')), descending: true }))] }),
  },
  // GROUP BY * and GROUP BY /regex/.
  { name: 'GROUP BY *', query: 'SELECT v FROM cpu GROUP BY *', expected: select({ sources: from(ref('cpu')), groupByAll: true }) },
  { name: 'GROUP BY time(1m), *', query: 'SELECT mean(v) FROM cpu GROUP BY time(1m), * fill(none)', expected: select({ sources: from(ref('cpu')), groupByAll: true }) },
  { name: 'GROUP BY a regex', query: 'SELECT v FROM cpu GROUP BY host, /^r/', expected: select({ sources: from(ref('cpu')), groupByAll: true }) },
  { name: 'GROUP BY named tags: not every tag', query: 'SELECT mean(v) FROM cpu GROUP BY time(1m), host fill(none)', expected: select({ sources: from(ref('cpu')) }) },
  { name: 'GROUP BY "*" (a tag named *): not every tag', query: 'SELECT v FROM cpu GROUP BY "*"', expected: select({ sources: from(ref('cpu')) }) },
  {
    name: 'GROUP BY * inside a subquery only',
    query: 'SELECT max(v) FROM (SELECT v FROM cpu GROUP BY *)',
    expected: select({ sources: [subquery(sel({ sources: from(ref('cpu')), groupByAll: true }))] }),
  },
  // EXPLAIN.
  { name: 'EXPLAIN', query: 'EXPLAIN SELECT v FROM cpu', expected: select({ sources: from(ref('cpu')) }, true) },
  { name: 'EXPLAIN ANALYZE', query: 'EXPLAIN ANALYZE SELECT mean(v) FROM cpu, mem', expected: select({ sources: from(ref('cpu'), ref('mem')) }, true) },
];

const showRows: readonly AnalyzeRow[] = [
  { name: 'SHOW DATABASES', query: 'SHOW DATABASES', expected: { kind: 'show-databases' } },
  { name: 'SHOW MEASUREMENTS', query: 'SHOW MEASUREMENTS', expected: { kind: 'show-measurements', on: null, clauses: NO_CLAUSES } },
  {
    name: 'SHOW MEASUREMENTS ON, WITH MEASUREMENT =~, WHERE, LIMIT, OFFSET',
    query: "SHOW MEASUREMENTS ON db WITH MEASUREMENT =~ /cpu.*/ WHERE host = 'a' LIMIT 3 OFFSET 2",
    expected: { kind: 'show-measurements', on: 'db', clauses: clauses({ limit: 'LIMIT 3', offset: 'OFFSET 2' }) },
  },
  {
    name: 'SHOW MEASUREMENTS ON "my db" WITH MEASUREMENT = cpu OFFSET 4',
    query: 'SHOW MEASUREMENTS ON "my db" WITH MEASUREMENT = cpu OFFSET 4',
    expected: { kind: 'show-measurements', on: 'my db', clauses: clauses({ offset: 'OFFSET 4' }) },
  },
  { name: 'SHOW SERIES', query: 'SHOW SERIES', expected: { kind: 'show-series', on: null, sources: [], clauses: NO_CLAUSES, timeCondition: false } },
  {
    name: 'SHOW SERIES ON, FROM, WHERE, LIMIT, OFFSET',
    query: "SHOW SERIES ON db FROM cpu, db.rp.mem WHERE host = 'a' LIMIT 2 OFFSET 1",
    expected: { kind: 'show-series', on: 'db', sources: from(ref('cpu'), ref('mem', 'rp', 'db')), clauses: clauses({ limit: 'LIMIT 2', offset: 'OFFSET 1' }), timeCondition: false },
  },
  {
    name: 'SHOW SERIES FROM a regex',
    query: 'SHOW SERIES FROM /c.*/',
    expected: { kind: 'show-series', on: null, sources: from(regex('c.*')), clauses: NO_CLAUSES, timeCondition: false },
  },
  {
    name: 'SHOW TAG KEYS ON, FROM, LIMIT',
    query: 'SHOW TAG KEYS ON db FROM cpu LIMIT 1',
    expected: { kind: 'show-tag-keys', on: 'db', sources: from(ref('cpu')), clauses: clauses({ limit: 'LIMIT 1' }), timeCondition: false },
  },
  { name: 'SHOW TAG KEYS', query: 'SHOW TAG KEYS', expected: { kind: 'show-tag-keys', on: null, sources: [], clauses: NO_CLAUSES, timeCondition: false } },
  {
    name: 'SHOW TAG VALUES WITH KEY =',
    query: 'SHOW TAG VALUES WITH KEY = host',
    expected: { kind: 'show-tag-values', on: null, sources: [], clauses: NO_CLAUSES, timeCondition: false },
  },
  {
    name: 'SHOW TAG VALUES ON, FROM, WITH KEY IN',
    query: 'SHOW TAG VALUES ON db FROM cpu, mem WITH KEY IN (host, region)',
    expected: { kind: 'show-tag-values', on: 'db', sources: from(ref('cpu'), ref('mem')), clauses: NO_CLAUSES, timeCondition: false },
  },
  {
    name: 'SHOW TAG VALUES WITH KEY =~, LIMIT, OFFSET',
    query: 'SHOW TAG VALUES FROM cpu WITH KEY =~ /h.*/ LIMIT 5 OFFSET 5',
    expected: { kind: 'show-tag-values', on: null, sources: from(ref('cpu')), clauses: clauses({ limit: 'LIMIT 5', offset: 'OFFSET 5' }), timeCondition: false },
  },
  { name: 'SHOW FIELD KEYS', query: 'SHOW FIELD KEYS', expected: { kind: 'show-field-keys', on: null, sources: [], clauses: NO_CLAUSES, timeCondition: false } },
  {
    name: 'SHOW FIELD KEYS ON, FROM db.rp.m',
    query: 'SHOW FIELD KEYS ON db FROM db.rp.cpu',
    expected: { kind: 'show-field-keys', on: 'db', sources: from(ref('cpu', 'rp', 'db')), clauses: NO_CLAUSES, timeCondition: false },
  },
  {
    // influxd reads the data (not the index) when the WHERE names time; the planner needs to know.
    name: 'SHOW SERIES WHERE time: a time condition',
    query: "SHOW SERIES FROM cpu WHERE time > now() - 1h AND host = 'a'",
    expected: { kind: 'show-series', on: null, sources: from(ref('cpu')), clauses: NO_CLAUSES, timeCondition: true },
  },
  {
    name: 'SHOW TAG VALUES WHERE "time": a quoted time is a time condition too',
    query: 'SHOW TAG VALUES WITH KEY = host WHERE "time" > 0',
    expected: { kind: 'show-tag-values', on: null, sources: [], clauses: NO_CLAUSES, timeCondition: true },
  },
  {
    name: "SHOW SERIES WHERE t = 'time': a string is not a time condition",
    query: "SHOW SERIES WHERE t = 'time'",
    expected: { kind: 'show-series', on: null, sources: [], clauses: NO_CLAUSES, timeCondition: false },
  },
  { name: 'SHOW RETENTION POLICIES', query: 'SHOW RETENTION POLICIES', expected: { kind: 'show-retention-policies', on: null } },
  { name: 'SHOW RETENTION POLICIES ON', query: 'SHOW RETENTION POLICIES ON "my db"', expected: { kind: 'show-retention-policies', on: 'my db' } },
];

/** Every CARDINALITY form of influxd 1.6 (each answered by a real influxd 1.6.7). */
const cardinalityRows: readonly AnalyzeRow[] = [
  { name: 'SHOW MEASUREMENT CARDINALITY', query: 'SHOW MEASUREMENT CARDINALITY', expected: { kind: 'cardinality', on: null, what: 'MEASUREMENT CARDINALITY', sources: [], where: false } },
  {
    name: 'SHOW MEASUREMENT EXACT CARDINALITY ON',
    query: 'SHOW MEASUREMENT EXACT CARDINALITY ON db',
    expected: { kind: 'cardinality', on: 'db', what: 'MEASUREMENT EXACT CARDINALITY', sources: [], where: false },
  },
  {
    name: 'SHOW MEASUREMENT EXACT CARDINALITY LIMIT: the clause is not part of the form',
    query: 'SHOW MEASUREMENT EXACT CARDINALITY LIMIT 1',
    expected: { kind: 'cardinality', on: null, what: 'MEASUREMENT EXACT CARDINALITY', sources: [], where: false },
  },
  {
    name: 'SHOW SERIES CARDINALITY GROUP BY: the clause is not part of the form',
    query: 'SHOW SERIES CARDINALITY GROUP BY host',
    expected: { kind: 'cardinality', on: null, what: 'SERIES CARDINALITY', sources: [], where: false },
  },
  {
    name: 'SHOW SERIES CARDINALITY FROM',
    query: 'SHOW SERIES CARDINALITY FROM cpu',
    expected: { kind: 'cardinality', on: null, what: 'SERIES CARDINALITY', sources: from(ref('cpu')), where: false },
  },
  {
    name: 'SHOW SERIES EXACT CARDINALITY ON, FROM, WHERE',
    query: "SHOW SERIES EXACT CARDINALITY ON db FROM cpu WHERE host = 'a'",
    expected: { kind: 'cardinality', on: 'db', what: 'SERIES EXACT CARDINALITY', sources: from(ref('cpu')), where: true },
  },
  { name: 'SHOW TAG KEY CARDINALITY', query: 'SHOW TAG KEY CARDINALITY', expected: { kind: 'cardinality', on: null, what: 'TAG KEY CARDINALITY', sources: [], where: false } },
  {
    name: 'SHOW TAG KEY EXACT CARDINALITY FROM',
    query: 'SHOW TAG KEY EXACT CARDINALITY FROM cpu',
    expected: { kind: 'cardinality', on: null, what: 'TAG KEY EXACT CARDINALITY', sources: from(ref('cpu')), where: false },
  },
  {
    name: 'SHOW TAG VALUES CARDINALITY WITH KEY',
    query: 'SHOW TAG VALUES CARDINALITY WITH KEY = host',
    expected: { kind: 'cardinality', on: null, what: 'TAG VALUES CARDINALITY', sources: [], where: false },
  },
  {
    name: 'SHOW TAG VALUES EXACT CARDINALITY ON, FROM, WITH KEY',
    query: 'SHOW TAG VALUES EXACT CARDINALITY ON db FROM cpu WITH KEY = host',
    expected: { kind: 'cardinality', on: 'db', what: 'TAG VALUES EXACT CARDINALITY', sources: from(ref('cpu')), where: false },
  },
  {
    name: 'SHOW SERIES CARDINALITY WHERE',
    query: "SHOW SERIES CARDINALITY WHERE host = 'a'",
    expected: { kind: 'cardinality', on: null, what: 'SERIES CARDINALITY', sources: [], where: true },
  },
  {
    name: 'SHOW TAG VALUES CARDINALITY FROM, WITH KEY, WHERE',
    query: "SHOW TAG VALUES CARDINALITY FROM cpu WITH KEY = host WHERE region = 'x'",
    expected: { kind: 'cardinality', on: null, what: 'TAG VALUES CARDINALITY', sources: from(ref('cpu')), where: true },
  },
  {
    name: 'SHOW TAG VALUES CARDINALITY WITH KEY = "where": a quoted identifier is not WHERE',
    query: "SHOW TAG VALUES CARDINALITY WITH KEY = \"where\"",
    expected: { kind: 'cardinality', on: null, what: 'TAG VALUES CARDINALITY', sources: [], where: false },
  },
  { name: 'SHOW FIELD KEY CARDINALITY', query: 'SHOW FIELD KEY CARDINALITY', expected: { kind: 'cardinality', on: null, what: 'FIELD KEY CARDINALITY', sources: [], where: false } },
  {
    name: 'SHOW FIELD KEY EXACT CARDINALITY ON',
    query: 'SHOW FIELD KEY EXACT CARDINALITY ON db',
    expected: { kind: 'cardinality', on: 'db', what: 'FIELD KEY EXACT CARDINALITY', sources: [], where: false },
  },
];

const changeRows: readonly AnalyzeRow[] = [
  { name: 'CREATE DATABASE', query: 'CREATE DATABASE "my db"', expected: { kind: 'create-database', db: 'my db' } },
  {
    name: 'CREATE DATABASE WITH …',
    query: 'CREATE DATABASE db WITH DURATION 1d REPLICATION 1 SHARD DURATION 1h NAME rp',
    expected: { kind: 'create-database', db: 'db' },
  },
  { name: 'DROP DATABASE', query: 'DROP DATABASE db', expected: { kind: 'drop-database', db: 'db' } },
  {
    name: 'CREATE RETENTION POLICY',
    query: 'CREATE RETENTION POLICY "one week" ON db DURATION 1w REPLICATION 1 DEFAULT',
    expected: { kind: 'create-retention-policy', rp: 'one week', db: 'db' },
  },
  {
    name: 'ALTER RETENTION POLICY',
    query: 'ALTER RETENTION POLICY rp ON "my db" DURATION 2h SHARD DURATION 1h',
    expected: { kind: 'alter-retention-policy', rp: 'rp', db: 'my db' },
  },
  { name: 'DROP RETENTION POLICY', query: 'DROP RETENTION POLICY rp ON db', expected: { kind: 'drop-retention-policy', rp: 'rp', db: 'db' } },
  {
    name: 'DELETE FROM … WHERE',
    query: "DELETE FROM cpu WHERE time < '2020-01-01T00:00:00Z'",
    expected: { kind: 'delete', on: null, sources: from(ref('cpu')) },
  },
  { name: 'DELETE WHERE (no FROM)', query: 'DELETE WHERE time < 0', expected: { kind: 'delete', on: null, sources: [] } },
  { name: 'DELETE FROM a regex', query: 'DELETE FROM /c.*/', expected: { kind: 'delete', on: null, sources: from(regex('c.*')) } },
  // influxd 1.6.7 itself rejects `DELETE ON` (later InfluxQL accepts it); the analyzer reads it.
  { name: 'DELETE ON … FROM', query: 'DELETE ON db FROM cpu, mem', expected: { kind: 'delete', on: 'db', sources: from(ref('cpu'), ref('mem')) } },
  {
    name: 'DROP SERIES FROM … WHERE',
    query: "DROP SERIES FROM cpu, mem WHERE host = 'a'",
    expected: { kind: 'drop-series', on: null, sources: from(ref('cpu'), ref('mem')) },
  },
  { name: 'DROP SERIES WHERE (no FROM)', query: "DROP SERIES WHERE host = 'a'", expected: { kind: 'drop-series', on: null, sources: [] } },
  { name: 'DROP MEASUREMENT', query: 'DROP MEASUREMENT cpu', expected: { kind: 'drop-measurement', name: 'cpu' } },
  { name: 'DROP MEASUREMENT quoted', query: 'DROP MEASUREMENT "my m"', expected: { kind: 'drop-measurement', name: 'my m' } },
];

/** Statements the router does not route, named by their leading keywords. */
const OTHER_STATEMENTS: readonly (readonly [query: string, words: string])[] = [
  ['SHOW USERS', 'SHOW USERS'],
  ["CREATE USER bob WITH PASSWORD 'x'", 'CREATE USER'],
  ['DROP USER bob', 'DROP USER'],
  ["SET PASSWORD FOR bob = 'x'", 'SET PASSWORD FOR'],
  ['GRANT ALL ON db TO bob', 'GRANT ALL ON'],
  ['REVOKE READ ON db FROM bob', 'REVOKE READ ON'],
  ['SHOW GRANTS FOR bob', 'SHOW GRANTS FOR'],
  ['CREATE CONTINUOUS QUERY cq ON db BEGIN SELECT mean(v) INTO m2 FROM cpu GROUP BY time(1h) END', 'CREATE CONTINUOUS QUERY'],
  ['DROP CONTINUOUS QUERY cq ON db', 'DROP CONTINUOUS QUERY'],
  ['SHOW CONTINUOUS QUERIES', 'SHOW CONTINUOUS QUERIES'],
  ['KILL QUERY 36', 'KILL QUERY'],
  ['SHOW QUERIES', 'SHOW QUERIES'],
  ['SHOW DIAGNOSTICS', 'SHOW DIAGNOSTICS'],
  ["SHOW STATS FOR 'httpd'", 'SHOW STATS FOR'],
  ['SHOW SHARDS', 'SHOW SHARDS'],
  ['SHOW SHARD GROUPS', 'SHOW SHARD GROUPS'],
  ['DROP SHARD 1', 'DROP SHARD'],
  ['SHOW SUBSCRIPTIONS', 'SHOW SUBSCRIPTIONS'],
  ["CREATE SUBSCRIPTION s ON db.autogen DESTINATIONS ALL 'udp://h:9090'", 'CREATE SUBSCRIPTION'],
  ['DROP SUBSCRIPTION s ON db.autogen', 'DROP SUBSCRIPTION'],
];

const otherRows: readonly AnalyzeRow[] = OTHER_STATEMENTS.map(([query, words]) => ({ name: query, query, expected: { kind: 'other', words } }));

describe('analyzeStatement', () => {
  const tables: [string, readonly AnalyzeRow[]][] = [
    ['SELECT and EXPLAIN', selectRows],
    ['SHOW', showRows],
    ['CARDINALITY', cardinalityRows],
    ['catalog and data changes', changeRows],
    ['other statements', otherRows],
  ];
  for (const [table, rows] of tables) {
    describe(table, () => {
      it.each(rows)('$name', (row) => {
        expect(analyze(row.query)).toEqual(row.expected);
      });
    });
  }
});

const statementErrorRows: readonly { readonly name: string; readonly query: string; readonly message: string }[] = [
  { name: 'EXPLAIN of something else', query: 'EXPLAIN SHOW DATABASES', message: 'expected SELECT after EXPLAIN' },
  { name: 'a subquery that is not a SELECT', query: 'SELECT v FROM (SHOW DATABASES)', message: 'expected SELECT in a subquery' },
  { name: 'an unclosed subquery', query: 'SELECT v FROM (SELECT v FROM cpu', message: 'unbalanced parentheses' },
  { name: 'four name parts', query: 'SELECT v FROM a.b.c.d', message: 'expected a measurement' },
  { name: 'FROM db.rp. with no measurement', query: 'SELECT v FROM db.rp.', message: 'expected a measurement' },
  { name: 'CREATE RETENTION POLICY without ON', query: 'CREATE RETENTION POLICY rp DURATION 1h', message: 'expected ON' },
  { name: 'SHOW RETENTION without POLICIES', query: 'SHOW RETENTION', message: 'expected POLICIES' },
  { name: 'CREATE DATABASE without a name', query: 'CREATE DATABASE', message: 'expected a name' },
];

describe('analyzeStatement errors', () => {
  it.each(statementErrorRows)('$name', (row) => {
    const statement = only(row.query);
    expect(() => analyzeStatement(statement)).toThrow(StatementError);
    expect(() => analyzeStatement(statement)).toThrow(row.message);
  });
});

describe('selectMeasurements and hasSubquery', () => {
  it.each([
    { query: 'SELECT v FROM cpu, /m.*/', measurements: ['cpu', '/m.*/'], subquery: false },
    { query: 'SELECT v FROM (SELECT v FROM (SELECT v FROM a, b), c), d', measurements: ['a', 'b', 'c', 'd'], subquery: true },
    { query: 'SELECT v INTO x FROM cpu', measurements: ['cpu'], subquery: false },
  ])('$query', ({ query, measurements, subquery }) => {
    const statement = analyzeStatement(only(query));
    if (statement.kind !== 'select') throw new Error(`expected a select, got ${statement.kind}`);
    expect(selectMeasurements(statement.select).map((r) => r.name ?? `/${r.regex ?? ''}/`)).toEqual(measurements);
    expect(hasSubquery(statement.select)).toBe(subquery);
  });
});

// ---------------------------------------------------------------------------------------------------
// Clause positions and rewriting

interface ClauseRow {
  readonly name: string;
  readonly query: string;
  readonly clauses: ClauseTexts;
}

const clauseRows: readonly ClauseRow[] = [
  {
    name: 'all four, in order',
    query: 'SELECT v FROM cpu GROUP BY * LIMIT 10 OFFSET 5 SLIMIT 3 SOFFSET 2',
    clauses: { limit: 'LIMIT 10', offset: 'OFFSET 5', slimit: 'SLIMIT 3', soffset: 'SOFFSET 2' },
  },
  { name: 'LIMIT and SLIMIT inside a subquery are not the outer statement\'s', query: 'SELECT max(v) FROM (SELECT v FROM cpu LIMIT 2 SLIMIT 1)', clauses: NO_CLAUSES },
  {
    name: 'the outer SLIMIT after a subquery with its own',
    query: 'SELECT max(v) FROM (SELECT v FROM cpu SLIMIT 1 SOFFSET 1), mem GROUP BY * SLIMIT 4',
    clauses: clauses({ slimit: 'SLIMIT 4' }),
  },
  {
    name: 'LIMIT inside a subquery nested twice',
    query: 'SELECT max(v) FROM (SELECT v FROM (SELECT v FROM cpu LIMIT 7) OFFSET 3) SOFFSET 6',
    clauses: clauses({ soffset: 'SOFFSET 6' }),
  },
  {
    name: 'a quoted identifier and a string that read like clauses',
    query: `SELECT "limit" FROM cpu WHERE t = 'SLIMIT 3'`,
    clauses: NO_CLAUSES,
  },
  {
    name: 'clauses before tz()',
    query: "SELECT v FROM cpu GROUP BY * SLIMIT 3 SOFFSET 1 tz('Europe/Paris')",
    clauses: clauses({ slimit: 'SLIMIT 3', soffset: 'SOFFSET 1' }),
  },
  { name: 'SHOW MEASUREMENTS LIMIT OFFSET', query: 'SHOW MEASUREMENTS LIMIT 3 OFFSET 2', clauses: clauses({ limit: 'LIMIT 3', offset: 'OFFSET 2' }) },
];

describe('clause positions', () => {
  it.each(clauseRows)('$name', (row) => {
    const result = analyze(row.query);
    const found = result.kind === 'select' ? result.select.clauses : 'clauses' in result ? result.clauses : null;
    expect(found).toEqual(row.clauses);
  });
});

interface RewriteRow {
  readonly name: string;
  readonly query: string;
  /** Which statement of the query to rewrite. */
  readonly statement?: number;
  readonly remove: readonly (keyof Clauses)[];
  readonly replace: string;
  readonly expected: string;
}

// The planner rewrites only SHOW MEASUREMENTS / SHOW SERIES LIMIT and OFFSET (SLIMIT/SOFFSET go to the
// nodes unchanged); the SLIMIT rows test rewriteClauses itself, on any clause it is given.
const rewriteRows: readonly RewriteRow[] = [
  {
    name: 'SLIMIT and SOFFSET replaced by one SLIMIT',
    query: 'SELECT v FROM cpu, mem GROUP BY * SLIMIT 2 SOFFSET 1',
    remove: ['slimit', 'soffset'],
    replace: 'SLIMIT 3',
    expected: 'SELECT v FROM cpu, mem GROUP BY * SLIMIT 3',
  },
  {
    name: 'LIMIT and OFFSET before them are kept',
    query: 'SELECT v FROM cpu, mem GROUP BY * LIMIT 10 OFFSET 5 SLIMIT 2 SOFFSET 1',
    remove: ['slimit', 'soffset'],
    replace: 'SLIMIT 3',
    expected: 'SELECT v FROM cpu, mem GROUP BY * LIMIT 10 OFFSET 5 SLIMIT 3',
  },
  {
    name: 'the second statement of a query',
    query: 'SHOW DATABASES; SELECT v FROM cpu, mem GROUP BY * SLIMIT 2 SOFFSET 1; SHOW MEASUREMENTS',
    statement: 1,
    remove: ['slimit', 'soffset'],
    replace: 'SLIMIT 3',
    expected: 'SELECT v FROM cpu, mem GROUP BY * SLIMIT 3',
  },
  {
    name: 'SOFFSET alone removed, nothing put back',
    query: 'SELECT v FROM cpu, mem GROUP BY * SOFFSET 1',
    remove: ['slimit', 'soffset'],
    replace: '',
    expected: 'SELECT v FROM cpu, mem GROUP BY *',
  },
  {
    name: 'the subquery\'s clauses stay',
    query: 'SELECT max(v) FROM (SELECT v FROM cpu SLIMIT 5 SOFFSET 5), mem GROUP BY * SLIMIT 2 SOFFSET 1',
    remove: ['slimit', 'soffset'],
    replace: 'SLIMIT 3',
    expected: 'SELECT max(v) FROM (SELECT v FROM cpu SLIMIT 5 SOFFSET 5), mem GROUP BY * SLIMIT 3',
  },
  {
    name: 'the text before the clauses is kept byte for byte',
    query: "SELECT  \"a b\"::field,v  FROM\tcpu , mem WHERE t = 'x;y' GROUP BY *\nSLIMIT 2\nSOFFSET 1",
    remove: ['slimit', 'soffset'],
    replace: 'SLIMIT 3',
    expected: "SELECT  \"a b\"::field,v  FROM\tcpu , mem WHERE t = 'x;y' GROUP BY *\nSLIMIT 3",
  },
  {
    name: 'SHOW MEASUREMENTS LIMIT OFFSET to one LIMIT',
    query: 'SHOW MEASUREMENTS LIMIT 3 OFFSET 2',
    remove: ['limit', 'offset'],
    replace: 'LIMIT 5',
    expected: 'SHOW MEASUREMENTS LIMIT 5',
  },
  {
    name: 'no clause to remove: the replacement is appended',
    query: 'SHOW MEASUREMENTS',
    remove: ['limit', 'offset'],
    replace: 'LIMIT 5',
    expected: 'SHOW MEASUREMENTS LIMIT 5',
  },
  {
    name: 'no clause and no replacement: unchanged',
    query: 'SELECT v FROM cpu, mem',
    remove: ['slimit', 'soffset'],
    replace: '',
    expected: 'SELECT v FROM cpu, mem',
  },
];

function clausesOf(statement: Statement): Clauses {
  if (statement.kind === 'select') return statement.select.clauses;
  if ('clauses' in statement) return statement.clauses;
  throw new Error(`${statement.kind} has no clauses`);
}

describe('rewriteClauses', () => {
  it.each(rewriteRows)('$name', (row) => {
    const statement = splitStatements(row.query)[row.statement ?? 0] as StatementText;
    const found = clausesOf(analyzeStatement(statement));
    expect(rewriteClauses(statement, row.remove.map((key) => found[key]), row.replace)).toBe(row.expected);
  });

  it('leaves what follows the clauses in place (tz() after SOFFSET)', () => {
    const statement = only("SELECT v FROM cpu, mem GROUP BY * SLIMIT 2 SOFFSET 1 tz('Europe/Paris')");
    const found = clausesOf(analyzeStatement(statement));
    const rewritten = rewriteClauses(statement, [found.slimit, found.soffset], 'SLIMIT 3');
    // Token for token: the spaces around the removed SOFFSET may stay.
    const tokens = (q: string): string[][] => tokenize(q).map((t) => [t.type, t.value]);
    expect(tokens(rewritten)).toEqual(tokens("SELECT v FROM cpu, mem GROUP BY * SLIMIT 3 tz('Europe/Paris')"));
    expect(rewritten.startsWith('SELECT v FROM cpu, mem GROUP BY * SLIMIT 3 ')).toBe(true);
  });
});
