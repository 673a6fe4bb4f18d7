// A sustained write load for fault-injection tests, and the check that nothing it was promised is lost.
//
// K writers each send requests of B lines to the proxy in a loop until stopped. Every point is unique:
// measurement from the load's list, tag `writer=<load>.w<k>`, integer field `v` = the writer's sequence
// number, and a nanosecond timestamp derived from it, so a point read back names the request it came
// from. A request is acknowledged when it gets 204. Anything else (503, 500, a connection error while a
// proxy is killed) is recorded per attempt and, by default, the writer sends the *same* body again after
// `retryDelayMs`, as a real client does (points are identical, so a retry overwrites itself on the
// nodes). With `retry: false` the writer abandons the request and goes on with new points. Either way a
// request that never got a 204 is "unacknowledged": it may be partly stored (one circle accepted, the
// other failed), so the verifier checks that every acknowledged point is present and that nothing is
// present that was never sent; distinct points equal acknowledged points only when no request was
// left unacknowledged.
//
// The verifier reads every point back from the nodes of a circle directly (the proxy has no /query);
// expectAckedEverywhere() turns its reports into the assertions of a test. faultTest() is the common
// scaffolding of a fault test: the cluster and loads it started are cleaned up after each test.
// Also here: waiting for a condition, and reading the proxy's /health and /metrics.
import { cpSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterEach, expect } from 'vitest';
import { createHashRing } from '../../proxy/hash-ring.js';
import { shardKey } from '../../proxy/shard-key.js';
import { startCluster, type ClusterOptions, type TestCluster } from './cluster.js';

export interface LoadOptions {
  /** Base URL of the proxy. */
  url: string;
  /** Name of this load; goes into the `writer` tag so several loads can share a cluster. */
  name: string;
  db?: string;
  /** Measurements the lines cycle through (line i of a writer uses measurements[i % length]). */
  measurements?: string[];
  /** Concurrent writers. */
  writers?: number;
  /** Lines per request. */
  batchLines?: number;
  /** Send the same body again after a failure (true) or abandon it (false). */
  retry?: boolean;
  /** Pause before a retry. */
  retryDelayMs?: number;
  /** Pause between two acknowledged requests of a writer (0: none). */
  pauseMs?: number;
  /** Client-side timeout of one attempt. */
  timeoutMs?: number;
}

/** One request of a writer: the sequence numbers [from, to) and whether it was acknowledged. */
interface SentRequest {
  readonly from: number;
  readonly to: number;
  acked: boolean;
}

export interface LoadStats {
  /** Distinct requests (bodies) built. */
  readonly requests: number;
  /** HTTP attempts, retries included. */
  readonly attempts: number;
  readonly ackedRequests: number;
  readonly ackedPoints: number;
  /** Requests that never got a 204 (abandoned, or still failing when the load stopped). */
  readonly unackedRequests: number;
  readonly unackedPoints: number;
  /** Attempts by outcome: `204`, `503`, `error:ECONNREFUSED`, … */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Attempts that did not get a 204. */
  readonly failedAttempts: number;
  /** Points of the attempts answered 503 (retries counted again). */
  readonly points503: number;
  /** 503 answers without a Retry-After header. */
  readonly retryAfterMissing: number;
  /** Error answers not in InfluxDB's form: a JSON body `{"error": "…"}` and an X-Influxdb-Error header. */
  readonly notInfluxErrors: number;
  /** Longest attempt, in ms (informational only: never assert timings on a shared machine). */
  readonly maxLatencyMs: number;
  /** The first few distinct error answers (status and body), for messages. */
  readonly errorSamples: readonly string[];
}

export interface CircleReport {
  /** Rows of this load read from the circle's nodes (all nodes together). */
  readonly rows: number;
  /** Distinct points (writer, v) among them. */
  readonly distinct: number;
  /** Points present on more than one node of the circle, or twice with different timestamps. */
  readonly duplicates: number;
  readonly ackedPoints: number;
  /** Acknowledged points not found on the circle. */
  readonly missing: number;
  readonly missingSample: readonly string[];
  /** Points found that no request ever carried (must be 0). */
  readonly unexpected: number;
  /** Points found with another timestamp than the one sent (compared in microseconds; must be 0). */
  readonly wrongTime: number;
  /** Points found that belong to unacknowledged requests (allowed: partial storage before a retry). */
  readonly fromUnacked: number;
  /** Rows per node name. */
  readonly perNode: Readonly<Record<string, number>>;
}

export interface NodeRef {
  readonly name: string;
  readonly url: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function escapeMeasurement(m: string): string {
  return m.replace(/([, \\])/g, '\\$1');
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Timestamps: base + seq·STRIDE + writer, unique across the writers of one load. */
const STRIDE = 64n;

export class Load {
  readonly name: string;
  readonly db: string;
  readonly measurements: readonly string[];
  readonly writers: number;
  readonly batchLines: number;
  readonly #url: string;
  readonly #retry: boolean;
  readonly #retryDelay: number;
  readonly #pause: number;
  readonly #timeout: number;
  readonly #agent: Agent;
  readonly #base: bigint;
  /** Requests per writer, in order. */
  readonly #sent: SentRequest[][];
  readonly #outcomes = new Map<string, number>();
  readonly #errorSamples: string[] = [];
  readonly #running: Promise<void>[] = [];
  #stopped = false;
  #stopping: Promise<LoadStats> | null = null;
  #attempts = 0;
  #failedAttempts = 0;
  #points503 = 0;
  #retryAfterMissing = 0;
  #notInfluxErrors = 0;
  #maxLatency = 0;
  #ackedRequests = 0;
  #ackedPoints = 0;

  constructor(options: LoadOptions) {
    this.name = options.name;
    this.db = options.db ?? 'demo';
    this.measurements = options.measurements ?? ['load'];
    this.writers = options.writers ?? 4;
    this.batchLines = options.batchLines ?? 100;
    if (this.writers > Number(STRIDE)) throw new Error(`at most ${STRIDE} writers`);
    if (!/^[A-Za-z0-9_-]+$/.test(this.name)) throw new Error(`load name ${this.name}: letters, digits, _ and - only`);
    this.#url = options.url;
    this.#retry = options.retry ?? true;
    this.#retryDelay = options.retryDelayMs ?? 50;
    this.#pause = options.pauseMs ?? 0;
    this.#timeout = options.timeoutMs ?? 60_000;
    this.#agent = new Agent({ connections: this.writers, keepAliveTimeout: 10_000 });
    this.#base = BigInt(Date.now()) * 1_000_000n;
    this.#sent = Array.from({ length: this.writers }, () => []);
  }

  /** Starts the writers. */
  start(): this {
    for (let k = 0; k < this.writers; k++) this.#running.push(this.#writer(k));
    return this;
  }

  /** Stops the writers after their current attempt; resolves with the final stats. */
  stop(): Promise<LoadStats> {
    this.#stopped = true;
    // Never throws: it runs in cleanup, before the cluster is stopped.
    this.#stopping ??= Promise.all(this.#running)
      .then(() => this.#agent.close())
      .catch(() => undefined)
      .then(() => this.stats());
    return this.#stopping;
  }

  /** Resolves once `requests` more requests have been acknowledged (rejects after `timeoutMs`). */
  async progress(requests: number, timeoutMs = 30_000): Promise<void> {
    const target = this.#ackedRequests + requests;
    await waitUntil(`load ${this.name}: ${requests} more acknowledged requests`, () => this.#ackedRequests >= target, timeoutMs, () =>
      JSON.stringify(this.stats().outcomes),
    );
  }

  stats(): LoadStats {
    let requests = 0;
    let unackedRequests = 0;
    let unackedPoints = 0;
    for (const sent of this.#sent) {
      requests += sent.length;
      for (const r of sent) {
        if (r.acked) continue;
        unackedRequests++;
        unackedPoints += r.to - r.from;
      }
    }
    return {
      requests,
      attempts: this.#attempts,
      ackedRequests: this.#ackedRequests,
      ackedPoints: this.#ackedPoints,
      unackedRequests,
      unackedPoints,
      outcomes: Object.fromEntries(this.#outcomes),
      failedAttempts: this.#failedAttempts,
      points503: this.#points503,
      retryAfterMissing: this.#retryAfterMissing,
      notInfluxErrors: this.#notInfluxErrors,
      maxLatencyMs: Math.round(this.#maxLatency),
      errorSamples: [...this.#errorSamples],
    };
  }

  /** Acknowledged points per measurement. */
  ackedByMeasurement(): Map<string, number> {
    const counts = new Map(this.measurements.map((m) => [m, 0]));
    for (const sent of this.#sent) {
      for (const r of sent) {
        if (!r.acked) continue;
        for (let seq = r.from; seq < r.to; seq++) {
          const m = this.measurements[seq % this.measurements.length] as string;
          counts.set(m, (counts.get(m) ?? 0) + 1);
        }
      }
    }
    return counts;
  }

  /** The writer tag of writer k. */
  writerTag(k: number): string {
    return `${this.name}.w${k}`;
  }

  /** The timestamp of point (writer k, seq) in microseconds, as a node answers with epoch=u. */
  #microseconds(k: number, seq: number): number {
    return Number((this.#base + BigInt(seq) * STRIDE + BigInt(k)) / 1000n);
  }

  #body(k: number, from: number, to: number): string {
    const tag = this.writerTag(k);
    const ms = this.measurements.map(escapeMeasurement);
    const writer = BigInt(k);
    let out = '';
    for (let seq = from; seq < to; seq++) {
      const ts = this.#base + BigInt(seq) * STRIDE + writer;
      out += `${ms[seq % ms.length]},writer=${tag} v=${seq}i ${ts}\n`;
    }
    return out;
  }

  #count(outcome: string): void {
    this.#outcomes.set(outcome, (this.#outcomes.get(outcome) ?? 0) + 1);
  }

  #sample(text: string): void {
    const sample = text.slice(0, 500);
    if (this.#errorSamples.length < 10 && !this.#errorSamples.includes(sample)) this.#errorSamples.push(sample);
  }

  async #writer(k: number): Promise<void> {
    const sent = this.#sent[k] as SentRequest[];
    const path = `/write?db=${encodeURIComponent(this.db)}&precision=ns`;
    let next = 0;
    while (!this.#stopped) {
      const req: SentRequest = { from: next, to: next + this.batchLines, acked: false };
      next = req.to;
      sent.push(req);
      const body = this.#body(k, req.from, req.to);
      for (;;) {
        if (this.#stopped) return;
        this.#attempts++;
        let outcome: string;
        const started = performance.now();
        try {
          const response = await request(`${this.#url}${path}`, {
            method: 'POST',
            body,
            headers: { 'content-type': 'text/plain; charset=utf-8' },
            dispatcher: this.#agent,
            headersTimeout: this.#timeout,
            bodyTimeout: this.#timeout,
          });
          const text = await response.body.text();
          outcome = String(response.statusCode);
          if (response.statusCode !== 204) {
            this.#sample(`${response.statusCode} ${text}`);
            if (!isInfluxError(text, response.headers['x-influxdb-error'])) this.#notInfluxErrors++;
            if (response.statusCode === 503) {
              this.#points503 += req.to - req.from;
              if (response.headers['retry-after'] === undefined) this.#retryAfterMissing++;
            }
          }
        } catch (err) {
          const e = err as { code?: string; message?: string };
          outcome = `error:${e.code ?? e.message ?? 'unknown'}`;
          this.#sample(outcome);
        }
        this.#maxLatency = Math.max(this.#maxLatency, performance.now() - started);
        this.#count(outcome);
        if (outcome === '204') {
          req.acked = true;
          this.#ackedRequests++;
          this.#ackedPoints += req.to - req.from;
          break;
        }
        this.#failedAttempts++;
        if (!this.#retry) break;
        await sleep(this.#retryDelay);
      }
      if (this.#pause > 0) await sleep(this.#pause);
    }
  }

  /**
   * Reads this load's points from every node of one circle and compares them with what was
   * acknowledged. Call after stop().
   */
  async verifyCircle(nodes: readonly NodeRef[]): Promise<CircleReport> {
    // found[k][seq]: how many rows carry point (writer k, v = seq) on this circle
    const found = this.#sent.map((sent) => new Uint16Array(sent.length === 0 ? 0 : (sent[sent.length - 1] as SentRequest).to));
    let rows = 0;
    let unexpected = 0;
    let wrongTime = 0;
    const perNode: Record<string, number> = {};
    const tags = new Map(Array.from({ length: this.writers }, (_, k) => [this.writerTag(k), k]));
    const from = this.measurements.map(quoteIdentifier).join(',');
    const q = `SELECT "v" FROM ${from} WHERE "writer" =~ /^${this.name}\\.w/ GROUP BY "writer"`;
    for (const node of nodes) {
      let nodeRows = 0;
      await readChunked(node.url, this.db, q, (series) => {
        const k = tags.get(series.tags?.writer ?? '');
        for (const row of series.values) {
          nodeRows++;
          const seq = Number(row[1]);
          const counts = k === undefined ? undefined : found[k];
          if (counts === undefined || !Number.isInteger(seq) || seq < 0 || seq >= counts.length) {
            unexpected++;
            continue;
          }
          counts[seq] = (counts[seq] as number) + 1;
          if (row[0] !== this.#microseconds(k as number, seq)) wrongTime++;
        }
      });
      perNode[node.name] = nodeRows;
      rows += nodeRows;
    }
    let distinct = 0;
    let duplicates = 0;
    let missing = 0;
    let fromUnacked = 0;
    let ackedPoints = 0;
    const missingSample: string[] = [];
    for (let k = 0; k < this.writers; k++) {
      const counts = found[k] as Uint16Array;
      for (const r of this.#sent[k] as SentRequest[]) {
        if (r.acked) ackedPoints += r.to - r.from;
        for (let seq = r.from; seq < r.to; seq++) {
          const c = counts[seq] as number;
          if (c > 0) distinct++;
          if (c > 1) duplicates += c - 1;
          if (c === 0 && r.acked) {
            missing++;
            if (missingSample.length < 10) missingSample.push(`${this.writerTag(k)} v=${seq} (${this.measurements[seq % this.measurements.length]})`);
          }
          if (c > 0 && !r.acked) fromUnacked++;
        }
      }
    }
    return { rows, distinct, duplicates, ackedPoints, missing, missingSample, unexpected, wrongTime, fromUnacked, perNode };
  }

  /** verifyCircle for every circle. */
  async verify(circles: readonly (readonly NodeRef[])[]): Promise<CircleReport[]> {
    const reports: CircleReport[] = [];
    for (const circle of circles) reports.push(await this.verifyCircle(circle));
    return reports;
  }
}

/** An error answer as InfluxDB 1.x gives it: `{"error": "…"}` and the same text in X-Influxdb-Error. */
function isInfluxError(body: string, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string' || header === '') return false;
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    return typeof parsed.error === 'string' && Object.keys(parsed).length === 1;
  } catch {
    return false;
  }
}

export function startLoad(options: LoadOptions): Load {
  return new Load(options).start();
}

export interface AckedCheck {
  /** Names the load in the log line and the messages (default: the load's name). */
  label?: string;
  /**
   * Requests may be left unacknowledged (false: the writers retried until every request got a 204, so
   * there must be none). Their points may be present: each circle must then hold the acknowledged
   * points plus some of theirs, and nothing else.
   */
  allowUnacked?: boolean;
  /** Not a single attempt may have failed (every request got a 204 at once). */
  noFailedAttempts?: boolean;
  /** More to print in the log line besides the stats and the reports. */
  log?: Record<string, unknown>;
}

/**
 * Stops the load (if not yet stopped), reads it back from every circle and asserts that every
 * acknowledged point is on every circle exactly once, with its timestamp, and nothing that was never
 * acknowledged (unless allowed). Returns the stats and reports for further checks.
 */
export async function expectAckedEverywhere(
  load: Load,
  circles: readonly (readonly NodeRef[])[],
  check: AckedCheck = {},
): Promise<{ stats: LoadStats; reports: CircleReport[] }> {
  const stats = await load.stop();
  const reports = await load.verify(circles);
  const label = check.label ?? load.name;
  console.log(`${label}:`, JSON.stringify({ stats, reports, ...check.log }));
  if (check.noFailedAttempts) expect(stats.failedAttempts, `${label}: ${JSON.stringify(stats)}`).toBe(0);
  if (!check.allowUnacked) expect(stats.unackedRequests, `${label}: ${JSON.stringify(stats)}`).toBe(0);
  for (const [i, report] of reports.entries()) {
    const where = `${label}, circle ${i}`;
    expect(report.missing, `${where}: acknowledged points missing, e.g. ${report.missingSample.join(', ')}`).toBe(0);
    expect(report.unexpected, where).toBe(0);
    expect(report.wrongTime, where).toBe(0);
    expect(report.duplicates, where).toBe(0);
    if (check.allowUnacked) {
      // Besides the acknowledged points, only points of the requests left unanswered at the end.
      expect(report.distinct, where).toBe(stats.ackedPoints + report.fromUnacked);
      expect(report.fromUnacked, `${where}: points of unacknowledged requests`).toBeLessThanOrEqual(stats.unackedPoints);
    } else {
      expect(report.distinct, where).toBe(stats.ackedPoints);
    }
    // Each point once: rows = distinct + duplicates + unexpected.
    expect(report.rows, where).toBe(report.distinct);
  }
  return { stats, reports };
}

/** The cluster and loads of the current fault test; faultTest() cleans them up after each test. */
export interface FaultTest {
  /** The cluster of the current test (null before it starts one, and after cleanup). */
  cluster: TestCluster | null;
  /** The loads of the current test, stopped in cleanup. */
  loads: Load[];
  /** startCluster(), remembered for cleanup. */
  startCluster(options: ClusterOptions): Promise<TestCluster>;
  /** startLoad(), remembered for cleanup. */
  startLoad(options: LoadOptions): Load;
}

/** Extra cleanup of a fault test, at the two places it may need. */
export interface FaultCleanup {
  /** Runs first, before the loads are stopped (e.g. to continue a node stopped with SIGSTOP). */
  first?: () => void | Promise<void>;
  /** Runs after the logs are saved, right before the cluster is stopped (e.g. to unmount a node's disk). */
  beforeClusterStop?: () => void | Promise<void>;
}

/**
 * Registers the cleanup of a fault test (call once at the top of a test file) and returns the state
 * it cleans: after each test the loads are stopped, the logs saved when the test failed (saveLogs),
 * and the cluster stopped.
 */
export function faultTest(extra: FaultCleanup = {}): FaultTest {
  const state: FaultTest = {
    cluster: null,
    loads: [],
    async startCluster(options) {
      state.cluster = await startCluster(options);
      return state.cluster;
    },
    startLoad(options) {
      const load = startLoad(options);
      state.loads.push(load);
      return load;
    },
  };
  afterEach(async (context) => {
    await extra.first?.();
    await Promise.all(state.loads.map((load) => load.stop()));
    state.loads = [];
    const { cluster } = state;
    if (cluster && context.task.result?.state === 'fail') console.error(`logs of the failed test: ${saveLogs(cluster.dir, context.task.name)}`);
    await extra.beforeClusterStop?.();
    await cluster?.stop();
    state.cluster = null;
  });
  return state;
}

interface Series {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/** Runs a query on one node (chunked) and hands over every series chunk; times in microseconds. */
async function readChunked(url: string, db: string, q: string, onSeries: (series: Series) => void): Promise<void> {
  // epoch=u: microseconds since the epoch stay exact as JSON numbers (nanoseconds would not).
  const params = new URLSearchParams({ q, db, epoch: 'u', chunked: 'true', chunk_size: '20000' });
  const response = await fetch(`${url}/query`, { method: 'POST', body: params });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`query on ${url} answered ${response.status}: ${text.slice(0, 300)}`);
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const body = JSON.parse(line) as { results?: { series?: Series[]; error?: string }[]; error?: string };
    if (body.error) throw new Error(`query on ${url}: ${body.error}`);
    for (const result of body.results ?? []) {
      if (result.error) throw new Error(`query on ${url}: ${result.error}`);
      for (const series of result.series ?? []) onSeries(series);
    }
  }
}

/** Polls `check` until it is true; throws after `timeoutMs` with `describe()`'s last answer. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  describe?: () => string | Promise<string>,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = ` (last error: ${(err as Error).message})`;
    }
    if (Date.now() > deadline) {
      let state = '';
      if (describe) state = `; state: ${await Promise.resolve(describe()).catch((err: Error) => err.message)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError}${state}`);
    }
    await sleep(intervalMs);
  }
}

export interface NodeHealth {
  name: string;
  url: string;
  active: boolean;
  healthy: boolean;
  writeOnly: boolean;
  buffering: boolean;
  replaying: boolean;
  inFlightBatches: number;
  buffered: { batches: number; points: number; bytes: number; oldest: string | null };
  lastError: string | null;
}

export interface ProxyHealth {
  status: 'pass' | 'warn' | 'fail';
  redis: 'ready' | 'unavailable';
  circles: { name: string; active: boolean; nodes: NodeHealth[] }[];
  /** HTTP status of /health. */
  httpStatus: number;
}

export async function proxyHealth(url: string): Promise<ProxyHealth> {
  const response = await fetch(`${url}/health`);
  const body = (await response.json()) as Omit<ProxyHealth, 'httpStatus'>;
  return { ...body, httpStatus: response.status };
}

export async function nodeHealth(url: string, node: string): Promise<NodeHealth> {
  const health = await proxyHealth(url);
  const found = health.circles.flatMap((c) => c.nodes).find((n) => n.name === node);
  if (!found) throw new Error(`/health has no node ${node}`);
  return found;
}

/**
 * A node's /health entry as seen by the proxy process that takes a new connection (with several
 * proxy processes, each has its own view; new connections are spread over them).
 */
export async function nodeHealthOnNewConnection(url: string, node: string): Promise<NodeHealth> {
  const response = await request(`${url}/health`, { reset: true });
  const body = (await response.body.json()) as ProxyHealth;
  const found = body.circles.flatMap((circle) => circle.nodes).find((n) => n.name === node);
  if (!found) throw new Error(`/health has no node ${node}`);
  return found;
}

/** Waits until /health shows `node` active (healthy, live, nothing buffered). */
/** Waits until /health shows the node down and its writes buffered (some points in its buffer). */
export async function waitBuffering(url: string, node: string, timeoutMs = 20_000): Promise<void> {
  await waitUntil(
    `${node} unhealthy and buffering in /health`,
    async () => {
      const n = await nodeHealth(url, node);
      return !n.healthy && n.buffering && !n.active && n.buffered.points > 0;
    },
    timeoutMs,
    async () => JSON.stringify(await nodeHealth(url, node)),
  );
}

export async function waitActive(url: string, node: string, timeoutMs = 30_000): Promise<void> {
  await waitUntil(
    `node ${node} active in /health`,
    async () => {
      const n = await nodeHealth(url, node);
      return n.active && n.healthy && !n.buffering && n.buffered.batches === 0 && n.buffered.points === 0;
    },
    timeoutMs,
    async () => JSON.stringify(await nodeHealth(url, node)),
  );
}

/** Value of one sample of /metrics (0 when the series is absent). */
export async function metric(url: string, name: string, labels: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers })).text();
  const wanted = Object.entries(labels);
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const open = line.indexOf('{');
    const close = line.lastIndexOf('}');
    const labelText = open === -1 || open > name.length ? '' : line.slice(open + 1, close);
    const got = new Map<string, string>();
    for (const match of labelText.matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) got.set(match[1] as string, match[2] as string);
    if (wanted.every(([key, value]) => got.get(key) === value)) total += Number(line.slice((close === -1 ? name.length : close + 1)).trim().split(' ')[0]);
  }
  return total;
}

/** The owner of `db,measurement` among the nodes of one circle (ketama ring, as the test clusters use). */
export function ownerIn<T extends NodeRef>(circle: readonly T[], db: string, measurement: string): T {
  const ring = createHashRing('ketama', circle.map((node) => node.name), 'idx');
  return circle[ring.owner(shardKey(db, measurement))] as T;
}

/**
 * Copies the logs of a cluster directory (proxy.log, influxd.log, redis.log) out of it before it is
 * removed, for a failed test; returns where they went.
 */
export function saveLogs(clusterDir: string, label: string): string {
  const target = join(tmpdir(), 'influxring-failed-tests', `${label.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 80)}-${Date.now()}`);
  try {
    mkdirSync(target, { recursive: true });
    if (existsSync(clusterDir)) {
      cpSync(clusterDir, target, {
        recursive: true,
        filter: (source) => (statSync(source).isDirectory() ? !/(data|wal|meta|appendonlydir)$/.test(source) : source.endsWith('.log')),
      });
    }
    return target;
  } catch (err) {
    // Never throws: it runs in cleanup, before the cluster is stopped.
    return `(not saved: ${(err as Error).message})`;
  }
}
