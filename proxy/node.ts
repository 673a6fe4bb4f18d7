// A node: one InfluxDB 1.x server of a circle, reached through its own keep-alive connection pool.
// It knows how to write a batch, ping and run a query, and carries the node's state as this proxy
// process sees it (healthy, buffering to Redis, replaying, in-flight batches, last error).
import { setMaxListeners } from 'node:events';
import { Pool, type Dispatcher } from 'undici';
import type { NodeConfig } from '../config/schema.js';
import { parseJson, type JsonValue } from './json-lossless.js';
import { classifyWriteFailure, classifyWriteResponse, type NodeOutcome } from './node-outcome.js';

export interface NodeWrite {
  readonly db: string;
  readonly rp: string;
  readonly precision: string;
  readonly body: Buffer;
  readonly gzipped: boolean;
}

/** A node's answer to one statement: HTTP status and the parsed body. */
export interface NodeReply {
  readonly status: number;
  readonly body: JsonValue;
}

/** The error in a node's answer to one statement (a parse error or the statement's own), or null. */
export function replyError(reply: NodeReply): string | null {
  const body = reply.body as { error?: unknown; results?: { error?: unknown }[] } | null;
  if (body !== null && typeof body === 'object') {
    if (typeof body.error === 'string') return body.error;
    const first = body.results?.[0];
    if (first !== undefined && typeof first.error === 'string') return first.error;
  }
  return reply.status >= 300 ? `node answered ${reply.status}` : null;
}

export interface QueryResult {
  readonly status: number;
  readonly body: string;
}

export interface BufferedStats {
  entries: number;
  points: number;
  bytes: number;
  /** Enqueue time (ms since epoch) of the oldest buffered batch, or null when empty. */
  oldestAt: number | null;
}

export class InfluxNode {
  readonly name: string;
  readonly url: string;
  readonly circle: string;
  /** `username:password` as configured (a change of them makes another node). */
  readonly credentials: string;
  /** The node is on this machine (loopback address): compression would only cost CPU. */
  readonly loopback: boolean;
  readonly #pool: Pool;
  readonly #authorization: string | null;
  readonly #plainHeaders: Record<string, string>;
  readonly #gzipHeaders: Record<string, string>;
  readonly #writePaths = new Map<string, string>();
  /** Aborts the writes in flight when the node is found down (a frozen node would hold them). */
  #abort = new AbortController();

  /** Last health check (or write) succeeded. */
  healthy = true;
  /** Writes for this node go to its replay buffer: it is down, or its buffer is not drained yet. */
  buffering = false;
  /** This process is replaying the node's buffer now. */
  replaying = false;
  inFlight = 0;
  /** Queries this process has running on the node, and their recent latency (EWMA, ms). */
  queriesInFlight = 0;
  queryLatencyMs = 0;
  /** Catalog statements the node has not applied yet (it takes no writes until 0). */
  catalogBehind = 0;
  /** Some of them change what exists (DROP, ALTER): it serves no reads until they are applied. */
  catalogBlocksReads = false;
  /** Takes writes, serves no reads (a node being filled). */
  writeOnly: boolean;
  /** Out for maintenance: treated as down (writes buffered, no reads) without being checked. */
  maintenance = false;
  lastError: string | null = null;
  lastErrorAt: number | null = null;
  version: string | null = null;
  readonly buffered: BufferedStats = { entries: 0, points: 0, bytes: 0, oldestAt: null };

  constructor(config: NodeConfig, circle: string, connections: number) {
    this.name = config.name;
    this.url = config.url.replace(/\/+$/, '');
    this.circle = circle;
    this.credentials = `${config.username}:${config.password}`;
    this.writeOnly = config.writeOnly;
    setMaxListeners(0, this.#abort.signal);
    const host = new URL(this.url).hostname;
    this.loopback = host === 'localhost' || host.startsWith('127.') || host === '[::1]' || host === '::1';
    this.#pool = new Pool(this.url, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 60_000,
    });
    this.#authorization = config.username
      ? `Basic ${Buffer.from(`${config.username}:${config.password}`).toString('base64')}`
      : null;
    const auth: Record<string, string> = this.#authorization ? { authorization: this.#authorization } : {};
    this.#plainHeaders = { 'content-type': 'text/plain; charset=utf-8', ...auth };
    this.#gzipHeaders = { ...this.#plainHeaders, 'content-encoding': 'gzip' };
  }

  /** Whether this node is the server `config` describes in `circle` (else a node of that name is another one). */
  serves(config: NodeConfig, circle: string): boolean {
    return this.url === config.url.replace(/\/+$/, '') && this.circle === circle && this.credentials === `${config.username}:${config.password}`;
  }

  /** Data goes straight to the node (not to its replay buffer). */
  get live(): boolean {
    return this.healthy && !this.buffering;
  }

  /** Active: healthy, not missing a catalog change that alters what it holds, nothing left to replay, not write-only; the only state in which it serves reads. */
  get active(): boolean {
    return this.healthy && !this.writeOnly && !this.buffering && this.buffered.entries === 0 && !this.catalogBlocksReads;
  }

  /** Why it is not active (for errors and /health), or null. */
  get inactiveReason(): string | null {
    if (this.maintenance) return 'is out for maintenance';
    if (!this.healthy) return 'is down';
    if (this.writeOnly) return 'is write-only';
    if (this.catalogBlocksReads) return 'is behind the catalog';
    if (this.buffering || this.buffered.entries > 0) return 'is replaying its buffer';
    return null;
  }

  /** Fails the writes in flight now, so they go to the replay buffer instead of waiting for a timeout. */
  abortInFlight(reason: string): void {
    this.#abort.abort(new Error(reason));
    this.#abort = new AbortController();
    setMaxListeners(0, this.#abort.signal);
  }

  recordError(message: string): void {
    this.lastError = message;
    this.lastErrorAt = Date.now();
  }

  #writePath(db: string, rp: string, precision: string): string {
    const key = `${db}\n${rp}\n${precision}`;
    let path = this.#writePaths.get(key);
    if (path === undefined) {
      const params = new URLSearchParams({ db });
      if (rp) params.set('rp', rp);
      if (precision) params.set('precision', precision);
      path = `/write?${params.toString()}`;
      if (this.#writePaths.size > 1000) this.#writePaths.clear();
      this.#writePaths.set(key, path);
    }
    return path;
  }

  async write(batch: NodeWrite, timeoutMs: number): Promise<NodeOutcome> {
    const headers = batch.gzipped ? this.#gzipHeaders : this.#plainHeaders;
    try {
      const response = await this.#pool.request({
        method: 'POST',
        path: this.#writePath(batch.db, batch.rp, batch.precision),
        headers,
        body: batch.body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: this.#abort.signal,
      });
      const text = await response.body.text();
      return classifyWriteResponse(response.statusCode, text);
    } catch (err) {
      return classifyWriteFailure(err);
    }
  }

  /** GET /ping; resolves with the node's version, rejects when it does not answer 204 in time. */
  async ping(timeoutMs: number): Promise<string> {
    const response = await this.#pool.request({
      method: 'GET',
      path: '/ping',
      headers: this.#authorization ? { authorization: this.#authorization } : {},
      headersTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body.dump();
    if (response.statusCode !== 204) throw new Error(`ping answered ${response.statusCode}`);
    const version = response.headers['x-influxdb-version'];
    this.version = typeof version === 'string' ? version : null;
    return this.version ?? 'unknown';
  }

  /**
   * Sends a query (POST /query with `form` as its body) and returns the answer as it arrives, for the
   * caller to stream or read. Counts the node's queries in flight and its recent latency (the query
   * router picks the least loaded circle).
   */
  async queryStream(form: URLSearchParams, accept: string | null, timeoutMs: number): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (accept !== null) headers.accept = accept;
    if (this.#authorization) headers.authorization = this.#authorization;
    const started = performance.now();
    this.queriesInFlight++;
    try {
      const response = await this.#pool.request({
        method: 'POST',
        path: '/query',
        headers,
        body: form.toString(),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const settle = (): void => {
        this.queriesInFlight--;
        this.queryLatencyMs = this.queryLatencyMs === 0 ? performance.now() - started : 0.8 * this.queryLatencyMs + 0.2 * (performance.now() - started);
      };
      response.body.once('close', settle);
      return response;
    } catch (err) {
      this.queriesInFlight--;
      throw err;
    }
  }

  /** Runs one statement and returns the node's status and parsed answer (throws when the node cannot be reached). */
  async statement(text: string, db: string | null, timeoutMs: number): Promise<NodeReply> {
    const form = new URLSearchParams({ q: text });
    if (db !== null) form.set('db', db);
    const response = await this.queryStream(form, null, timeoutMs);
    const body = await response.body.text();
    let parsed: JsonValue;
    try {
      parsed = body === '' ? null : parseJson(body);
    } catch {
      parsed = body;
    }
    return { status: response.statusCode, body: parsed };
  }

  /**
   * The rows of a statement's answer (every series, cells as text, as SHOW statements give them);
   * throws with the node's error.
   */
  async rows(text: string, db: string | null, timeoutMs: number): Promise<string[][]> {
    const reply = await this.statement(text, db, timeoutMs);
    const error = replyError(reply);
    if (error !== null) throw new Error(`${this.name}: ${text}: ${error}`);
    const body = reply.body as { results?: { series?: { values?: JsonValue[][] }[] }[] } | null;
    return (body?.results?.[0]?.series ?? []).flatMap((series) => (series.values ?? []).map((row) => row.map((cell) => String(cell))));
  }

  /** The first cell of every row of a statement's answer (a SHOW statement's names). */
  async firstColumn(text: string, db: string | null, timeoutMs: number): Promise<string[]> {
    return (await this.rows(text, db, timeoutMs)).map((row) => row[0] as string);
  }

  /** Runs InfluxQL on this node (POST /query) and returns status and body. */
  async query(q: string, timeoutMs: number, db?: string): Promise<QueryResult> {
    const params = new URLSearchParams({ q });
    if (db) params.set('db', db);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (this.#authorization) headers.authorization = this.#authorization;
    const response = await this.#pool.request({
      method: 'POST',
      path: '/query',
      headers,
      body: params.toString(),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: response.statusCode, body: await response.body.text() };
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}
