// The CSV import, start to end: the file (or stdin) read piece by piece, the header turned into a
// column plan, the field types inferred from the first rows, every row encoded as a point, the points
// sent to the proxy's /write in batches a few at a time, and the progress drawn meanwhile. A row that
// cannot become a point stops the import with its line number (the rows before it are written), or
// with --skip-invalid is counted and skipped. Once rows are read, the outcome is data — the counts and
// the error that stopped it, if any — so the command prints the summary in both cases; what stops it
// before (no file, no proxy, a header that does not fit the options) is thrown.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { BatchSender } from './batch-sender.js';
import { describeFieldTypes, inferTypes, planColumns, type ColumnPlan } from './column-plan.js';
import { CsvParser, fileSize, readCsv, type CsvRecord } from './csv-reader.js';
import { CliError } from './errors.js';
import type { ImportOptions } from './import-options.js';
import { importProgressView } from './import-progress.js';
import { SHOWN_SKIP_REASONS, type ImportStats } from './import-summary.js';
import { ProgressDisplay, progressMode, type ProgressStream } from './progress.js';
import type { ProxyClient } from './proxy-client.js';
import { RowEncoder } from './row-encoder.js';

/** Rows the field types are inferred from. */
const INFER_ROWS = 1000;

export interface ImportStreams {
  readonly stdin: Readable;
  /** Progress and retry notes. */
  readonly stderr: ProgressStream;
}

export interface ImportOutcome {
  readonly stats: ImportStats;
  /** What stopped the import, or null when it completed. */
  readonly error: CliError | null;
}

/** Imports `options.file` through `client`; resolves with the counts, and the error that stopped it if any. */
export async function runImport(options: ImportOptions, client: ProxyClient, streams: ImportStreams): Promise<ImportOutcome> {
  const started = Date.now();
  const fromStdin = options.file === '-';
  const inputName = fromStdin ? 'stdin' : options.file;
  const totalBytes = fromStdin ? null : await fileSize(options.file);
  await client.ping();

  const parser = new CsvParser();
  let skipped = 0;
  const skippedReasons: string[] = [];
  let rowsRead = 0;
  let bytesRead = 0;
  // Set inside the callbacks below: declared with `as` so TypeScript does not narrow them to their start value.
  let plan = null as ColumnPlan | null;
  let encoder = null as RowEncoder | null;
  /** Rows held until the field types are inferred from them; null once they are. */
  let held = [] as CsvRecord[] | null;
  // The batch being filled.
  let text = '';
  let points = 0;
  let firstLine = 0;
  let lastLine = 0;

  const display = new ProgressDisplay(
    { stream: streams.stderr, mode: progressMode(options.progress, streams.stderr), lineIntervalMs: options.progressIntervalMs },
    importProgressView(() => ({ doneBytes: sender.doneOffset, totalBytes, points: sender.pointsWritten, skipped, elapsedMs: Date.now() - started })),
  );
  const sender = new BatchSender(client, { db: options.db, rp: options.rp, concurrency: options.concurrency, onRetry: (message) => display.note(message) });

  const flush = async (): Promise<void> => {
    if (points === 0) return;
    const batch = { text, points, firstLine, lastLine, endOffset: bytesRead };
    text = '';
    points = 0;
    await sender.send(batch);
  };

  const encode = async (record: CsvRecord, rowEncoder: RowEncoder): Promise<void> => {
    rowsRead++;
    const line = record.error === null ? rowEncoder.encode(record.cells) : null;
    if (line === null) {
      // A reason quotes the cell, which may hold line breaks: shown as \n so the message stays one line.
      const reason = (record.error ?? rowEncoder.reason).replace(/\r/g, '\\r').replace(/\n/g, '\\n');
      if (!options.skipInvalid) {
        // Write the rows before this one, so "nothing from this row on" is exactly what happened.
        await flush();
        await sender.drain();
        throw new CliError(
          'IRX_ERR_CLI_ROW_INVALID',
          `${inputName} line ${record.line}: ${reason}; the rows before it are written, nothing from it on (fix the row, or skip such rows with --skip-invalid)`,
        );
      }
      skipped++;
      if (skippedReasons.length < SHOWN_SKIP_REASONS) skippedReasons.push(`line ${record.line}: ${reason}`);
      return;
    }
    if (points === 0) firstLine = record.line;
    text += `${line}\n`;
    points++;
    lastLine = record.line;
    if (points >= options.batchLines) await flush();
  };

  /** Infers the field types from the rows held, then encodes them. */
  const inferAndRelease = async (): Promise<void> => {
    if (held === null || plan === null) return;
    const columns = plan.columns.length;
    inferTypes(
      plan,
      held.filter((record) => record.error === null && record.cells.length === columns).map((record) => record.cells),
    );
    encoder = new RowEncoder(plan, options.timeFormat, options.precision);
    const rows = held;
    held = null;
    for (const record of rows) await encode(record, encoder);
  };

  const take = async (record: CsvRecord): Promise<void> => {
    if (plan === null) {
      if (record.error !== null) throw new CliError('IRX_ERR_CLI_CSV', `${inputName} line ${record.line}: the header is malformed: ${record.error}`);
      plan = planColumns(record.cells, options, inputName);
      return;
    }
    if (held !== null) {
      held.push(record);
      if (held.length >= INFER_ROWS) await inferAndRelease();
      return;
    }
    await encode(record, encoder as RowEncoder);
  };

  let error = null as CliError | null;
  display.start();
  try {
    const input: Readable = fromStdin ? streams.stdin : createReadStream(options.file, { highWaterMark: 256 * 1024 });
    try {
      for await (const chunk of readCsv(input, inputName, parser)) {
        bytesRead = chunk.bytesRead;
        for (const record of chunk.records) await take(record);
      }
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError('IRX_ERR_CLI_FILE', `cannot read ${inputName}: ${(err as Error).message}`, { cause: err });
    }
    if (plan === null) throw new CliError('IRX_ERR_CLI_FILE', `${inputName} is empty: a CSV file starts with a header line naming its columns`);
    await inferAndRelease();
    await flush();
    await sender.drain();
  } catch (err) {
    // Batches still in flight are written (or fail) before the counts are taken.
    await sender.drain().catch(() => undefined);
    // Stopped before the first row (the header does not fit the options): there is nothing to sum up.
    if (!(err instanceof CliError) || plan === null) throw err;
    error = err;
  } finally {
    display.stop();
  }

  return {
    stats: {
      input: inputName,
      db: options.db,
      rp: options.rp,
      linesRead: parser.linesRead,
      rowsRead,
      pointsWritten: sender.pointsWritten,
      rowsSkipped: skipped,
      skippedReasons,
      elapsedMs: Date.now() - started,
      fieldTypes: plan === null ? null : describeFieldTypes(plan),
      completed: error === null,
    },
    error,
  };
}
