// Reading the labelled data sets laid out like ../shared/data: Metis windows (a CSV with quoted,
// comma-separated series), and later NAB and KPI curves. One reader per format; no copies of the data.
import { readFileSync } from 'node:fs';

/** Rows of a CSV file with RFC 4180 quoting (quoted cells may hold commas, quotes and newlines). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch !== '"') cell += ch;
      else if (text[i + 1] === '"') {
        cell += '"';
        i++;
      } else quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else if (ch !== '\r') cell += ch;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

export interface MetisWindow {
  readonly id: string;
  /** A week earlier (361 points), a day earlier (361), today (181; the last one is judged). */
  readonly c: number[];
  readonly b: number[];
  readonly a: number[];
  readonly anomalous: boolean;
}

/** The windows of a Metis-style CSV: columns data_c, data_b, data_a, positive_or_negative (negative = anomalous). */
export function readMetisWindows(file: string): MetisWindow[] {
  const [header, ...rows] = parseCsv(readFileSync(file, 'utf8'));
  const at = (name: string): number => {
    const index = (header ?? []).indexOf(name);
    if (index === -1) throw new Error(`${file}: no column ${name}`);
    return index;
  };
  const [id, c, b, a, label] = [at('id'), at('data_c'), at('data_b'), at('data_a'), at('positive_or_negative')];
  const series = (cell: string | undefined): number[] => (cell ?? '').split(',').map(Number);
  return rows
    .filter((row) => row.length > label)
    .map((row) => ({ id: row[id] as string, c: series(row[c]), b: series(row[b]), a: series(row[a]), anomalous: row[label] === 'negative' }));
}
