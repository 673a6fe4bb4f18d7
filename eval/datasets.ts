// Reading the labelled data sets laid out like ../shared/data: Metis windows (a CSV with quoted,
// comma-separated series), NAB curves with their windows, KPI curves with a label column. One reader per
// format; no copies of the data.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsvText } from '../cli/csv-reader.js';

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
  const [header, ...rows] = parseCsvText(readFileSync(file, 'utf8'));
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

export interface LabelledCurve {
  readonly name: string;
  readonly times: number[];
  readonly values: number[];
  /** NAB: anomaly windows as [first row, last row]; KPI: runs of labelled rows. */
  readonly windows: [number, number][];
}

const timeMs = (text: string): number => (/^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(`${text.trim().replace(' ', 'T').replace(/(\.\d{3})\d*$/, '$1')}Z`));

/** NAB-style data: `data/<category>/<file>.csv` (timestamp,value) and `labels/combined_windows.json`. */
export function readNab(dir: string): LabelledCurve[] {
  const windows = JSON.parse(readFileSync(join(dir, 'labels', 'combined_windows.json'), 'utf8')) as Record<string, [string, string][]>;
  return Object.keys(windows)
    .sort()
    .map((name) => {
      const [, ...rows] = parseCsvText(readFileSync(join(dir, 'data', name), 'utf8'));
      const parsed = rows.filter((row) => row.length >= 2 && row[0] !== '');
      const times = parsed.map((row) => timeMs(row[0] as string));
      const values = parsed.map((row) => Number(row[1]));
      const rowWindows = (windows[name] ?? []).map(([start, end]): [number, number] => {
        const [first, last] = [timeMs(start), timeMs(end)];
        const from = times.findIndex((t) => t >= first);
        let to = times.length - 1;
        while (to > 0 && (times[to] as number) > last) to--;
        return [from, to];
      });
      return { name, times, values, windows: rowWindows.filter(([from, to]) => from >= 0 && to >= from) };
    });
}

/** KPI-style CSVs (timestamp,value,label) in a folder: the labelled rows as windows (runs). */
export function readKpis(dir: string): LabelledCurve[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.csv'))
    .sort()
    .map((file) => {
      const [header, ...rows] = parseCsvText(readFileSync(join(dir, file), 'utf8'));
      const at = (name: string): number => (header ?? []).indexOf(name);
      const parsed = rows.filter((row) => row.length > at('label') && row[0] !== '');
      const labels = parsed.map((row) => row[at('label')] === '1');
      const windows: [number, number][] = [];
      labels.forEach((label, i) => {
        if (!label) return;
        const last = windows[windows.length - 1];
        if (last !== undefined && last[1] === i - 1) last[1] = i;
        else windows.push([i, i]);
      });
      return { name: file, times: parsed.map((row) => timeMs(row[at('timestamp')] as string)), values: parsed.map((row) => Number(row[at('value')])), windows };
    });
}
