// The progress of an import, in words: input bytes done of the total, points written, rows skipped,
// rate and ETA — as a bar line for a terminal and as a plain line for logs. Pure functions of a
// ImportProgress, so they are tested without a terminal; progress.ts decides when to draw them.
import { formatBytes, formatCount, formatEta, perSecond } from './format.js';
import { barLine, type ProgressView } from './progress.js';

export interface ImportProgress {
  /** Input bytes whose rows are all written (or skipped). */
  readonly doneBytes: number;
  /** Size of the input, or null when unknown (stdin). */
  readonly totalBytes: number | null;
  /** Points the proxy acknowledged. */
  readonly points: number;
  /** Rows skipped as invalid. */
  readonly skipped: number;
  readonly elapsedMs: number;
}

/** Whole percent done, or null when the total is unknown. */
function percentDone(state: ImportProgress): number | null {
  if (state.totalBytes === null) return null;
  if (state.totalBytes === 0) return 100;
  return Math.min(100, Math.floor((state.doneBytes * 100) / state.totalBytes));
}

/** Seconds left at the rate so far, or null when it cannot be told yet. */
function etaSeconds(state: ImportProgress): number | null {
  if (state.totalBytes === null || state.doneBytes <= 0 || state.elapsedMs <= 0) return null;
  const left = Math.max(0, state.totalBytes - state.doneBytes);
  return (left / state.doneBytes) * (state.elapsedMs / 1000);
}

function parts(state: ImportProgress): { amount: string; points: string; rate: string; eta: string | null; skipped: string | null } {
  const amount = state.totalBytes === null ? `${formatBytes(state.doneBytes)} read` : `${formatBytes(state.doneBytes)} / ${formatBytes(state.totalBytes)}`;
  const eta = etaSeconds(state);
  return {
    amount,
    points: `${formatCount(state.points)} points`,
    rate: `${formatCount(perSecond(state.points, state.elapsedMs))} points/s`,
    eta: eta === null ? null : `ETA ${formatEta(eta)}`,
    skipped: state.skipped > 0 ? `${formatCount(state.skipped)} skipped` : null,
  };
}

/** The terminal line: `[████░░░░]  45%  45.0 MiB / 100.0 MiB  1,234 points  617 points/s  ETA 12s`, fit to `columns`. */
function formatBarLine(state: ImportProgress, columns: number): string {
  const p = parts(state);
  const percent = percentDone(state);
  const text = [percent === null ? null : `${String(percent).padStart(3)}%`, p.amount, p.points, p.skipped, p.rate, p.eta].filter((x) => x !== null).join('  ');
  return barLine(percent, text, columns);
}

/** A log line: `progress: 45.0 MiB / 100.0 MiB (45%), 1,234 points written, 617 points/s, ETA 12s`. */
function formatPlainLine(state: ImportProgress): string {
  const p = parts(state);
  const percent = percentDone(state);
  return [
    `progress: ${p.amount}${percent === null ? '' : ` (${percent}%)`}`,
    `${p.points} written`,
    ...(p.skipped === null ? [] : [`${p.skipped}`]),
    p.rate,
    ...(p.eta === null ? [] : [p.eta]),
  ].join(', ');
}

/** The import's progress as the display draws it, from the state `read` returns at each draw. */
export function importProgressView(read: () => ImportProgress): ProgressView {
  return { bar: (columns) => formatBarLine(read(), columns), line: () => formatPlainLine(read()) };
}
