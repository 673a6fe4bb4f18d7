// Copies one measurement of one database, every retention policy, from a source node to target nodes:
// the source streams `SELECT * … GROUP BY *` as chunked JSON with nanosecond times, each row becomes a
// line-protocol point with the field types the source reports (SHOW FIELD KEYS), and the lines go to
// each target's /write in batches of jobs.copyBatchLines, at most jobs.copyRate points a second.
// Writing a point twice stores it once, so a copy that stopped can simply run again; live writes go to
// the target at the same time (the proxies write to both owners while a measurement moves).
import { answerChunks, chunkSeries, type AnswerChunk, type AnswerSeries } from '../proxy/chunked-answer.js';
import { quoteIdent } from '../proxy/influxql-tokens.js';
import { escapeKey, escapeMeasurement, quoteString } from '../proxy/line-protocol-escape.js';
import { JsonNumber, parseJson, type JsonValue } from '../proxy/json-lossless.js';
import type { InfluxNode } from '../proxy/node.js';
import { forEachConcurrently } from './concurrently.js';
import type { JobContext } from './job-context.js';

type Series = AnswerSeries<JsonValue>;
type Chunk = AnswerChunk<JsonValue>;

/** Field name → type as the source stores it (float, integer, string, boolean). */
async function fieldTypes(node: InfluxNode, db: string, rp: string, measurement: string, timeoutMs: number): Promise<Map<string, string>> {
  const rows = await node.rows(`SHOW FIELD KEYS FROM ${quoteIdent(rp)}.${quoteIdent(measurement)}`, db, timeoutMs);
  const types = new Map<string, string>();
  for (const [name, type] of rows) if (name !== undefined && type !== undefined && !types.has(name)) types.set(name, type);
  return types;
}

function fieldText(type: string, value: JsonValue): string | null {
  if (value === null) return null;
  switch (type) {
    case 'integer':
      return `${String(value)}i`;
    case 'boolean':
      return value === true ? 'true' : 'false';
    case 'string':
      return quoteString(String(value));
    default:
      // A float: its JSON text as influxd wrote it (a whole number stays a float without the `i`).
      return value instanceof JsonNumber ? value.toString() : String(value);
  }
}

/** The lines of one series' rows. */
function seriesLines(series: Series, types: ReadonlyMap<string, string>, out: string[]): void {
  const tags = Object.entries(series.tags ?? {})
    .filter(([, value]) => value !== '')
    .map(([key, value]) => `,${escapeKey(key)}=${escapeKey(value)}`)
    .join('');
  const head = `${escapeMeasurement(series.name)}${tags} `;
  const timeAt = series.columns.indexOf('time');
  // The fields of the series' columns, worked out once for all its rows: position, "key=", type.
  const fieldColumns = series.columns.flatMap((name, i) => {
    const type = types.get(name);
    return i === timeAt || type === undefined ? [] : [{ at: i, key: `${escapeKey(name)}=`, type }];
  });
  for (const row of series.values) {
    const fields: string[] = [];
    for (const { at, key, type } of fieldColumns) {
      const text = fieldText(type, row[at] as JsonValue);
      if (text !== null) fields.push(`${key}${text}`);
    }
    if (fields.length > 0) out.push(`${head}${fields.join(',')} ${String(row[timeAt])}`);
  }
}

/** Keeps the copy under `pointsPerSecond` (0: no limit). */
export class Throttle {
  readonly #rate: number;
  readonly #started = performance.now();
  #sent = 0;

  constructor(pointsPerSecond: number) {
    this.#rate = pointsPerSecond;
  }

  async take(points: number): Promise<void> {
    this.#sent += points;
    if (this.#rate <= 0) return;
    const due = (this.#sent / this.#rate) * 1000 - (performance.now() - this.#started);
    if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
  }
}

/**
 * A chunk of influxd's answer. JSON.parse is several times faster than the lossless parser, but rounds
 * integers beyond 2^53 (nanosecond times, large integer fields): those (16 digits and more) are quoted
 * first. Should that ever touch a string value, the text stops being JSON (a quote inside a string ends
 * it, and digits cannot follow); then the lossless parser reads the chunk.
 */
function parseChunk(text: string): Chunk {
  try {
    return JSON.parse(text.replace(/([[,])(-?\d{16,})(?=[,\]])/g, '$1"$2"')) as Chunk;
  } catch {
    return parseJson(text) as unknown as Chunk;
  }
}

async function writeLines(ctx: JobContext, targets: readonly InfluxNode[], db: string, rp: string, lines: string[]): Promise<void> {
  const body = Buffer.from(`${lines.join('\n')}\n`);
  await Promise.all(
    targets.map(async (target) => {
      for (let attempt = 1; ; attempt++) {
        const outcome = await target.write({ db, rp, precision: 'ns', body, gzipped: false }, ctx.config.write.nodeTimeout);
        if (outcome.kind === 'accepted') return;
        const reason = outcome.kind === 'rejected' ? `${outcome.status} ${outcome.error}` : outcome.kind === 'unavailable' ? outcome.reason : 'batch too large';
        if (outcome.kind === 'rejected' || attempt === 5) throw new Error(`writing the copy to ${target.name} failed: ${reason}`);
        await ctx.say(`writing the copy to ${target.name} failed (${reason}); retrying`);
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
        await ctx.checkpoint();
      }
    }),
  );
}

export interface CopyTask {
  readonly db: string;
  readonly measurement: string;
  readonly source: InfluxNode;
  readonly targets: readonly InfluxNode[];
}

/** Copies the measurement; returns the points read from the source (each written to every target). */
/**
 * Copies every task, jobs.copyConcurrency at a time under one jobs.copyRate throttle, reporting the
 * progress of step 'copy'; `before` runs first for each task (e.g. waiting for its nodes).
 */
export async function copyAll(ctx: JobContext, tasks: readonly CopyTask[], before: (task: CopyTask) => Promise<void> = async () => undefined): Promise<void> {
  const throttle = new Throttle(ctx.config.jobs.copyRate);
  let copied = 0;
  await ctx.progress('copy', 0, tasks.length);
  await forEachConcurrently(tasks, ctx.config.jobs.copyConcurrency, async (task) => {
    await ctx.checkpoint();
    await before(task);
    const points = await copyMeasurement(ctx, task, throttle);
    ctx.log.debug({ db: task.db, measurement: task.measurement, from: task.source.name, to: task.targets.map((t) => t.name), points }, 'measurement copied');
    await ctx.progress('copy', ++copied, tasks.length);
  });
}

export async function copyMeasurement(ctx: JobContext, task: CopyTask, throttle: Throttle): Promise<number> {
  const { db, measurement, source, targets } = task;
  const timeout = ctx.config.query.timeout;
  const batchLines = ctx.config.jobs.copyBatchLines;
  const policies = await source.firstColumn(`SHOW RETENTION POLICIES ON ${quoteIdent(db)}`, db, timeout);
  let copied = 0;
  for (const rp of policies) {
    const types = await fieldTypes(source, db, rp, measurement, timeout);
    if (types.size === 0) continue;
    const form = new URLSearchParams({
      q: `SELECT * FROM ${quoteIdent(db)}.${quoteIdent(rp)}.${quoteIdent(measurement)} GROUP BY *`,
      db,
      epoch: 'ns',
      chunked: 'true',
      chunk_size: String(batchLines),
    });
    // No time limit on the whole answer: a large measurement streams for long. The body timeout is per chunk.
    const response = await source.queryStream(form, null, timeout);
    if (response.statusCode !== 200) throw new Error(`${source.name} answered ${response.statusCode} to the copy's query: ${await response.body.text()}`);
    let pending: string[] = [];
    // One write in flight while the next lines are read: the source's reading and the target's
    // writing overlap.
    let writing: Promise<void> | null = null;
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      const lines = pending;
      pending = [];
      await throttle.take(lines.length);
      if (writing !== null) await writing;
      await ctx.checkpoint();
      writing = writeLines(ctx, targets, db, rp, lines).then(() => {
        copied += lines.length;
        ctx.addPoints(lines.length);
      });
      // Handled here too, so a failure before the next await is not an unhandled rejection.
      writing.catch(() => undefined);
    };
    try {
      for await (const chunk of answerChunks(response.body, parseChunk)) {
        for (const series of chunkSeries(chunk, `${source.name}: copying ${db}.${rp}.${measurement}`)) seriesLines(series, types, pending);
        if (pending.length >= batchLines) await flush();
      }
    } finally {
      if (!response.body.destroyed) response.body.destroy();
    }
    await flush();
    if (writing !== null) await writing;
  }
  return copied;
}

