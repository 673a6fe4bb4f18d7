// InfluxQL's tokens, scanned as influxd's scanner does: identifiers bare or double-quoted (with `\"`
// and `\\` escapes), single-quoted strings, numbers and durations, regexes where the grammar expects
// one (after `=~`, `!~`, FROM, SELECT, BY, `,`, `.` and `(`; a `/` elsewhere divides), bound parameters,
// operators, punctuation, `--` and `/* */` comments. Each token keeps its position, so a statement can be
// cut out of the query or rewritten around a clause without re-printing anything else.

export type TokenType =
  | 'ident'
  | 'keyword'
  | 'string'
  | 'number'
  | 'duration'
  | 'regex'
  | 'param'
  | 'op'
  | 'comma'
  | 'dot'
  | 'lparen'
  | 'rparen'
  | 'semicolon';

export interface Token {
  readonly type: TokenType;
  /** Offsets of the token in the query text. */
  readonly start: number;
  readonly end: number;
  /**
   * Identifiers and strings: the unquoted, unescaped value; keywords: upper case; regexes: the pattern
   * between the slashes (escaped slashes unescaped); others: the text.
   */
  readonly value: string;
}

export class TokenizeError extends Error {
  override readonly name = 'TokenizeError';
  readonly position: number;

  constructor(message: string, position: number) {
    super(message);
    this.position = position;
  }
}

const KEYWORDS = new Set(
  (
    'ALL ALTER ANALYZE ANY AS ASC BEGIN BY CARDINALITY CREATE CONTINUOUS DATABASE DATABASES DEFAULT DELETE DESC ' +
    'DESTINATIONS DIAGNOSTICS DISTINCT DROP DURATION END EVERY EXACT EXPLAIN FIELD FOR FROM GRANT GRANTS GROUP ' +
    'GROUPS IN INF INSERT INTO KEY KEYS KILL LIMIT MEASUREMENT MEASUREMENTS NAME OFFSET ON ORDER PASSWORD POLICIES ' +
    'POLICY PRIVILEGES QUERIES QUERY READ REPLICATION RESAMPLE RETENTION REVOKE SELECT SERIES SET SHARD SHARDS ' +
    'SHOW SLIMIT SOFFSET STATS SUBSCRIPTION SUBSCRIPTIONS TAG TO USER USERS VALUES WHERE WITH WRITE AND OR TRUE FALSE'
  ).split(' '),
);

/** After these tokens a `/` starts a regex; after anything else it divides. */
function regexMayFollow(previous: Token | undefined): boolean {
  if (previous === undefined) return false;
  switch (previous.type) {
    case 'comma':
    case 'dot':
    case 'lparen':
      return true;
    case 'op':
      return previous.value === '=~' || previous.value === '!~';
    case 'keyword':
      return previous.value === 'FROM' || previous.value === 'SELECT' || previous.value === 'BY';
    default:
      return false;
  }
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isIdentStart = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c > '\u007f';
const isIdentChar = (c: string): boolean => isIdentStart(c) || isDigit(c);

const DURATION_UNITS = ['ns', 'u', 'µ', 'ms', 's', 'm', 'h', 'd', 'w'];
/** The same, longest first: the first that matches is the longest (`ms` before `m`). */
const DURATION_UNITS_LONGEST_FIRST = [...DURATION_UNITS].sort((a, b) => b.length - a.length);

const TWO_CHAR_OPS = new Set(['=~', '!~', '!=', '<>', '<=', '>=', '::']);
const ONE_CHAR_OPS = new Set(['+', '-', '*', '/', '%', '&', '|', '^', '=', '<', '>', ':']);

/** influxd's escapes inside quoted strings and identifiers. */
const ESCAPES: Record<string, string> = { n: '\n', '\\': '\\', '"': '"', "'": "'" };

/** Reads a quoted run starting at `quote` (`"` or `'`); returns the unescaped value and the end. */
function scanQuoted(q: string, start: number, quote: string): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  while (i < q.length) {
    const c = q[i] as string;
    if (c === quote) return { value, end: i + 1 };
    if (c === '\\' && i + 1 < q.length) {
      const escaped = ESCAPES[q[i + 1] as string];
      if (escaped === undefined) throw new TokenizeError(`bad escape \\${q[i + 1] as string}`, i);
      value += escaped;
      i += 2;
      continue;
    }
    if (c === '\n') throw new TokenizeError(quote === '"' ? 'newline in a quoted identifier' : 'unterminated string', start);
    value += c;
    i++;
  }
  throw new TokenizeError(quote === '"' ? 'unterminated quoted identifier' : 'unterminated string', start);
}

export function tokenize(q: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (type: TokenType, start: number, end: number, value: string): void => {
    tokens.push({ type, start, end, value });
    i = end;
  };
  while (i < q.length) {
    const c = q[i] as string;
    const next = q[i + 1] ?? '';
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '-' && next === '-') {
      const nl = q.indexOf('\n', i);
      i = nl === -1 ? q.length : nl + 1;
      continue;
    }
    if (c === '/' && next === '*') {
      const close = q.indexOf('*/', i + 2);
      if (close === -1) throw new TokenizeError('unterminated comment', i);
      i = close + 2;
      continue;
    }
    if (c === '"' || c === "'") {
      const { value, end } = scanQuoted(q, i, c);
      push(c === '"' ? 'ident' : 'string', i, end, value);
      continue;
    }
    if (c === '/' && regexMayFollow(tokens[tokens.length - 1])) {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= q.length) throw new TokenizeError('unterminated regex', i);
        const r = q[j] as string;
        if (r === '\\' && q[j + 1] === '/') {
          value += '/';
          j += 2;
          continue;
        }
        if (r === '/') break;
        value += r;
        j++;
      }
      push('regex', i, j + 1, value);
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(next))) {
      let j = i;
      while (j < q.length && isDigit(q[j] as string)) j++;
      let isFloat = false;
      if (q[j] === '.' && isDigit(q[j + 1] ?? '')) {
        isFloat = true;
        j++;
        while (j < q.length && isDigit(q[j] as string)) j++;
      }
      if (!isFloat) {
        // A duration: number-unit pairs, as `1h30m`.
        let k = j;
        let units = 0;
        for (;;) {
          const unit = DURATION_UNITS_LONGEST_FIRST.find((u) => q.startsWith(u, k));
          if (unit === undefined) break;
          k += unit.length;
          units++;
          if (!isDigit(q[k] ?? '')) break;
          let d = k;
          while (d < q.length && isDigit(q[d] as string)) d++;
          if (!DURATION_UNITS.some((u) => q.startsWith(u, d))) break;
          k = d;
        }
        if (units > 0 && !isIdentChar(q[k] ?? ' ')) {
          push('duration', i, k, q.slice(i, k));
          continue;
        }
      }
      push('number', i, j, q.slice(i, j));
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < q.length && isIdentChar(q[j] as string)) j++;
      const word = q.slice(i, j);
      const upper = word.toUpperCase();
      if (KEYWORDS.has(upper)) push('keyword', i, j, upper);
      else push('ident', i, j, word);
      continue;
    }
    if (c === '$') {
      if (next === '"') {
        const { end } = scanQuoted(q, i + 1, '"');
        push('param', i, end, q.slice(i, end));
      } else {
        let j = i + 1;
        while (j < q.length && isIdentChar(q[j] as string)) j++;
        push('param', i, j, q.slice(i, j));
      }
      continue;
    }
    if (c === ',') push('comma', i, i + 1, c);
    else if (c === '.') push('dot', i, i + 1, c);
    else if (c === '(') push('lparen', i, i + 1, c);
    else if (c === ')') push('rparen', i, i + 1, c);
    else if (c === ';') push('semicolon', i, i + 1, c);
    else if (TWO_CHAR_OPS.has(c + next)) push('op', i, i + 2, c + next);
    else if (ONE_CHAR_OPS.has(c)) push('op', i, i + 1, c);
    else throw new TokenizeError(`unexpected character ${JSON.stringify(c)}`, i);
  }
  return tokens;
}

/** One statement of a query: its text (trimmed) and its tokens (positions relative to the query). */
export interface StatementText {
  readonly text: string;
  readonly start: number;
  readonly tokens: readonly Token[];
}

/** The statements of a query, split on `;` outside strings, identifiers, regexes and comments. */
export function splitStatements(q: string): StatementText[] {
  const tokens = tokenize(q);
  const statements: StatementText[] = [];
  let current: Token[] = [];
  for (const token of tokens) {
    if (token.type === 'semicolon') {
      if (current.length > 0) statements.push(statementOf(q, current));
      current = [];
    } else {
      current.push(token);
    }
  }
  if (current.length > 0) statements.push(statementOf(q, current));
  return statements;
}

function statementOf(q: string, tokens: Token[]): StatementText {
  const start = (tokens[0] as Token).start;
  const end = (tokens[tokens.length - 1] as Token).end;
  return { text: q.slice(start, end), start, tokens };
}

/** An identifier as InfluxQL prints it: bare when it can be, else double-quoted with escapes. */
export function quoteIdent(name: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !KEYWORDS.has(name.toUpperCase())) return name;
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A string literal as InfluxQL reads it: single-quoted, with backslashes and quotes escaped. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
