// The report printed at the end of an import (also when it stopped early): counts, time, speed, the
// field types used, and the first reasons rows were skipped.
import { formatCount, formatElapsed, perSecond } from './format.js';

export interface ImportStats {
  /** The file name, or `stdin`. */
  readonly input: string;
  readonly db: string;
  readonly rp: string | null;
  /** Lines of the input read (the header and blank lines included). */
  readonly linesRead: number;
  /** Data rows read (records after the header). */
  readonly rowsRead: number;
  readonly pointsWritten: number;
  readonly rowsSkipped: number;
  /** The first reasons, each `line N: why`. */
  readonly skippedReasons: readonly string[];
  readonly elapsedMs: number;
  /** The field types used, or null when the header was not read. */
  readonly fieldTypes: string | null;
  /** False when the import stopped on an error. */
  readonly completed: boolean;
}

/** Reasons kept for the summary. */
export const SHOWN_SKIP_REASONS = 5;

export function formatSummary(stats: ImportStats): string {
  const target = `${stats.db}${stats.rp === null ? '' : ` (retention policy ${stats.rp})`}`;
  const rows: [string, string][] = [
    ['lines read', formatCount(stats.linesRead)],
    ['rows read', formatCount(stats.rowsRead)],
    ['points written', formatCount(stats.pointsWritten)],
    ['rows skipped', formatCount(stats.rowsSkipped)],
    ['elapsed', formatElapsed(stats.elapsedMs)],
    ['points/s', formatCount(perSecond(stats.pointsWritten, stats.elapsedMs))],
  ];
  if (stats.fieldTypes !== null) rows.push(['field types', stats.fieldTypes]);
  const width = Math.max(...rows.map(([key]) => key.length)) + 1;
  const lines = [
    stats.completed ? `Imported ${stats.input} into ${target}` : `Stopped importing ${stats.input} into ${target}`,
    ...rows.map(([key, value]) => `  ${`${key}:`.padEnd(width)} ${value}`),
  ];
  if (stats.skippedReasons.length > 0) {
    lines.push(`  skipped rows${stats.rowsSkipped > stats.skippedReasons.length ? ` (first ${stats.skippedReasons.length})` : ''}:`);
    for (const reason of stats.skippedReasons) lines.push(`    ${reason}`);
    if (stats.rowsSkipped > stats.skippedReasons.length) lines.push(`    … and ${stats.rowsSkipped - stats.skippedReasons.length} more`);
  }
  return `${lines.join('\n')}\n`;
}
