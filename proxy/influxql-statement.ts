// What the query router needs to know about one InfluxQL statement: its kind, the measurements it reads
// or changes (with their database and retention policy qualifiers, or a regex), its subqueries and INTO
// target, the database of `ON`, and where its LIMIT/OFFSET/SLIMIT/SOFFSET clauses are so they can be
// rewritten. It is not a full parser: influxd parses every statement it is sent and reports syntax
// errors itself; this reads just enough structure to route a statement correctly.
import type { StatementText, Token } from './influxql-tokens.js';

/** A measurement as a statement names it: `m`, `rp.m`, `db.rp.m`, `db..m`, or a regex in the last place. */
export interface MeasurementRef {
  readonly db: string | null;
  readonly rp: string | null;
  /** The name, or null for a regex. */
  readonly name: string | null;
  /** The regex pattern, or null for a name. */
  readonly regex: string | null;
}

export type Source = { readonly kind: 'measurement'; readonly ref: MeasurementRef } | { readonly kind: 'subquery'; readonly select: SelectInfo };

/** Where a numeric clause is, by token index in the statement, and its value. */
export interface Clause {
  readonly value: number;
  /** Token indexes [first, last] of the keyword and its number. */
  readonly first: number;
  readonly last: number;
}

export interface Clauses {
  limit: Clause | null;
  offset: Clause | null;
  slimit: Clause | null;
  soffset: Clause | null;
}

export interface SelectInfo {
  readonly sources: readonly Source[];
  /** INTO target (name null with `:MEASUREMENT`), or null. */
  readonly into: MeasurementRef | null;
  /** The field list has `*` or a regex: the columns are the union over every measurement read. */
  readonly wildcard: boolean;
  /**
   * The wildcard sits among other fields (`SELECT v, *`, `count(*), max(v)`): influxd expands it in
   * place and renames clashes (`v_1`), an order no merge of per-node answers can rebuild.
   */
  readonly mixedWildcard: boolean;
  /** ORDER BY time DESC at this level. */
  readonly descending: boolean;
  /** GROUP BY * or GROUP BY /regex/: every series carries every tag key of every measurement read. */
  readonly groupByAll: boolean;
  readonly clauses: Clauses;
}

export type Statement =
  | { readonly kind: 'select'; readonly explain: boolean; readonly select: SelectInfo }
  | { readonly kind: 'show-databases' }
  | { readonly kind: 'show-retention-policies'; readonly on: string | null }
  | {
      readonly kind: 'show-measurements';
      readonly on: string | null;
      readonly clauses: Clauses;
    }
  | {
      readonly kind: 'show-series' | 'show-tag-keys' | 'show-tag-values' | 'show-field-keys';
      readonly on: string | null;
      readonly sources: readonly Source[];
      readonly clauses: Clauses;
      /** WHERE names `time`: influxd then reads the data, and lists series keys in their escaped order. */
      readonly timeCondition: boolean;
    }
  | { readonly kind: 'create-database' | 'drop-database'; readonly db: string }
  | {
      readonly kind: 'create-retention-policy' | 'alter-retention-policy' | 'drop-retention-policy';
      readonly rp: string;
      readonly db: string;
    }
  | { readonly kind: 'delete' | 'drop-series'; readonly on: string | null; readonly sources: readonly Source[] }
  | { readonly kind: 'drop-measurement'; readonly name: string }
  | { readonly kind: 'cardinality'; readonly on: string | null; readonly what: string; readonly sources: readonly Source[]; readonly where: boolean }
  /** Anything else, named by its leading keywords (e.g. `SHOW USERS`, `CREATE CONTINUOUS QUERY`). */
  | { readonly kind: 'other'; readonly words: string };

export class StatementError extends Error {
  override readonly name = 'StatementError';
}

const CLAUSE_KEYWORDS = new Set(['LIMIT', 'OFFSET', 'SLIMIT', 'SOFFSET']);

/** A cursor over the tokens of one statement (or of a subquery inside it). */
class Cursor {
  readonly tokens: readonly Token[];
  i: number;
  readonly end: number;

  constructor(tokens: readonly Token[], start = 0, end = tokens.length) {
    this.tokens = tokens;
    this.i = start;
    this.end = end;
  }

  peek(offset = 0): Token | undefined {
    const at = this.i + offset;
    return at < this.end ? this.tokens[at] : undefined;
  }

  next(): Token | undefined {
    const token = this.peek();
    if (token !== undefined) this.i++;
    return token;
  }

  isKeyword(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token !== undefined && token.type === 'keyword' && token.value === word;
  }

  accept(word: string): boolean {
    if (!this.isKeyword(word)) return false;
    this.i++;
    return true;
  }

  /** An identifier (bare, quoted, or a keyword used as a name). */
  name(): string {
    const token = this.next();
    if (token === undefined || (token.type !== 'ident' && token.type !== 'keyword' && token.type !== 'string')) {
      throw new StatementError('expected a name');
    }
    return token.value;
  }
}

/** The index of the token closing the parenthesis opened at `open`. */
function closing(tokens: readonly Token[], open: number, end: number): number {
  let depth = 0;
  for (let i = open; i < end; i++) {
    const t = tokens[i] as Token;
    if (t.type === 'lparen') depth++;
    else if (t.type === 'rparen' && --depth === 0) return i;
  }
  throw new StatementError('unbalanced parentheses');
}

/** `m`, `rp.m`, `db.rp.m`, `db..m`, `/re/`, `db.rp./re/`… at the cursor. */
function parseMeasurementRef(c: Cursor): MeasurementRef {
  const segments: (Token | null)[] = [];
  for (;;) {
    const t = c.peek();
    if (t !== undefined && (t.type === 'ident' || t.type === 'keyword' || t.type === 'regex' || t.type === 'string')) {
      segments.push(c.next() as Token);
      if (t.type === 'regex') break;
    } else {
      segments.push(null);
    }
    if (c.peek()?.type !== 'dot') break;
    c.next();
  }
  const last = segments[segments.length - 1];
  if (last === null || last === undefined || segments.length > 3) throw new StatementError('expected a measurement');
  const value = (t: Token | null | undefined): string | null => (t === null || t === undefined || t.value === '' ? null : t.value);
  const db = segments.length === 3 ? value(segments[0]) : null;
  const rp = segments.length >= 2 ? value(segments[segments.length - 2]) : null;
  return last.type === 'regex' ? { db, rp, name: null, regex: last.value } : { db, rp, name: last.value, regex: null };
}

/** FROM's source list: measurements, regexes and parenthesised subqueries, up to the next clause. */
function parseSources(c: Cursor): Source[] {
  const sources: Source[] = [];
  for (;;) {
    const t = c.peek();
    if (t === undefined) break;
    if (t.type === 'lparen') {
      const close = closing(c.tokens, c.i, c.end);
      const inner = new Cursor(c.tokens, c.i + 1, close);
      if (!inner.accept('SELECT')) throw new StatementError('expected SELECT in a subquery');
      sources.push({ kind: 'subquery', select: parseSelect(inner) });
      c.i = close + 1;
    } else {
      sources.push({ kind: 'measurement', ref: parseMeasurementRef(c) });
    }
    if (c.peek()?.type !== 'comma') break;
    c.next();
  }
  return sources;
}

/** Numeric clauses at this level (not inside parentheses), from the cursor to its end. */
function findClauses(c: Cursor): Clauses {
  const clauses: Clauses = { limit: null, offset: null, slimit: null, soffset: null };
  let depth = 0;
  for (let i = c.i; i < c.end; i++) {
    const t = c.tokens[i] as Token;
    if (t.type === 'lparen') depth++;
    else if (t.type === 'rparen') depth--;
    else if (depth === 0 && t.type === 'keyword' && CLAUSE_KEYWORDS.has(t.value)) {
      const n = c.tokens[i + 1];
      if (n !== undefined && n.type === 'number' && i + 1 < c.end) {
        const clause = { value: Number(n.value), first: i, last: i + 1 };
        clauses[t.value.toLowerCase() as keyof Clauses] = clause;
      }
    }
  }
  return clauses;
}

/** A SELECT after its keyword: field list (wildcards), INTO, FROM, and the clauses of this level. */
function parseSelect(c: Cursor): SelectInfo {
  let wildcard = false;
  let fields = 1;
  let into: MeasurementRef | null = null;
  let depth = 0;
  // Field list, up to INTO or FROM at this level.
  while (c.peek() !== undefined) {
    const t = c.peek() as Token;
    if (depth === 0 && t.type === 'keyword' && (t.value === 'INTO' || t.value === 'FROM')) break;
    if (t.type === 'lparen') depth++;
    else if (t.type === 'rparen') depth--;
    else if (depth === 0 && t.type === 'comma') fields++;
    else if (t.type === 'regex' || (t.type === 'op' && t.value === '*' && isWildcardStar(c))) wildcard = true;
    c.next();
  }
  if (c.accept('INTO')) into = parseIntoTarget(c);
  const clausesFrom = new Cursor(c.tokens, c.i, c.end);
  let sources: Source[] = [];
  if (c.accept('FROM')) sources = parseSources(c);
  // Skip to the end of this SELECT; the clauses are found over its whole remaining text.
  const clauses = findClauses(clausesFrom);
  const rest = new Cursor(c.tokens, c.i, c.end);
  const descending = orderedDescending(rest);
  const groupByAll = groupsByAll(rest);
  c.i = c.end;
  return { sources, into, wildcard, mixedWildcard: wildcard && fields > 1, descending, groupByAll, clauses };
}

/** `*` is a wildcard where a field could start (after SELECT, `,` or `(`); elsewhere it multiplies. */
function isWildcardStar(c: Cursor): boolean {
  const before = c.tokens[c.i - 1];
  if (before === undefined) return true;
  return before.type === 'comma' || before.type === 'lparen' || (before.type === 'keyword' && before.value === 'SELECT');
}

/** `GROUP BY *` or a regex among the GROUP BY dimensions, at this level. */
function groupsByAll(c: Cursor): boolean {
  let depth = 0;
  for (let i = c.i; i < c.end; i++) {
    const t = c.tokens[i] as Token;
    if (t.type === 'lparen') depth++;
    else if (t.type === 'rparen') depth--;
    else if (depth === 0 && t.type === 'keyword' && t.value === 'GROUP' && c.tokens[i + 1]?.type === 'keyword' && c.tokens[i + 1]?.value === 'BY') {
      for (let j = i + 2; j < c.end; j++) {
        const u = c.tokens[j] as Token;
        if (u.type === 'keyword' && u.value !== 'TIME') break;
        if (u.type === 'regex' || (u.type === 'op' && u.value === '*')) return true;
      }
    }
  }
  return false;
}

/** `ORDER BY time DESC` at this level (not inside a subquery's parentheses). */
function orderedDescending(c: Cursor): boolean {
  let depth = 0;
  for (let i = c.i; i < c.end; i++) {
    const t = c.tokens[i] as Token;
    if (t.type === 'lparen') depth++;
    else if (t.type === 'rparen') depth--;
    else if (depth === 0 && t.type === 'keyword' && t.value === 'ORDER') {
      for (let j = i + 1; j < c.end; j++) {
        const u = c.tokens[j] as Token;
        if (u.type === 'keyword' && u.value === 'DESC') return true;
        if (u.type === 'keyword' && (u.value === 'LIMIT' || u.value === 'OFFSET' || u.value === 'SLIMIT' || u.value === 'SOFFSET')) return false;
      }
    }
  }
  return false;
}

/** INTO's target: a measurement reference, whose last place may be `:MEASUREMENT` (a back-reference). */
function parseIntoTarget(c: Cursor): MeasurementRef {
  const BACK_REFERENCE = '\u0000:MEASUREMENT';
  const segments: (string | null)[] = [];
  for (;;) {
    const t = c.peek();
    if (t?.type === 'op' && t.value === ':') {
      c.next();
      c.accept('MEASUREMENT');
      segments.push(BACK_REFERENCE);
      break;
    }
    if (t !== undefined && (t.type === 'ident' || t.type === 'keyword')) {
      segments.push(t.value);
      c.next();
    } else {
      segments.push(null);
    }
    if (c.peek()?.type !== 'dot') break;
    c.next();
  }
  const last = segments[segments.length - 1] ?? null;
  if (last === null || segments.length > 3) throw new StatementError('expected a measurement after INTO');
  const db = segments.length === 3 ? (segments[0] ?? null) : null;
  const rp = segments.length >= 2 ? (segments[segments.length - 2] ?? null) : null;
  return { db, rp, name: last === BACK_REFERENCE ? null : last, regex: null };
}

function parseOn(c: Cursor): string | null {
  return c.accept('ON') ? c.name() : null;
}

/** Reads one statement's structure. Throws StatementError when it cannot (influxd will say why). */
export function analyzeStatement(statement: StatementText): Statement {
  const c = new Cursor(statement.tokens);
  const first = c.peek();
  if (first === undefined) throw new StatementError('empty statement');
  if (c.accept('EXPLAIN')) {
    c.accept('ANALYZE');
    if (!c.accept('SELECT')) throw new StatementError('expected SELECT after EXPLAIN');
    return { kind: 'select', explain: true, select: parseSelect(c) };
  }
  if (c.accept('SELECT')) return { kind: 'select', explain: false, select: parseSelect(c) };
  if (c.accept('SHOW')) return analyzeShow(c);
  if (c.accept('CREATE')) {
    if (c.accept('DATABASE')) return { kind: 'create-database', db: c.name() };
    if (c.accept('RETENTION')) {
      if (!c.accept('POLICY')) throw new StatementError('expected POLICY');
      const rp = c.name();
      if (!c.accept('ON')) throw new StatementError('expected ON');
      return { kind: 'create-retention-policy', rp, db: c.name() };
    }
    return other(c, 'CREATE');
  }
  if (c.accept('ALTER')) {
    if (c.accept('RETENTION') && c.accept('POLICY')) {
      const rp = c.name();
      if (!c.accept('ON')) throw new StatementError('expected ON');
      return { kind: 'alter-retention-policy', rp, db: c.name() };
    }
    return other(new Cursor(statement.tokens, 1), 'ALTER');
  }
  if (c.accept('DROP')) {
    if (c.accept('DATABASE')) return { kind: 'drop-database', db: c.name() };
    if (c.accept('RETENTION')) {
      if (!c.accept('POLICY')) throw new StatementError('expected POLICY');
      const rp = c.name();
      if (!c.accept('ON')) throw new StatementError('expected ON');
      return { kind: 'drop-retention-policy', rp, db: c.name() };
    }
    if (c.accept('MEASUREMENT')) return { kind: 'drop-measurement', name: c.name() };
    if (c.accept('SERIES')) return { kind: 'drop-series', ...parseFromWhere(c) };
    return other(c, 'DROP');
  }
  if (c.accept('DELETE')) return { kind: 'delete', ...parseFromWhere(c) };
  return other(c, '');
}

function parseFromWhere(c: Cursor): { on: string | null; sources: Source[] } {
  const on = parseOn(c);
  const sources = c.accept('FROM') ? parseSources(c) : [];
  return { on, sources };
}

function analyzeShow(c: Cursor): Statement {
  if (c.accept('DATABASES')) return { kind: 'show-databases' };
  if (c.accept('RETENTION')) {
    if (!c.accept('POLICIES')) throw new StatementError('expected POLICIES');
    return { kind: 'show-retention-policies', on: parseOn(c) };
  }
  if (c.isKeyword('MEASUREMENT') && (c.isKeyword('CARDINALITY', 1) || c.isKeyword('EXACT', 1))) return cardinality(c, 'MEASUREMENT');
  if (c.isKeyword('SERIES') && (c.isKeyword('CARDINALITY', 1) || c.isKeyword('EXACT', 1))) return cardinality(c, 'SERIES');
  if (c.accept('MEASUREMENTS')) {
    const on = parseOn(c);
    return { kind: 'show-measurements', on, clauses: findClauses(c) };
  }
  if (c.accept('SERIES')) return showWithSources(c, 'show-series');
  if (c.isKeyword('TAG') && c.isKeyword('KEYS', 1)) {
    c.i += 2;
    return showWithSources(c, 'show-tag-keys');
  }
  if (c.isKeyword('TAG') && (c.isKeyword('KEY', 1) || c.isKeyword('VALUES', 1)) && (c.isKeyword('CARDINALITY', 2) || c.isKeyword('EXACT', 2))) {
    return cardinality(c, 'TAG');
  }
  if (c.isKeyword('TAG') && c.isKeyword('VALUES', 1)) {
    c.i += 2;
    return showWithSources(c, 'show-tag-values');
  }
  if (c.isKeyword('FIELD') && c.isKeyword('KEYS', 1)) {
    c.i += 2;
    return showWithSources(c, 'show-field-keys');
  }
  if (c.isKeyword('FIELD') && c.isKeyword('KEY', 1)) return cardinality(c, 'FIELD');
  return other(c, 'SHOW');
}

function showWithSources(c: Cursor, kind: 'show-series' | 'show-tag-keys' | 'show-tag-values' | 'show-field-keys'): Statement {
  const on = parseOn(c);
  const sources = c.accept('FROM') ? parseSources(c) : [];
  return { kind, on, sources, clauses: findClauses(c), timeCondition: namesTime(c) };
}

/** Whether the rest of the statement (its WHERE) names `time`. */
function namesTime(c: Cursor): boolean {
  for (let i = c.i; i < c.end; i++) {
    const t = c.tokens[i] as Token;
    if (t.type === 'ident' && t.value.toLowerCase() === 'time') return true;
  }
  return false;
}

/** SHOW … CARDINALITY: what is counted, `ON`, `FROM`. */
function cardinality(c: Cursor, what: string): Statement {
  const words: string[] = [];
  const ends = ['ON', 'FROM', 'WHERE', 'WITH', 'GROUP', 'LIMIT', 'OFFSET', 'SLIMIT', 'SOFFSET', 'ORDER'];
  while (c.peek()?.type === 'keyword' && !ends.some((word) => c.isKeyword(word))) {
    words.push((c.next() as Token).value);
  }
  const on = parseOn(c);
  const sources = c.accept('FROM') ? parseSources(c) : [];
  const where = c.tokens.slice(c.i, c.end).some((t) => t.type === 'keyword' && t.value === 'WHERE');
  return { kind: 'cardinality', on, what: `${what} ${words.slice(1).join(' ')}`.trim(), sources, where };
}

function other(c: Cursor, lead: string): Statement {
  const words = lead === '' ? [] : [lead];
  while (c.peek()?.type === 'keyword' && words.length < 3) words.push((c.next() as Token).value);
  return { kind: 'other', words: words.join(' ') };
}

/** Every measurement a SELECT reads, its subqueries included. */
export function selectMeasurements(select: SelectInfo): MeasurementRef[] {
  return select.sources.flatMap((source) => (source.kind === 'measurement' ? [source.ref] : selectMeasurements(source.select)));
}

/** Whether a SELECT (or one of its subqueries) reads from a subquery. */
export function hasSubquery(select: SelectInfo): boolean {
  return select.sources.some((source) => source.kind === 'subquery');
}

/**
 * The statement's text without the clauses given (token ranges), and with `replace` put where the
 * first removed clause was (e.g. a larger LIMIT).
 */
export function rewriteClauses(statement: StatementText, remove: readonly (Clause | null)[], replace = ''): string {
  const ranges = remove.filter((clause): clause is Clause => clause !== null).sort((a, b) => a.first - b.first);
  if (ranges.length === 0) return replace === '' ? statement.text : `${statement.text} ${replace}`;
  let out = '';
  let at = statement.start;
  let replaced = false;
  const q = statement.text;
  for (const range of ranges) {
    const from = (statement.tokens[range.first] as Token).start;
    const to = (statement.tokens[range.last] as Token).end;
    out += q.slice(at - statement.start, from - statement.start);
    if (!replaced && replace !== '') {
      out += replace;
      replaced = true;
    }
    at = to;
  }
  out += q.slice(at - statement.start);
  return out.replace(/\s+$/, '');
}
