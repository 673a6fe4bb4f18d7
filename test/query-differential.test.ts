// Promise 3, "exact answers or a clear refusal", checked differentially: the same databases, retention
// policies and data go into a 2 circles × 2 nodes cluster (through the proxy) and into one standalone
// influxd, then every request of the corpus (test/fixtures/query-corpus.ts) goes to both, and the
// answers must be the same — or the request is on the corpus' short list of documented refusals (400 and
// the refusal's message), or on KNOWN_DIFFERENCES below (influxd 1.6.7's own quirks, with the reason).
//
// What "the same" means:
// - the HTTP status and the Content-Type are equal, and so is X-Influxdb-Error when either sends it;
// - JSON (compact or pretty) and CSV: the bodies are equal byte for byte. Nothing in these answers is
//   legitimately free to differ: influxd orders series (by name then tags, reversed under ORDER BY time
//   DESC), list rows and SHOW DATABASES (creation order — both sides create the databases in the same
//   order; the proxy hides its own `_influxring`, the standalone has none) deterministically, and the
//   proxy keeps every number's text, so a merged answer can be written exactly as influxd writes it;
// - chunked JSON: the chunks are merged per statement (series rows concatenated, `partial` dropped)
//   and the results compared; where chunk boundaries fall is not compared.
// When bodies differ, the report shows the first difference of the parsed answers (numbers compared
// by their exact text: influx sends int64 values no JavaScript number holds).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdServer } from '../deploy/local/influxd.js';
import { JsonNumber, parseJson, writeJson, type JsonValue } from '../proxy/json-lossless.js';
import { startCluster, type TestCluster } from './helpers/cluster.js';
import { post } from './helpers/influx.js';
import { ownerIn } from './helpers/load.js';
import { corpus, dataSet, PLACEMENT, type QueryCase } from './fixtures/query-corpus.js';

/**
 * influxd 1.6.7's own documented differences, by the corpus' `known` tag. The proxy is compared with
 * what influxd's answer should be, built from influxd's answers to the statements one at a time.
 */
const KNOWN_DIFFERENCES: Record<NonNullable<QueryCase['known']>, string> = {
  'failing-statement':
    'When a statement of a multi-statement query fails at run time, influxd 1.6.7 numbers the "not executed" results of the ' +
    'statements after it with the failing statement\'s id. Not chunked, it then keeps only the last result of each id: the ' +
    'failing statement shows "not executed" instead of its error and the statements after it are missing; chunked, the error is ' +
    'there but every "not executed" carries the failing statement\'s id. The proxy numbers them right: expected = influxd\'s ' +
    'answers to the statements before, each run alone; the failing statement\'s error (run alone); then "not executed" for each ' +
    'statement after it, with its own id.',
};

/** DDL run through the proxy and, the same, directly on the standalone. */
const CATALOG = [
  'CREATE DATABASE diff_a',
  'CREATE RETENTION POLICY archive ON diff_a DURATION INF REPLICATION 1',
  'CREATE RETENTION POLICY tiny ON diff_a DURATION 1h REPLICATION 1 SHARD DURATION 30m',
  'CREATE RETENTION POLICY sparse ON diff_a DURATION INF REPLICATION 1',
  'ALTER RETENTION POLICY tiny ON diff_a DURATION 2h',
  'CREATE DATABASE diff_b WITH DURATION INF REPLICATION 1 SHARD DURATION 1d NAME main',
  'CREATE RETENTION POLICY "two weeks" ON diff_b DURATION 14d REPLICATION 1 SHARD DURATION 2d',
  'CREATE DATABASE diff_c',
];

let cluster: TestCluster;
let standalone: InfluxdServer;
let standaloneDir: string;

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly errorHeader: string | null;
  readonly body: string;
}

/** Sends one corpus request (POST with a form body, or GET) to `url`. */
async function ask(url: string, c: QueryCase, q: string = c.q): Promise<Answer> {
  const form = new URLSearchParams({ q });
  if (c.db !== undefined) form.set('db', c.db);
  if (c.rp !== undefined) form.set('rp', c.rp);
  if (c.epoch !== undefined) form.set('epoch', c.epoch);
  if (c.chunked) form.set('chunked', 'true');
  if (c.chunkSize !== undefined) form.set('chunk_size', String(c.chunkSize));
  if (c.params !== undefined) form.set('params', JSON.stringify(c.params));
  if (c.prettyInForm) form.set('pretty', 'true');
  const search = new URLSearchParams(c.get ? form : undefined);
  if (c.pretty) search.set('pretty', 'true');
  const headers: Record<string, string> = {};
  const accept = c.accept ?? (c.csv ? 'application/csv' : undefined);
  if (accept !== undefined) headers.accept = accept;
  const target = `${url}/query${search.size > 0 ? `?${search.toString()}` : ''}`;
  const response = c.get
    ? await fetch(target, { headers })
    : await fetch(target, { method: 'POST', body: form, headers });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    errorHeader: response.headers.get('x-influxdb-error'),
    body: await response.text(),
  };
}

/** The JSON documents of a body: one, or one per chunk (compact: one a line; pretty: several lines each). */
function documents(body: string): JsonValue[] {
  const out: JsonValue[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) out.push(parseJson(body.slice(start, i + 1)));
    }
  }
  return out;
}

type JsonObject = { [key: string]: JsonValue };

const isObject = (v: JsonValue | undefined): v is JsonObject => v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v) && !(v instanceof JsonNumber);

/**
 * Chunks merged per statement: consecutive results of one statement become one result, consecutive
 * parts of one series (same name, tags and columns) one series; `partial` dropped. Request-level
 * errors (`{"error": …}`) are kept in place.
 */
function mergeChunks(docs: readonly JsonValue[]): JsonValue {
  const out: JsonValue[] = [];
  let current: JsonObject | null = null;
  for (const doc of docs) {
    if (!isObject(doc) || !Array.isArray(doc.results)) {
      out.push(doc);
      current = null;
      continue;
    }
    for (const result of doc.results) {
      if (!isObject(result)) continue;
      const { partial: _partial, ...rest } = result;
      const id = writeJson(result.statement_id ?? null);
      if (current === null || writeJson(current.statement_id ?? null) !== id || current.error !== undefined || rest.error !== undefined) {
        current = { ...rest, ...(Array.isArray(rest.series) ? { series: [] } : {}) };
        out.push(current);
      }
      for (const s of Array.isArray(rest.series) ? rest.series : []) {
        if (!isObject(s)) continue;
        const { partial: _p, ...series } = s;
        const list = (current.series ??= []) as JsonObject[];
        const last = list[list.length - 1];
        const same = last !== undefined && writeJson(last.name ?? null) === writeJson(series.name ?? null) && writeJson(last.tags ?? null) === writeJson(series.tags ?? null) && writeJson(last.columns ?? null) === writeJson(series.columns ?? null);
        if (same && Array.isArray(last.values) && Array.isArray(series.values)) last.values = [...last.values, ...series.values];
        else list.push({ ...series });
      }
      if (Array.isArray(current.series) && current.series.length === 0) delete current.series;
    }
  }
  return out;
}

/** CSV statements (separated by a blank line), each as its lines. */
function csvStatements(body: string): string[][] {
  return body
    .replace(/\n+$/, '')
    .split('\n\n')
    .map((part) => part.split('\n'));
}

/** What is compared of an answer's body. */
function comparable(answer: Answer, chunked: boolean): JsonValue {
  if (answer.contentType.includes('csv')) return csvStatements(answer.body);
  try {
    const docs = documents(answer.body);
    return chunked ? mergeChunks(docs) : docs.length === 1 ? (docs[0] as JsonValue) : docs;
  } catch {
    return answer.body;
  }
}

/** The first place where two parsed answers differ, as a path and both values. */
function firstDifference(a: JsonValue | undefined, b: JsonValue | undefined, path = '$'): string | null {
  const text = (v: JsonValue | undefined): string => (v === undefined ? '(absent)' : writeJson(v));
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const key of keys) {
      const d = firstDifference(a[key], b[key], `${path}.${key}`);
      if (d !== null) return d;
    }
    if (Object.keys(a).join() !== Object.keys(b).join()) return `${path}: key order ${Object.keys(a).join(',')} vs ${Object.keys(b).join(',')}`;
    return null;
  }
  if (text(a) === text(b)) return null;
  return `${path}: proxy ${text(a).slice(0, 300)} vs influxd ${text(b).slice(0, 300)}`;
}

function describeCase(c: QueryCase): string {
  const options = Object.entries(c)
    .filter(([key]) => key !== 'q' && key !== 'refusal')
    .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
  return `${c.q}${options.length > 0 ? `   [${options.join(' ')}]` : ''}`;
}

const clip = (text: string, n: number = 1500): string => (text.length > n ? `${text.slice(0, n)}… (${text.length} chars)` : text);

/** A body to print: as it is, clipped, or its size when it is not text (msgpack). */
function printable(a: Answer, n?: number): string {
  return a.contentType.includes('msgpack') ? `(msgpack, ${a.body.length} chars)` : clip(a.body, n);
}

function showAnswer(label: string, a: Answer): string {
  return `  ${label}: ${a.status} ${a.contentType}${a.errorHeader === null ? '' : ` X-Influxdb-Error: ${a.errorHeader}`}\n    ${printable(a).replace(/\n/g, '\n    ')}`;
}

interface Mismatch {
  readonly c: QueryCase;
  readonly why: string;
  readonly proxy: Answer;
  readonly influxd: Answer | null;
}

/** Compares the proxy's answer with influxd's; returns why they differ, or null. */
function difference(c: QueryCase, proxy: Answer, influxd: Answer): string | null {
  if (proxy.status !== influxd.status) return `status ${proxy.status} vs ${influxd.status}`;
  if (proxy.contentType !== influxd.contentType) return `Content-Type ${proxy.contentType} vs ${influxd.contentType}`;
  if ((proxy.errorHeader !== null || influxd.errorHeader !== null) && proxy.errorHeader !== influxd.errorHeader) {
    return `X-Influxdb-Error ${String(proxy.errorHeader)} vs ${String(influxd.errorHeader)}`;
  }
  const chunked = c.chunked === true && !c.csv;
  const a = comparable(proxy, chunked);
  const b = comparable(influxd, chunked);
  const different = firstDifference(a, b);
  if (different !== null) return `body differs at ${different}`;
  if (!chunked && proxy.body !== influxd.body) {
    const at = [...proxy.body].findIndex((ch, i) => ch !== influxd.body[i]);
    return `same content, different bytes (from offset ${at}: proxy ${JSON.stringify(proxy.body.slice(at, at + 80))} vs influxd ${JSON.stringify(influxd.body.slice(at, at + 80))})`;
  }
  return null;
}

/** The error text of a refusal answer (JSON `error`, or CSV's `error` row). */
function errorOf(answer: Answer): string | null {
  if (answer.contentType.includes('csv')) {
    const lines = answer.body.split('\n');
    return lines[0] === 'error' ? (lines[1] ?? null) : null;
  }
  try {
    const body = parseJson(answer.body);
    return isObject(body) && typeof body.error === 'string' ? body.error : null;
  } catch {
    return null;
  }
}

/**
 * influxd's answer as it should be for a `failing-statement` case: each statement run alone on the
 * standalone; the first failing one keeps its error, the rest are "not executed".
 */
async function expectedForFailingStatement(c: QueryCase): Promise<string> {
  const statements = c.q.split(';').map((s) => s.trim()).filter((s) => s !== '');
  const results: JsonValue[] = [];
  let failed = false;
  for (const [i, statement] of statements.entries()) {
    if (failed) {
      results.push({ statement_id: new JsonNumber(String(i)), error: 'not executed' });
      continue;
    }
    const alone = parseJson((await ask(standalone.url, { ...c, chunked: false }, statement)).body);
    const result = isObject(alone) && Array.isArray(alone.results) ? alone.results[0] : undefined;
    if (!isObject(result)) throw new Error(`no result for ${statement}: ${writeJson(alone)}`);
    results.push({ ...result, statement_id: new JsonNumber(String(i)) });
    if (typeof result.error === 'string') failed = true;
  }
  if (!failed) throw new Error(`no statement of a failing-statement case fails: ${c.q}`);
  // chunked: one document per statement (compared after merging the chunks, so its shape is enough)
  return c.chunked ? results.map((r) => `${writeJson({ results: [r] })}\n`).join('') : `${writeJson({ results })}\n`;
}

beforeAll(async () => {
  standaloneDir = mkdtempSync(join(tmpdir(), 'influxring-differential-'));
  [cluster, standalone] = await Promise.all([
    startCluster({ circles: [2, 2], databases: [] }),
    startInfluxd({ name: 'standalone', dir: standaloneDir }),
  ]);
  for (const statement of CATALOG) {
    const [viaProxy, direct] = await Promise.all([ask(cluster.url, { q: statement }), ask(standalone.url, { q: statement })]);
    expect({ status: viaProxy.status, body: viaProxy.body }, statement).toEqual({ status: 200, body: direct.body });
    expect(direct.body, statement).not.toContain('error');
  }
  for (const batch of dataSet()) {
    const path = `/write?db=${batch.db}${batch.rp === null ? '' : `&rp=${batch.rp}`}`;
    const body = `${batch.lines.join('\n')}\n`;
    const [viaProxy, direct] = await Promise.all([post(cluster.url, path, body), post(standalone.url, path, body)]);
    expect({ status: direct.status, body: direct.body }, `standalone ${path}`).toEqual({ status: 204, body: '' });
    expect({ status: viaProxy.status, body: viaProxy.body }, `proxy ${path}`).toEqual({ status: 204, body: '' });
  }
});

afterAll(async () => {
  await cluster?.stop();
  await standalone?.stop();
  if (standaloneDir) rmSync(standaloneDir, { recursive: true, force: true });
});

describe('query differential: the proxy answers as one influxd holding all the data', () => {
  it('places the measurements as the corpus assumes, and every node owns some', () => {
    for (const [key, expected] of Object.entries(PLACEMENT)) {
      const [db, measurement] = key.split(/,(.*)/s) as [string, string];
      const owners = cluster.nodes.map((circle) => ownerIn(circle, db, measurement).name);
      expect(owners, key).toEqual(expected);
    }
    const lines = dataSet().flatMap((batch) => batch.lines.map((line) => ({ db: batch.db, name: line.slice(0, line.search(/(?<!\\)[, ]/)).replace(/\\(.)/g, '$1') })));
    const keys = new Set(lines.map((l) => `${l.db},${l.name}`));
    expect(keys.size).toBeGreaterThanOrEqual(40);
    for (const circle of cluster.nodes) {
      const owned = new Map(circle.map((node) => [node.name, 0]));
      for (const key of keys) {
        const [db, name] = key.split(/,(.*)/s) as [string, string];
        const owner = ownerIn(circle, db, name).name;
        owned.set(owner, (owned.get(owner) ?? 0) + 1);
      }
      for (const [node, count] of owned) expect(count, `measurements owned by ${node}`).toBeGreaterThanOrEqual(5);
    }
  });

  it('answers every query of the corpus as influxd, or refuses it as documented', async () => {
    const cases = corpus();
    expect(cases.length).toBeGreaterThanOrEqual(200);
    const mismatches: Mismatch[] = [];
    let equal = 0;
    let refused = 0;
    let known = 0;
    for (const c of cases) {
      if (c.refusal !== undefined) {
        const proxy = await ask(cluster.url, c);
        const error = errorOf(proxy);
        if (proxy.status === 400 && error !== null && c.refusal.test(error)) refused++;
        else mismatches.push({ c, why: `expected a refusal matching ${String(c.refusal)}`, proxy, influxd: null });
        continue;
      }
      const [proxy, influxd] = await Promise.all([ask(cluster.url, c), ask(standalone.url, c)]);
      if (c.known !== undefined) {
        const expected: Answer = { ...influxd, body: await expectedForFailingStatement(c) };
        const why = difference(c, proxy, expected);
        if (why === null) known++;
        else mismatches.push({ c, why: `${why}\n  (compared with influxd's answer corrected for a known difference: ${KNOWN_DIFFERENCES[c.known]})`, proxy, influxd: expected });
        continue;
      }
      const why = difference(c, proxy, influxd);
      if (why === null) equal++;
      else mismatches.push({ c, why, proxy, influxd });
    }
    const summary = `query differential: ${cases.length} requests compared — ${equal} equal, ${refused} documented refusals, ${known} known influxd differences, ${mismatches.length} mismatches`;
    console.log(summary);
    const report = mismatches
      .map((m, i) => [`#${i + 1} ${describeCase(m.c)}`, `  ${m.why}`, showAnswer('proxy  ', m.proxy), ...(m.influxd === null ? [] : [showAnswer('influxd', m.influxd)])].join('\n'))
      .join('\n\n');
    let where = '';
    if (mismatches.length > 0) {
      // the whole answers, for a closer look; the assertion message has them clipped
      const file = join(tmpdir(), 'influxring-query-differential.txt');
      writeFileSync(
        file,
        mismatches.map((m) => [`#${describeCase(m.c)}`, `  ${m.why}`, `  proxy: ${m.proxy.status}\n${printable(m.proxy, Infinity)}`, `  influxd: ${m.influxd?.status ?? ''}\n${m.influxd === null ? '' : printable(m.influxd, Infinity)}`].join('\n')).join('\n\n'),
      );
      where = `\n\n(whole answers in ${file})`;
    }
    expect(mismatches.length, `${summary}\n\n${report}${where}`).toBe(0);
  });
});
