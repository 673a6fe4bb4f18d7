// Runs planned statements against the nodes. Reads go to one circle: among the circles whose needed
// nodes are all active (healthy, up to date with the catalog, nothing left to replay), the least loaded
// (fewest queries in flight, then lowest recent latency); on a node failure the next circle is tried.
// A statement answered by one node can be streamed through; otherwise the nodes' answers are merged.
// DDL goes through the catalog; data changes go to every circle through the nodes' batchers, so they
// stay in order with writes and are queued like writes for a node that is down.
import type { Dispatcher } from 'undici';
import type { Catalog } from './catalog.js';
import { JsonSyntaxError, parseJson, type JsonValue } from './json-lossless.js';
import type { InfluxNode, NodeReply } from './node.js';
import { mergeList, mergeSeries, mergeSum, type NodeAnswer, type StatementResult } from './query-merge.js';
import type { Plan } from './query-plan.js';
import { shardKey } from './shard-key.js';
import type { Topology } from './topology.js';
import type { NodeBatcher } from './write-batcher.js';

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
  /** One node answers: its response, to stream through. */
  | { readonly kind: 'stream'; readonly response: Dispatcher.ResponseData; readonly node: InfluxNode }
  /** The statement's result (merged, or read from one node). */
  | { readonly kind: 'result'; readonly result: StatementResult }
  /** A request-level error from the node (a parse error): status and message. */
  | { readonly kind: 'request-error'; readonly status: number; readonly message: string };

export interface ExecutorOptions {
  readonly timeout: number;
  /** Largest answer read from one node for a merge. */
  readonly maxMergeBytes: number;
  /** Databases hidden from SHOW DATABASES (the proxy's own). */
  readonly hiddenDatabases: ReadonlySet<string>;
}

class NodeFailure extends Error {
  override readonly name = 'NodeFailure';
}

async function readLimited(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new Error(`an answer to merge is larger than query.maxMergeBytes (${limit} bytes): add a LIMIT, or query fewer measurements at once`);
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
  readonly #topology: Topology;
  readonly #catalog: Catalog;
  readonly #batchers: Map<InfluxNode, NodeBatcher>;
  readonly #options: ExecutorOptions;

  constructor(topology: Topology, catalog: Catalog, batchers: Map<InfluxNode, NodeBatcher>, options: ExecutorOptions) {
    this.#topology = topology;
    this.#catalog = catalog;
    this.#batchers = batchers;
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
  #circles(nodes: (circle: number) => InfluxNode[]): { usable: number[]; why: string[] } {
    const usable: { circle: number; load: number; latency: number }[] = [];
    const why: string[] = [];
    this.#topology.circles.forEach((circle, c) => {
      const needed = nodes(c);
      const inactive = needed.filter((node) => !node.active);
      if (needed.length === 0) return;
      if (inactive.length > 0) {
        why.push(...inactive.map((node) => `${node.name} (${circle.name}) ${node.healthy ? (node.catalogBehind > 0 ? 'is behind the catalog' : 'is replaying its buffer') : 'is down'}`));
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

  async read(plan: Extract<Plan, { kind: 'read' }>, params: QueryParams, statementId: number, passthrough: Passthrough | null, csv: boolean): Promise<ReadOutcome> {
    const { usable, why } = this.#circles(plan.nodes);
    const failures: string[] = [];
    for (const circle of usable) {
      const nodes = plan.nodes(circle);
      try {
        if (plan.merge === null) return await this.#readOne(plan, nodes[0] as InfluxNode, params, statementId, passthrough);
        return await this.#readMerged(plan, nodes, params, statementId, csv);
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
      return { kind: 'stream', response, node };
    }
    const response = await this.#ask(node, this.#form(plan.text, params), null);
    const text = await readLimited(response.body, this.#options.maxMergeBytes);
    let body: JsonValue;
    try {
      body = parseJson(text);
    } catch (err) {
      if (err instanceof JsonSyntaxError) throw new NodeFailure(`${node.name} sent an answer that is not JSON`);
      throw err;
    }
    const result = resultOf(body, statementId);
    return 'requestError' in result ? { kind: 'request-error', status: response.statusCode, message: result.requestError } : { kind: 'result', result };
  }

  async #readMerged(plan: Extract<Plan, { kind: 'read' }>, nodes: InfluxNode[], params: QueryParams, statementId: number, csv: boolean): Promise<ReadOutcome> {
    // CSV needs integer times: ask for nanoseconds when the client named no epoch.
    const merged = csv && params.epoch === null ? { ...params, epoch: 'ns' } : params;
    const form = this.#form(plan.text, merged);
    const replies = await Promise.all(
      nodes.map(async (node) => {
        const response = await this.#ask(node, form, null);
        const text = await readLimited(response.body, this.#options.maxMergeBytes);
        return { node: node.name, status: response.statusCode, result: resultOf(parseJson(text), statementId) };
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
      const hide = merge.name === 'databases' ? this.#options.hiddenDatabases : undefined;
      return { kind: 'result', result: mergeList(answers, { statementId, name: merge.name, column: merge.column, sort: merge.sort, limit: merge.limit, offset: merge.offset, ...(hide ? { hide } : {}) }) };
    }
    const circle = this.#topology.circles.findIndex((c) => c.nodes.includes(nodes[0] as InfluxNode));
    const ownerDb = plan.ownerDb;
    const owns =
      ownerDb === null
        ? undefined
        : (node: string, measurement: string): boolean => this.#topology.owners(shardKey(ownerDb, measurement))[circle]?.name === node;
    return {
      kind: 'result',
      result: mergeSeries(answers, { statementId, ...(owns ? { owns } : {}), slimit: merge.slimit, soffset: merge.soffset, wildcard: merge.wildcard }),
    };
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
  async modify(plan: Extract<Plan, { kind: 'modify' }>, statementId: number): Promise<ReadOutcome> {
    const targets = this.#topology.circles.flatMap((_, c) => plan.nodes(c));
    const outcomes = await Promise.all(
      targets.map((node) => (this.#batchers.get(node) as NodeBatcher).apply({ text: plan.text, db: plan.db, shardKeys: plan.shardKeys })),
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
