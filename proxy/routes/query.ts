// GET|POST /query: InfluxQL as InfluxDB 1.x serves it (q, db, rp, epoch, chunked, chunk_size, pretty,
// params; JSON, chunked JSON or CSV; gzip when accepted). Each statement is planned (query-plan.ts); a
// query that InfluxRing cannot answer exactly is refused with 400 before anything runs. A query of
// several statements is first checked for syntax errors by a node (influxd parses every statement
// before running any), then run statement by statement; after a failing statement the rest are not run.
import { randomUUID } from 'node:crypto';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { text } from 'node:stream/consumers';
import { promisify } from 'node:util';
import { createGzip, gzip, gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { analyzeStatement, StatementError, type Statement } from '../influxql-statement.js';
import { splitStatements, TokenizeError, type StatementText } from '../influxql-tokens.js';
import { parseJson } from '../json-lossless.js';
import type { InfluxNode } from '../node.js';
import type { QueryExecutor, QueryParams, ReadOutcome } from '../query-executor.js';
import { renderChunks, renderCsv, renderError, renderJson, type OutputFormat } from '../query-format.js';
import type { StatementResult } from '../query-merge.js';
import { planStatement, type Plan } from '../query-plan.js';
import type { Topology } from '../topology.js';
import { headerSafe } from '../http-errors.js';
import type { RouteContext } from './context.js';

const DEFAULT_CHUNK_SIZE = 10_000;
/** Answers shorter than this are compressed on the event loop: cheaper than a trip to the thread pool. */
const SYNC_GZIP_BYTES = 64 * 1024;
const gzipAsync = promisify(gzip);

interface Request {
  readonly q: string | null;
  readonly params: QueryParams;
  readonly format: OutputFormat;
  readonly chunkSize: number | null;
  /** The Accept header a passed-through statement sends on: CSV, or MessagePack (merged answers are JSON). */
  readonly passthroughAccept: string | null;
  readonly gzip: boolean;
}

function readRequest(request: FastifyRequest): Request {
  const query = request.query as Record<string, string | undefined>;
  const form = request.body instanceof URLSearchParams ? request.body : new URLSearchParams();
  // As influxd (Go's FormValue): a value in the form body wins over the query string.
  const get = (name: string): string | null => form.get(name) ?? query[name] ?? null;
  // influxd compares the whole Accept header, with no content negotiation.
  const accept = request.headers.accept ?? '';
  const chunkSizeText = get('chunk_size');
  const chunkSize = chunkSizeText === null ? null : Number.parseInt(chunkSizeText, 10);
  const empty = (value: string | null): string | null => (value === '' ? null : value);
  const q = get('q');
  return {
    q: q === null || q.trim() === '' ? null : q,
    params: { db: empty(get('db')), rp: empty(get('rp')), epoch: empty(get('epoch')), params: empty(get('params')) },
    format: {
      csv: accept === 'application/csv' || accept === 'text/csv',
      // As influxd: pretty is read from the URL only.
      pretty: query.pretty === 'true',
      chunked: get('chunked') === 'true',
      chunkSize: chunkSize !== null && chunkSize > 0 ? chunkSize : DEFAULT_CHUNK_SIZE,
    },
    chunkSize: chunkSize !== null && chunkSize > 0 ? chunkSize : null,
    passthroughAccept: accept === 'application/csv' || accept === 'text/csv' || accept === 'application/x-msgpack' ? accept : null,
    gzip: /\bgzip\b/.test(request.headers['accept-encoding'] ?? ''),
  };
}

async function send(reply: FastifyReply, request: Request, status: number, contentType: string, body: string | Readable): Promise<FastifyReply> {
  reply.code(status).header('content-type', contentType);
  if (!request.gzip) return reply.send(body);
  reply.header('content-encoding', 'gzip');
  // A whole answer is compressed at once (a small one here, a large one on the thread pool); a stream as it flows.
  if (typeof body === 'string') {
    if (body.length < SYNC_GZIP_BYTES) return reply.send(gzipSync(body));
    return reply.send(await gzipAsync(body));
  }
  const gzip = createGzip();
  // A source that breaks (a node died mid-answer) breaks the client's response: never a short answer that looks whole.
  pipeline(body, gzip, () => undefined);
  return reply.send(gzip);
}

function contentType(format: OutputFormat): string {
  return format.csv ? 'text/csv' : 'application/json';
}

function sendError(reply: FastifyReply, request: Request, status: number, message: string): Promise<FastifyReply> {
  reply.header('x-influxdb-error', headerSafe(message));
  return send(reply, request, status, contentType(request.format), renderError(message, request.format));
}

/**
 * Asks a node whether the query parses, without running any of it: a first statement that fails at
 * run time (an unknown database) stops influxd before the others. Returns influxd's parse error (its
 * line numbers put back), or null.
 */
async function parseError(q: string, db: string | null, nodes: readonly InfluxNode[], timeout: number): Promise<string | null> {
  const check = `SELECT * FROM "influxring-parse-check-${randomUUID()}".."x";\n${q}`;
  // Any node parses alike; one that fails to answer (it died since its last health check) is skipped.
  for (const node of nodes.filter((n) => n.healthy)) {
    let body: { error?: unknown } | null;
    try {
      body = (await node.statement(check, db, timeout)).body as { error?: unknown } | null;
    } catch {
      continue;
    }
    if (typeof body?.error !== 'string') return null;
    return body.error.replace(/at line (\d+), char/, (_, line: string) => `at line ${Number(line) - 1}, char`);
  }
  return null;
}

interface Planned {
  readonly text: StatementText;
  readonly statement: Statement;
  readonly plan: Plan;
}

export function queryRoute(app: FastifyInstance, ctx: RouteContext, executor: QueryExecutor): void {
  const timeout = ctx.config.query.timeout;
  const handler = async (raw: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    // The whole request, streamed answers too, uses the topology current when it starts.
    const topology = ctx.cluster.begin();
    reply.raw.once('close', () => ctx.cluster.end(topology));
    const request = readRequest(raw);
    const { q, params, format } = request;
    if (q === null) return sendError(reply, request, 400, 'missing required parameter "q"');

    let planned: Planned[];
    try {
      planned = splitStatements(q).map((text) => {
        const statement = analyzeStatement(text);
        const plan = planStatement(statement, text, { topology, db: params.db, hiddenDatabases: ctx.hiddenDatabases });
        return { text, statement, plan };
      });
    } catch (err) {
      if (!(err instanceof TokenizeError || err instanceof StatementError)) throw err;
      // influxd says what is wrong with it; if it finds nothing wrong, we cannot route it.
      const parse = await parseError(q, params.db, topology.nodes, timeout);
      return sendError(reply, request, 400, parse ?? `InfluxRing cannot route this query: ${err.message}`);
    }
    if (planned.length === 0) return sendError(reply, request, 400, 'error parsing query: found EOF, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 1');
    const refused = planned.findIndex((p) => p.plan.kind === 'refuse');
    if (refused !== -1) {
      // A statement influxd would not parse gets influxd's error, not a refusal.
      const parse = await parseError(q, params.db, topology.nodes, timeout);
      if (parse !== null) return sendError(reply, request, 400, parse);
      const message = (planned[refused]?.plan as { message: string }).message;
      ctx.metrics.queriesRefused.inc();
      return sendError(reply, request, 400, planned.length > 1 ? `statement ${refused + 1}: ${message}` : message);
    }
    if (planned.length > 1) {
      const parse = await parseError(q, params.db, topology.nodes, timeout);
      if (parse !== null) return sendError(reply, request, 400, parse);
    }

    // One statement read from one node: its answer streams through as it comes.
    const only = planned.length === 1 ? planned[0] : undefined;
    if (only !== undefined && only.plan.kind === 'read' && only.plan.merge === null) {
      // The node is sent the query as it came (comments and line numbers in its errors kept).
      const plan = only.plan.text === only.text.text ? { ...only.plan, text: q } : only.plan;
      const outcome = await executor.read(
        topology,
        plan,
        params,
        0,
        { accept: request.passthroughAccept, chunked: format.chunked, chunkSize: request.chunkSize },
        format.csv,
      );
      if (outcome.kind === 'stream') {
        const { response, body } = outcome;
        const type = response.headers['content-type'];
        if (format.pretty && !format.chunked && request.passthroughAccept === null) {
          // Re-indent like influxd would (it was asked for compact JSON).
          const results = parseJson(await text(body)) as unknown as { results?: StatementResult[]; error?: string };
          if (results.error !== undefined) return sendError(reply, request, response.statusCode, results.error);
          return send(reply, request, response.statusCode, 'application/json', renderJson(results.results ?? [], true));
        }
        const errorHeader = response.headers['x-influxdb-error'];
        if (typeof errorHeader === 'string') reply.header('x-influxdb-error', errorHeader);
        const through = new PassThrough();
        pipeline(body, through, () => undefined);
        return send(reply, request, response.statusCode, typeof type === 'string' ? type : contentType(format), through);
      }
      return finish(reply, request, [outcome]);
    }

    // Several statements, chunked: each one's chunks are written as they come (constant memory).
    if (format.chunked && !format.csv) {
      const out = new PassThrough();
      void streamChunks(out, executor, topology, planned, params, request).catch((err: unknown) => out.destroy(err as Error));
      return send(reply, request, 200, 'application/json', out);
    }

    const outcomes: ReadOutcome[] = [];
    let failed = false;
    for (const [i, p] of planned.entries()) {
      if (failed) {
        outcomes.push({ kind: 'result', result: { statement_id: i, error: 'not executed' } });
        continue;
      }
      const last = await run(executor, topology, p.plan, params, i, format.csv);
      outcomes.push(last);
      failed = last.kind === 'result' && last.result.error !== undefined;
      if (last.kind === 'request-error') {
        // A node was sent one statement: influxd's parse error of the whole query has the right line.
        if (last.message.startsWith('error parsing query:')) {
          const parse = await parseError(q, params.db, topology.nodes, timeout);
          if (parse !== null) return sendError(reply, request, last.status, parse);
        }
        break;
      }
    }
    return finish(reply, request, outcomes);
  };
  app.get('/query', handler);
  app.post('/query', handler);
}

/** The lines of a stream, as they complete. */
async function* lines(body: Readable): AsyncGenerator<string> {
  let rest = '';
  // A character may be split between two chunks: decode across them.
  const decoder = new StringDecoder('utf8');
  for await (const chunk of body) {
    rest += decoder.write(chunk as Buffer);
    let nl = rest.indexOf('\n');
    while (nl !== -1) {
      yield rest.slice(0, nl + 1);
      rest = rest.slice(nl + 1);
      nl = rest.indexOf('\n');
    }
  }
  rest += decoder.end();
  if (rest !== '') yield `${rest}\n`;
}

/**
 * Chunked answer of several statements: a statement one node answers is streamed from its chunks,
 * renumbered; others are written when their result is ready. After a failing statement, the rest
 * answer "not executed".
 */
async function streamChunks(out: PassThrough, executor: QueryExecutor, topology: Topology, planned: readonly Planned[], params: QueryParams, request: Request): Promise<void> {
  const { format } = request;
  let failed = false;
  for (const [i, p] of planned.entries()) {
    if (failed) {
      out.write(renderChunks({ statement_id: i, error: 'not executed' }, format.chunkSize, format.pretty));
      continue;
    }
    if (p.plan.kind === 'read' && p.plan.merge === null && !format.pretty) {
      const outcome = await executor.read(topology, p.plan, params, i, { accept: null, chunked: true, chunkSize: request.chunkSize }, false);
      if (outcome.kind === 'stream') {
        for await (const line of lines(outcome.body)) {
          const renumbered = line.replace(/^\{"results":\[\{"statement_id":\d+/, `{"results":[{"statement_id":${i}`);
          if (/^\{"results":\[\{"statement_id":\d+,"error":/.test(renumbered) || renumbered.startsWith('{"error":')) failed = true;
          if (!out.write(renumbered)) await new Promise((resolve) => out.once('drain', resolve));
        }
        continue;
      }
      failed = writeOutcome(out, outcome, i, format) || failed;
      continue;
    }
    failed = writeOutcome(out, await run(executor, topology, p.plan, params, i, false), i, format) || failed;
  }
  out.end();
}

/** Writes one statement's outcome as chunks; true when it failed. */
function writeOutcome(out: PassThrough, outcome: ReadOutcome, statementId: number, format: OutputFormat): boolean {
  const result: StatementResult =
    outcome.kind === 'result' ? outcome.result : { statement_id: statementId, error: outcome.kind === 'request-error' ? outcome.message : 'unexpected stream' };
  out.write(renderChunks(result, format.chunkSize, format.pretty));
  return result.error !== undefined;
}

async function run(executor: QueryExecutor, topology: Topology, plan: Plan, params: QueryParams, statementId: number, csv: boolean): Promise<ReadOutcome> {
  switch (plan.kind) {
    case 'read':
      return executor.read(topology, plan, params, statementId, null, csv);
    case 'catalog':
      return executor.catalog(plan, statementId);
    case 'modify':
      return executor.modify(topology, plan, statementId);
    case 'error':
    case 'refuse':
      return { kind: 'result', result: { statement_id: statementId, error: plan.message } };
  }
}

function finish(reply: FastifyReply, request: Request, outcomes: readonly ReadOutcome[]): Promise<FastifyReply> {
  const requestError = outcomes.find((o) => o.kind === 'request-error');
  if (requestError !== undefined && requestError.kind === 'request-error') return sendError(reply, request, requestError.status, requestError.message);
  const results = outcomes.flatMap((o) => (o.kind === 'result' ? [o.result] : []));
  const { format } = request;
  if (format.csv) return send(reply, request, 200, 'text/csv', renderCsv(results));
  if (format.chunked) return send(reply, request, 200, 'application/json', results.map((r) => renderChunks(r, format.chunkSize, format.pretty)).join(''));
  return send(reply, request, 200, 'application/json', renderJson(results, format.pretty));
}
