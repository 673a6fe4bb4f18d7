// Runs planned statements against the nodes. Reads go to one circle: among the circles whose needed
// nodes are all active (healthy, up to date with the catalog, nothing left to replay), the least loaded
// (fewest queries in flight, then lowest recent latency); on a node failure the next circle is tried.
// A statement answered by one node can be streamed through; otherwise the nodes' answers are merged.
// DDL goes through the catalog; data changes go to every circle through the nodes' batchers, so they
// stay in order with writes and are queued like writes for a node that is down.
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Catalog } from './catalog.js';
import { JsonSyntaxError, parseJson, type JsonValue } from './json-lossless.js';
import type { InfluxNode, NodeReply } from './node.js';
import { mergeList, mergeSeries, mergeSum, type NodeAnswer, type StatementResult } from './query-merge.js';
import type { Plan } from './query-plan.js';
import { quoteIdent } from './influxql-tokens.js';
import { shardKey } from './shard-key.js';
import type { Topology } from './topology.js';
import type { Cluster } from './cluster.js';

export interface QueryParams {
  readonly db: string | null;
  readonly rp: string | null;
  readonly epoch: string | null;
  /** Bound parameters (`params`, JSON), passed to the nodes as they are. */
  readonly params: string | null;
}

/** How a node's answer may be streamed to the client. */
export interface Passthrough {
  readonly accept: string | null;
  readonly chunked: boolean;
  readonly chunkSize: number | null;
}

export type ReadOutcome =
  /** One node answers: its response (status, headers) and body, to stream through. */
  | { readonly kind: 'stream'; readonly response: Dispatcher.ResponseData; readonly body: Readable; readonly node: InfluxNode }
  /** The statement's result (merged, or read from one node). */
  | { readonly kind: 'result'; readonly result: StatementResult }
  /** A request-level error from the node (a parse error): status and message. */
  | { readonly kind: 'request-error'; readonly status: number; readonly message: string };

export interface ExecutorOptions {
  readonly timeout: number;
  /** Largest answer read from one node for a merge. */
  readonly maxMergeBytes: number;
}

class NodeFailure extends Error {
  override readonly name = 'NodeFailure';
}

/** What influxd answers to a statement it was running when it was told to stop: another circle may answer. */
const SHUTDOWN = /^\{"results":\[\{"statement_id":\d+,"error":"query engine shutdown"/;

/**
 * The body with its first chunk read ahead: a NodeFailure when it is influxd's shutdown error,
 * else the whole body, unchanged, to stream on.
 */
async function peekBody(node: InfluxNode, body: Readable): Promise<Readable> {
  const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let first: IteratorResult<Buffer>;
  try {
    first = await iterator.next();
  } catch (err) {
    throw new NodeFailure(`${node.name}: ${(err as Error).message}`);
  }
  if (first.done === true) return Readable.from([]);
  if (SHUTDOWN.test(first.value.toString('utf8', 0, 128))) {
    body.destroy();
    throw new NodeFailure(`${node.name} is shutting down`);
  }
  return Readable.from(
    (async function* () {
      yield first.value;
      for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) yield next.value;
    })(),
    { objectMode: false },
  );
}

class MergeTooLarge extends Error {
  override readonly name = 'MergeTooLarge';
}

async function readLimited(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new MergeTooLarge(`an answer to merge is larger than query.maxMergeBytes (${limit} bytes): add a LIMIT, or query fewer measurements at once`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The one statement result in a node's JSON answer, renumbered. */
function resultOf(body: JsonValue, statementId: number): StatementResult | { requestError: string } {
  const doc = body as { error?: unknown; results?: JsonValue[] } | null;
  if (doc !== null && typeof doc === 'object' && typeof doc.error === 'string') return { requestError: doc.error };
  const first = (doc?.results?.[0] ?? { statement_id: 0 }) as unknown as StatementResult;
  return { ...first, statement_id: statementId };
}

export class QueryExecutor {
  readonly #cluster: Cluster;
  readonly #catalog: Catalog;
  readonly #options: ExecutorOptions;

  constructor(cluster: Cluster, catalog: Catalog, options: ExecutorOptions) {
    this.#cluster = cluster;
    this.#catalog = catalog;
    this.#options = options;
  }

  #form(text: string, params: QueryParams, extra: Record<string, string> = {}): URLSearchParams {
    const form = new URLSearchParams({ q: text });
    if (params.db !== null) form.set('db', params.db);
    if (params.rp !== null) form.set('rp', params.rp);
    if (params.epoch !== null) form.set('epoch', params.epoch);
    if (params.params !== null) form.set('params', params.params);
    for (const [key, value] of Object.entries(extra)) form.set(key, value);
    return form;
  }

  /** Circles whose needed nodes are all active, least loaded first; and why the others are not. */
  #circles(topology: Topology, nodes: (circle: number) => InfluxNode[]): { usable: number[]; why: string[] } {
    const usable: { circle: number; load: number; latency: number }[] = [];
    const why: string[] = [];
    topology.circles.forEach((circle, c) => {
      const needed = nodes(c);
      const inactive = needed.filter((node) => !node.active);
      if (needed.length === 0) return;
      if (inactive.length > 0) {
        why.push(...inactive.map((node) => `${node.name} (${circle.name}) ${node.inactiveReason ?? 'is not active'}`));
        return;
      }
      usable.push({
        circle: c,
        load: Math.max(...needed.map((node) => node.queriesInFlight)),
        latency: needed.reduce((sum, node) => sum + node.queryLatencyMs, 0),
      });
    });
    usable.sort((a, b) => a.load - b.load || a.latency - b.latency);
    return { usable: usable.map((u) => u.circle), why };
  }

  /** One node's answer, or a NodeFailure when it cannot give one (the next circle may). */
  async #ask(node: InfluxNode, form: URLSearchParams, accept: string | null): Promise<Dispatcher.ResponseData> {
    let response: Dispatcher.ResponseData;
    try {
      response = await node.queryStream(form, accept, this.#options.timeout);
    } catch (err) {
      throw new NodeFailure(`${node.name}: ${(err as Error).message}`);
    }
    if (response.statusCode >= 500) {
      const text = await response.body.text().catch(() => '');
      throw new NodeFailure(`${node.name} answered ${response.statusCode}: ${text.slice(0, 200)}`);
    }
    return response;
  }

  /** For a statement any node can answer: the active nodes, least loaded first. */
  #anyOne(topology: Topology): { usable: InfluxNode[]; why: string[] } {
    const nodes = topology.nodes.filter((node) => node.active);
    nodes.sort((a, b) => a.queriesInFlight - b.queriesInFlight || a.queryLatencyMs - b.queryLatencyMs);
    return { usable: nodes, why: nodes.length === 0 ? ['no node is active'] : [] };
  }

  /** A read, with the topology the request holds (its plan was made with it). */
  async read(topology: Topology, plan: Extract<Plan, { kind: 'read' }>, params: QueryParams, statementId: number, passthrough: Passthrough | null, csv: boolean): Promise<ReadOutcome> {
    try {
      return await this.#read(topology, plan, params, statementId, passthrough, csv);
    } catch (err) {
      if (err instanceof MergeTooLarge) return { kind: 'result', result: { statement_id: statementId, error: err.message } };
      throw err;
    }
  }

  async #read(topology: Topology, plan: Extract<Plan, { kind: 'read' }>, params: QueryParams, statementId: number, passthrough: Passthrough | null, csv: boolean): Promise<ReadOutcome> {
    // CSV needs integer times: ask for nanoseconds when the client named no epoch (influxd's CSV has them).
    const asked = csv && params.epoch === null && passthrough === null ? { ...params, epoch: 'ns' } : params;
    if (plan.anyOne === true) {
      const { usable, why } = this.#anyOne(topology);
      const failures: string[] = [];
      for (const node of usable) {
        try {
          return await this.#readOne(plan, node, asked, statementId, passthrough);
        } catch (err) {
          if (!(err instanceof NodeFailure)) throw err;
          failures.push(err.message);
        }
      }
      return { kind: 'result', result: { statement_id: statementId, error: `no node can answer this statement now: ${[...why, ...failures].join('; ')}` } };
    }
    const { usable, why } = this.#circles(topology, plan.nodes);
    const failures: string[] = [];
    for (const circle of usable) {
      const nodes = plan.nodes(circle);
      try {
        if (plan.merge === null) return await this.#readOne(plan, nodes[0] as InfluxNode, asked, statementId, passthrough);
        return await this.#readMerged(topology, plan, nodes, asked, statementId);
      } catch (err) {
        if (!(err instanceof NodeFailure)) throw err;
        failures.push(err.message);
      }
    }
    const reasons = [...why, ...failures];
    return {
      kind: 'result',
      result: { statement_id: statementId, error: `no circle can answer this statement now: ${reasons.join('; ') || 'no node holds it'}` },
    };
  }

  async #readOne(plan: Extract<Plan, { kind: 'read' }>, node: InfluxNode, params: QueryParams, statementId: number, passthrough: Passthrough | null): Promise<ReadOutcome> {
    if (passthrough !== null) {
      const extra: Record<string, string> = {};
      if (passthrough.chunked) extra.chunked = 'true';
      if (passthrough.chunkSize !== null) extra.chunk_size = String(passthrough.chunkSize);
      const response = await this.#ask(node, this.#form(plan.text, params, extra), passthrough.accept);
      return { kind: 'stream', response, body: await peekBody(node, response.body), node };
    }
    const { status, body } = await this.#answer(node, this.#form(plan.text, params));
    const result = resultOf(body, statementId);
    return 'requestError' in result ? { kind: 'request-error', status, message: result.requestError } : { kind: 'result', result };
  }

  /**
   * A node's whole JSON answer. A NodeFailure (the next circle may answer) when the connection breaks,
   * the answer is not JSON, or the node was shutting down.
   */
  async #answer(node: InfluxNode, form: URLSearchParams): Promise<{ status: number; body: JsonValue }> {
    const response = await this.#ask(node, form, null);
    let text: string;
    try {
      text = await readLimited(response.body, this.#options.maxMergeBytes);
    } catch (err) {
      if (err instanceof MergeTooLarge) throw err;
      throw new NodeFailure(`${node.name}: ${(err as Error).message}`);
    }
    if (SHUTDOWN.test(text)) throw new NodeFailure(`${node.name} is shutting down`);
    try {
      return { status: response.statusCode, body: parseJson(text) };
    } catch (err) {
      if (err instanceof JsonSyntaxError) throw new NodeFailure(`${node.name} sent an answer that is not JSON`);
      throw err;
    }
  }

  async #readMerged(topology: Topology, plan: Extract<Plan, { kind: 'read' }>, nodes: InfluxNode[], params: QueryParams, statementId: number): Promise<ReadOutcome> {
    const form = this.#form(plan.text, params);
    const replies = await Promise.all(
      nodes.map(async (node) => {
        const { status, body } = await this.#answer(node, form);
        return { node: node.name, status, result: resultOf(body, statementId) };
      }),
    );
    // A parse error is the same from every node: the request's error.
    const refused = replies.find((r) => 'requestError' in r.result);
    if (refused !== undefined && 'requestError' in refused.result) return { kind: 'request-error', status: refused.status, message: refused.result.requestError };
    const answers: NodeAnswer[] = replies.map((r) => ({ node: r.node, result: r.result as StatementResult }));
    const merge = plan.merge;
    if (merge === null) throw new Error('merge expected');
    if (merge.type === 'sum') return { kind: 'result', result: mergeSum(answers, statementId) };
    if (merge.type === 'list') {
      return {
        kind: 'result',
        result: mergeList(answers, {
          statementId,
          name: merge.name,
          column: merge.column,
          sort: merge.sort,
          seriesKeys: merge.seriesKeys,
          limit: merge.limit,
          offset: merge.offset,
          ...(merge.hide ? { hide: merge.hide } : {}),
        }),
      };
    }
    const circle = topology.circles.findIndex((c) => c.nodes.includes(nodes[0] as InfluxNode));
    const { ownerDbs } = plan;
    const owns =
      ownerDbs.length === 0
        ? undefined
        : (node: string, measurement: string): boolean => ownerDbs.some((db) => topology.owners(shardKey(db, measurement))[circle]?.name === node);
    // A node that answered nothing still shapes the answer of a wildcard or GROUP BY *: InfluxDB gives
    // every series the columns and tag keys of every measurement read. Ask it what those would be.
    const extra = merge.wildcard || merge.groupByAll ? await this.#shapeOfSilentNodes(plan, nodes, answers, params, merge.wildcard, merge.groupByAll) : null;
    return {
      kind: 'result',
      result: mergeSeries(answers, {
        statementId,
        ...(owns ? { owns } : {}),
        descending: merge.descending,
        wildcard: merge.wildcard,
        groupByAll: merge.groupByAll,
        ...(extra === null ? {} : { extraColumns: extra.columns, extraTagKeys: extra.tagKeys }),
      }),
    };
  }

  /**
   * The columns (from EXPLAIN's expanded fields) and tag keys (SHOW TAG KEYS FROM the sources) of the
   * nodes that answered no series, or null when every node answered some.
   */
  async #shapeOfSilentNodes(
    plan: Extract<Plan, { kind: 'read' }>,
    nodes: InfluxNode[],
    answers: readonly NodeAnswer[],
    params: QueryParams,
    wildcard: boolean,
    groupByAll: boolean,
  ): Promise<{ columns: string[]; tagKeys: string[] } | null> {
    const silent = nodes.filter((node) => (answers.find((a) => a.node === node.name)?.result.series ?? []).length === 0);
    if (silent.length === 0 || silent.length === nodes.length) return null;
    const columns = new Set<string>();
    const tagKeys = new Set<string>();
    const from = (plan.sources ?? [])
      .map((r) => {
        const db = r.db === null ? '' : `${quoteIdent(r.db)}.`;
        const rp = r.db === null && r.rp === null ? '' : `${r.rp === null ? '' : quoteIdent(r.rp)}.`;
        return `${db}${rp}${r.name === null ? `/${(r.regex ?? '').replace(/\//g, '\\/')}/` : quoteIdent(r.name)}`;
      })
      .join(', ');
    await Promise.all(
      silent.map(async (node) => {
        if (wildcard) {
          const explained = await this.#readOneResult(node, this.#form(`EXPLAIN ${plan.text}`, params));
          for (const s of explained.series ?? []) {
            for (const row of s.values ?? []) {
              const line = String(row[0] ?? '');
              if (!line.startsWith('AUXILIARY FIELDS: ')) continue;
              for (const field of line.slice('AUXILIARY FIELDS: '.length).split(', ')) {
                const at = field.lastIndexOf('::');
                const name = at === -1 ? field : field.slice(0, at);
                if (name !== '') columns.add(name.replace(/^"(.*)"$/, '$1'));
              }
            }
          }
        }
        if (groupByAll && from !== '') {
          const keys = await this.#readOneResult(node, this.#form(`SHOW TAG KEYS FROM ${from}`, params));
          for (const s of keys.series ?? []) for (const row of s.values ?? []) tagKeys.add(String(row[0]));
        }
      }),
    );
    return { columns: [...columns], tagKeys: [...tagKeys] };
  }

  async #readOneResult(node: InfluxNode, form: URLSearchParams): Promise<StatementResult> {
    const result = resultOf((await this.#answer(node, form)).body, 0);
    return 'requestError' in result ? { statement_id: 0 } : result;
  }

  /** A catalog change: the first node's answer is the statement's. */
  async catalog(plan: Extract<Plan, { kind: 'catalog' }>, statementId: number): Promise<ReadOutcome> {
    let reply: NodeReply;
    try {
      reply = await this.#catalog.apply(plan.text, plan.db);
    } catch (err) {
      return { kind: 'result', result: { statement_id: statementId, error: (err as Error).message } };
    }
    const result = resultOf(reply.body, statementId);
    return 'requestError' in result ? { kind: 'request-error', status: reply.status, message: result.requestError } : { kind: 'result', result };
  }

  /**
   * A data change in every circle, in order with the writes: the first node that applied it gives the
   * answer; if every node queued it (all down), the statement is stored and answers with no rows.
   */
  async modify(topology: Topology, plan: Extract<Plan, { kind: 'modify' }>, statementId: number): Promise<ReadOutcome> {
    const targets = topology.circles.flatMap((_, c) => plan.nodes(c));
    const outcomes = await Promise.all(
      targets.map((node) => this.#cluster.parts(node).batcher.apply({ text: plan.text, db: plan.db, shardKeys: plan.shardKeys })),
    );
    const unavailable = outcomes.find((o) => o.kind === 'unavailable');
    if (unavailable !== undefined && unavailable.kind === 'unavailable') {
      return { kind: 'result', result: { statement_id: statementId, error: `not stored on every circle (${unavailable.reason}); retry` } };
    }
    const applied = outcomes.find((o) => o.kind === 'applied');
    if (applied === undefined || applied.kind !== 'applied') return { kind: 'result', result: { statement_id: statementId } };
    const result = resultOf(applied.reply.body, statementId);
    return 'requestError' in result ? { kind: 'request-error', status: applied.reply.status, message: result.requestError } : { kind: 'result', result };
  }
}
