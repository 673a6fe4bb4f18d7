// `npm run eval [-- --data DIR]`: the detectors over labelled data laid out like ../shared/data — NAB
// (nab/: the NAB score per profile, and point-wise / event-wise precision, recall and F1), the KPI
// curves (netman-kpi/) and the Metis windows (metis/) — printed as tables. Every algorithm runs with one
// set of parameters (curve-scores.ts), the same for every file.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../proxy/version.js';
import { DEFAULT_METIS, metisValue } from '../worker/detect/metis-value.js';
import { metisRate } from '../worker/detect/metis-rate.js';
import { curveScores, EVAL_ALGORITHMS } from './curve-scores.js';
import { readKpis, readMetisWindows, readNab } from './datasets.js';
import { count, emptyCounts, summarize, type Prf } from './detection-metrics.js';
import { nabSweep, prepareCorpus, probationLength, type CostMatrix } from './nab-score.js';

const pct = (x: number): string => x.toFixed(3);
const prfCells = (p: Prf): string => `${pct(p.precision)} | ${pct(p.recall)} | ${pct(p.f1)}`;

function nab(dir: string): string {
  const curves = readNab(dir);
  const profiles = JSON.parse(readFileSync(join(dir, 'profiles.json'), 'utf8')) as Record<string, { CostMatrix: CostMatrix }>;
  const lines = [
    `### NAB (${curves.length} files, ${curves.reduce((s, c) => s + c.windows.length, 0)} windows; calibration = the probationary 15%, at most 750 rows)`,
    '',
    '| algorithm | NAB standard | low FP | low FN | point P | point R | point F1 | event P | event R | event F1 | point-adjusted F1 |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const algorithm of EVAL_ALGORITHMS) {
    const files = curves.map((curve) => ({ scores: curveScores(curve.values, algorithm.algorithm(probationLength(curve.values.length))).scores, windows: curve.windows }));
    const corpus = prepareCorpus(files);
    const sweeps = Object.fromEntries(Object.entries(profiles).map(([name, profile]) => [name, nabSweep(corpus, profile.CostMatrix)]));
    const threshold = sweeps.standard?.threshold ?? 1;
    const counts = emptyCounts();
    files.forEach((file) => count(counts, file.scores.map((s) => s >= threshold), file.windows, probationLength(file.scores.length)));
    const { point, event, adjusted } = summarize(counts);
    lines.push(
      `| ${algorithm.name} | ${sweeps.standard?.score.toFixed(1)} | ${sweeps.reward_low_FP_rate?.score.toFixed(1)} | ${sweeps.reward_low_FN_rate?.score.toFixed(1)} | ${prfCells(point)} | ${prfCells(event)} | ${pct(adjusted.f1)} |`,
    );
    process.stderr.write(`NAB ${algorithm.name}: standard ${sweeps.standard?.score.toFixed(1)} (threshold ${threshold.toFixed(3)})\n`);
  }
  lines.push('', 'P/R/F1 at the threshold that maximises the standard profile (swept over the whole corpus, as NAB does).');
  return lines.join('\n');
}

function kpis(dir: string): string {
  const curves = readKpis(dir);
  const lines = ['### KPI curves (calibration: the first 15%; an alarm is a detector decision)', '', '| curve | algorithm | point P | point R | point F1 | event P | event R | event F1 | point-adjusted F1 |', '|---|---|---|---|---|---|---|---|---|'];
  for (const curve of curves) {
    const calibration = Math.floor(curve.values.length * 0.15);
    for (const algorithm of EVAL_ALGORITHMS) {
      const { alarms } = curveScores(curve.values, algorithm.algorithm(calibration));
      const counts = emptyCounts();
      count(counts, alarms, curve.windows, calibration);
      const { point, event, adjusted } = summarize(counts);
      lines.push(`| ${curve.name} | ${algorithm.name} | ${prfCells(point)} | ${prfCells(event)} | ${pct(adjusted.f1)} |`);
    }
  }
  return lines.join('\n');
}

function metis(file: string): string {
  const windows = readMetisWindows(file);
  const labels = windows.map((w) => w.anomalous);
  const rows: [string, boolean[]][] = [
    ['metis-value (2 of 3 filters)', windows.map((w) => metisValue(w.c, w.b, w.a).anomalous)],
    ['metis-value (any filter)', windows.map((w) => metisValue(w.c, w.b, w.a, { ...DEFAULT_METIS, votes: 1 }).anomalous)],
    ['metis-rate (3-sigma)', windows.map((w) => metisRate(w.c, w.b, w.a).anomalous)],
  ];
  const lines = [`### Metis windows (${windows.length}, ${labels.filter(Boolean).length} anomalous; the last point of each is judged)`, '', '| algorithm | P | R | F1 |', '|---|---|---|---|'];
  for (const [name, flagged] of rows) {
    const counts = emptyCounts();
    // Each window is one sample: its judged point is a window of one row when anomalous.
    count(counts, flagged, labels.flatMap((anomalous, i): [number, number][] => (anomalous ? [[i, i]] : [])), 0);
    lines.push(`| ${name} | ${prfCells(summarize(counts).point)} |`);
  }
  return lines.join('\n');
}

function main(argv: string[]): void {
  const at = argv.indexOf('--data');
  const dir = at === -1 ? join(projectRoot(), '..', 'shared', 'data') : (argv[at + 1] as string);
  const sections: string[] = [];
  if (existsSync(join(dir, 'nab'))) sections.push(nab(join(dir, 'nab')));
  if (existsSync(join(dir, 'netman-kpi'))) sections.push(kpis(join(dir, 'netman-kpi')));
  if (existsSync(join(dir, 'metis', 'metis_train_windows.csv'))) sections.push(metis(join(dir, 'metis', 'metis_train_windows.csv')));
  if (sections.length === 0) {
    process.stderr.write(`eval: nothing to evaluate in ${dir} (expected nab/, netman-kpi/ or metis/metis_train_windows.csv)\n`);
    process.exit(2);
  }
  process.stdout.write(`${sections.join('\n\n')}\n\n${new Date().toISOString()}, data: ${dir}\n`);
}

main(process.argv.slice(2));
