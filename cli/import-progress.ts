// The progress of an import, in words: input bytes done of the total, points written, rows skipped,
// rate and ETA — as a bar line for a terminal and as a plain line for logs. Pure functions of a
// ImportProgress, so they are tested without a terminal; progress.ts decides when to draw them.
import { formatBytes, formatCount, formatEta, perSecond } from './format.js';
import type { ProgressView } from './progress.js';

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
export function percentDone(state: ImportProgress): number | null {
  if (state.totalBytes === null) return null;
  if (state.totalBytes === 0) return 100;
  return Math.min(100, Math.floor((state.doneBytes * 100) / state.totalBytes));
}

/** Seconds left at the rate so far, or null when it cannot be told yet. */
export function etaSeconds(state: ImportProgress): number | null {
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

const BAR_FULL = '█';
const BAR_EMPTY = '░';

/** The terminal line: `[████░░░░]  45%  45.0 MiB / 100.0 MiB  1,234 points  617 points/s  ETA 12s`, fit to `columns`. */
export function formatBarLine(state: ImportProgress, columns: number): string {
  const p = parts(state);
  const percent = percentDone(state);
  const text = [percent === null ? null : `${String(percent).padStart(3)}%`, p.amount, p.points, p.skipped, p.rate, p.eta].filter((x) => x !== null).join('  ');
  const room = columns - text.length - 3;
  if (percent === null || room < 10) return text.slice(0, Math.max(0, columns - 1));
  const width = Math.min(30, room);
  const full = Math.round((percent / 100) * width);
  return `[${BAR_FULL.repeat(full)}${BAR_EMPTY.repeat(width - full)}] ${text}`;
}

/** A log line: `progress: 45.0 MiB / 100.0 MiB (45%), 1,234 points written, 617 points/s, ETA 12s`. */
export function formatPlainLine(state: ImportProgress): string {
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
