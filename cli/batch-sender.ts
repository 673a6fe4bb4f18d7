// Sends batches of line protocol to the proxy's /write, a few at once. A batch is retried when the
// proxy cannot take it now — 502/503/504 (waiting what Retry-After says) or no answer at all
// (connection refused or reset, timeout: waiting longer each time) — since a write of the same points
// again only overwrites them. Any other refusal stops the import: it is InfluxDB saying the data is
// wrong (400), the database does not exist (404), or we may not write (401), and no retry changes
// that. Batches large enough to gain are gzipped, off the main thread.
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { CliError } from './errors.js';
import { describeNetworkError, type ProxyClient, type ProxyResponse } from './proxy-client.js';

const gzipAsync = promisify(gzip);

/** A batch of lines, with the CSV lines they came from (for messages) and how far into the input it reaches. */
export interface Batch {
  /** The body: lines of line protocol, each ending in a newline. */
  readonly text: string;
  readonly points: number;
  readonly firstLine: number;
  readonly lastLine: number;
  /** Input bytes read when the batch was complete (the progress once it is written). */
  readonly endOffset: number;
}

export interface BatchSenderOptions {
  readonly db: string;
  readonly rp: string | null;
  /** Batches in flight at once. */
  readonly concurrency: number;
  /** Bodies at least this large are gzipped. @defaultValue 64 KiB */
  readonly gzipMinBytes?: number;
  /** Attempts per batch before giving up. @defaultValue 10 */
  readonly maxAttempts?: number;
  /** First wait after a connection error; doubled each time up to `maxRetryDelayMs`. @defaultValue 500 */
  readonly retryDelayMs?: number;
  /** @defaultValue 15000 */
  readonly maxRetryDelayMs?: number;
  /** Called for each retry with a line saying what happened and when the next attempt goes. */
  readonly onRetry: (message: string) => void;
}

/** Longest wait taken from a Retry-After header. */
const MAX_RETRY_AFTER_MS = 60_000;

/** `lines 2–5001` (or `line 7`). */
function describeLines(batch: Pick<Batch, 'firstLine' | 'lastLine'>): string {
  return batch.firstLine === batch.lastLine ? `line ${batch.firstLine}` : `lines ${batch.firstLine}–${batch.lastLine}`;
}

/** InfluxDB's error text in an answer: the JSON body's `error`, else the X-Influxdb-Error header, else the body. */
function influxError(response: ProxyResponse): string {
  try {
    const parsed = JSON.parse(response.text) as { error?: unknown; message?: unknown };
    const text = parsed.error ?? parsed.message;
    if (typeof text === 'string' && text !== '') return text;
  } catch {
    // not JSON
  }
  const header = response.headers['x-influxdb-error'];
  if (typeof header === 'string' && header !== '') return header;
  const body = response.text.trim();
  return body === '' ? '(no error text)' : body.length > 500 ? `${body.slice(0, 500)}…` : body;
}

/** Milliseconds a Retry-After header asks for (seconds or an HTTP date), or null without a usable one. */
function retryAfterMs(value: string | string[] | undefined, now: number = Date.now()): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return null;
  if (/^\d+$/.test(text.trim())) return Math.min(Number(text.trim()) * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS);
}

/** What to add to a refusal so the user knows what to change. */
function refusalHint(status: number, error: string): string {
  if (status === 401) return '; give the proxy user with --username and --password (or INFLUXRING_USERNAME / INFLUXRING_PASSWORD)';
  if (status === 403) return '; the proxy user may not write to this database';
  if (status === 413) return '; send smaller requests with a lower --batch-lines';
  if (status === 404 && /database not found/.test(error)) return '; create it first (CREATE DATABASE through the proxy\'s /query)';
  if (/field type conflict/.test(error)) return '; the field already has another type in this measurement: set the column\'s type with --field-type COL=TYPE';
  if (/partial write/.test(error)) return ' (InfluxDB stored the batch\'s other points)';
  return '';
}

export class BatchSender {
  /** Points the proxy acknowledged. */
  pointsWritten = 0;
  /** Input bytes up to which every batch is written (batches finish out of order). */
  doneOffset = 0;
  private readonly client: ProxyClient;
  private readonly options: BatchSenderOptions;
  private readonly path: string;
  private readonly inFlight = new Set<Promise<void>>();
  private failure: CliError | null = null;
  /** Sequence numbers: the next batch's, the next one the watermark waits for, and those finished early. */
  private nextSeq = 0;
  private nextDone = 0;
  private readonly finishedEarly = new Map<number, number>();

  constructor(client: ProxyClient, options: BatchSenderOptions) {
    this.client = client;
    this.options = options;
    const params = new URLSearchParams({ db: options.db });
    if (options.rp !== null) params.set('rp', options.rp);
    params.set('precision', 'ns');
    this.path = `/write?${params.toString()}`;
  }

  /** The first batch that failed for good, if any. */
  get failed(): CliError | null {
    return this.failure;
  }

  /**
   * Starts sending `batch` once fewer than `concurrency` batches are in flight; resolves when it has
   * started. Throws the error of a batch that failed for good (then nothing more is sent).
   */
  async send(batch: Batch): Promise<void> {
    while (this.failure === null && this.inFlight.size >= this.options.concurrency) await Promise.race(this.inFlight);
    if (this.failure !== null) throw this.failure;
    const seq = this.nextSeq++;
    const sending: Promise<void> = this.deliver(batch).then(
      () => this.finished(seq, batch),
      (err: unknown) => {
        this.failure ??= err instanceof CliError ? err : new CliError('IRX_ERR_CLI_WRITE_FAILED', `${describeLines(batch)}: ${String(err)}`, { cause: err });
      },
    );
    const tracked = sending.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** Waits for every batch in flight; throws the error of one that failed for good. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    if (this.failure !== null) throw this.failure;
  }

  private finished(seq: number, batch: Batch): void {
    this.pointsWritten += batch.points;
    this.finishedEarly.set(seq, batch.endOffset);
    for (let offset = this.finishedEarly.get(this.nextDone); offset !== undefined; offset = this.finishedEarly.get(this.nextDone)) {
      this.finishedEarly.delete(this.nextDone);
      this.doneOffset = Math.max(this.doneOffset, offset);
      this.nextDone++;
    }
  }

  private async deliver(batch: Batch): Promise<void> {
    const raw = Buffer.from(batch.text, 'utf8');
    const gzipped = raw.length >= (this.options.gzipMinBytes ?? 64 * 1024);
    const body = gzipped ? await gzipAsync(raw, { level: 1 }) : raw;
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
    if (gzipped) headers['content-encoding'] = 'gzip';
    const maxAttempts = this.options.maxAttempts ?? 10;
    const lines = describeLines(batch);
    for (let attempt = 1; ; attempt++) {
      let response: ProxyResponse;
      try {
        response = await this.client.request({ method: 'POST', path: this.path, body, headers, auth: 'user' });
      } catch (err) {
        const why = describeNetworkError(err);
        if (attempt >= maxAttempts) {
          throw new CliError('IRX_ERR_CLI_WRITE_FAILED', `${lines}: no answer from the proxy at ${this.client.connection.url} after ${attempt} attempts (${why})`, { cause: err });
        }
        await this.retry(lines, why, this.backoff(attempt), attempt, maxAttempts);
        continue;
      }
      if (response.status >= 200 && response.status < 300) return;
      const error = influxError(response);
      if (response.status === 502 || response.status === 503 || response.status === 504) {
        if (attempt >= maxAttempts) {
          throw new CliError('IRX_ERR_CLI_WRITE_FAILED', `${lines}: the proxy answered ${response.status} ${attempt} times, last: ${error}`);
        }
        await this.retry(lines, `${response.status} ${error}`, retryAfterMs(response.headers['retry-after']) ?? this.backoff(attempt), attempt, maxAttempts);
        continue;
      }
      throw new CliError('IRX_ERR_CLI_WRITE_REJECTED', `the proxy refused ${lines} with ${response.status}: ${error}${refusalHint(response.status, error)}`);
    }
  }

  private backoff(attempt: number): number {
    return Math.min((this.options.retryDelayMs ?? 500) * 2 ** (attempt - 1), this.options.maxRetryDelayMs ?? 15_000);
  }

  private async retry(lines: string, why: string, delayMs: number, attempt: number, maxAttempts: number): Promise<void> {
    // Another batch failed for good: the import stops, so this one is not tried again.
    if (this.failure !== null) throw this.failure;
    this.options.onRetry(`retrying ${lines} in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${maxAttempts}): ${why}`);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (this.failure !== null) throw this.failure;
  }
}
