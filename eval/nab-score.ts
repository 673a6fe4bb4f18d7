// The NAB score (Numenta Anomaly Benchmark, as its sweeper computes it): per file the first 15% of the
// rows (at most 750) are not scored; inside a labelled window only the earliest detection counts,
// weighted by the scaled sigmoid of its relative position (2·sigmoid(−5·pos) − 1: ~0.987 at the window's
// start, 0 at its end); a detection outside the windows costs fpWeight times the sigmoid of its
// distance past the previous window (−1 when none precedes); a window without a detection costs
// fnWeight. The threshold on the anomaly scores is swept over the whole corpus and the best taken, per
// profile; the score is normalised so that detecting nothing scores 0 and detecting every window at its
// start scores 100.

export interface CostMatrix {
  readonly tpWeight: number;
  readonly fnWeight: number;
  readonly fpWeight: number;
}

export interface ScoredFile {
  /** Anomaly score per row (higher = more anomalous). */
  readonly scores: readonly number[];
  /** Labelled windows as [first row, last row] (inclusive). */
  readonly windows: readonly (readonly [number, number])[];
}

export const scaledSigmoid = (x: number): number => 2 / (1 + Math.exp(5 * x)) - 1;

export function probationLength(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 750);
}

/** Per row: the window it is in (or −1), and its unweighted score (NAB's position weighting). */
function weights(rows: number, windows: readonly (readonly [number, number])[]): { window: Int32Array; weight: Float64Array } {
  const window = new Int32Array(rows).fill(-1);
  const weight = new Float64Array(rows);
  let prevEnd = -1;
  let prevWidth = 0;
  let w = 0;
  for (let i = 0; i < rows; i++) {
    const current = windows[w];
    if (current !== undefined && i >= current[0] && i <= current[1]) {
      const width = current[1] - current[0] + 1;
      window[i] = w;
      weight[i] = scaledSigmoid(-(current[1] - i + 1) / width);
      if (i === current[1]) {
        prevEnd = current[1];
        prevWidth = width;
        w++;
      }
    } else {
      weight[i] = prevEnd < 0 ? -1 : scaledSigmoid(Math.abs(prevEnd - i) / Math.max(1, prevWidth - 1));
    }
  }
  return { window, weight };
}

export interface Sweep {
  readonly threshold: number;
  /** Normalised score: 0 = detecting nothing, 100 = every window found at its start. */
  readonly score: number;
  readonly raw: number;
}

interface Item {
  readonly score: number;
  readonly file: number;
  readonly row: number;
}

/** What a sweep needs of a corpus whatever the profile: scored rows sorted by score, per-row weights. */
export interface PreparedCorpus {
  readonly items: readonly Item[];
  readonly weights: readonly { window: Int32Array; weight: Float64Array }[];
  readonly windowCounts: readonly number[];
}

export function prepareCorpus(files: readonly ScoredFile[]): PreparedCorpus {
  const items: Item[] = [];
  files.forEach((file, f) => {
    for (let row = probationLength(file.scores.length); row < file.scores.length; row++) {
      const score = file.scores[row] as number;
      if (Number.isNaN(score)) throw new Error(`file ${f}, row ${row}: the anomaly score is NaN`);
      items.push({ score, file: f, row });
    }
  });
  items.sort((a, b) => b.score - a.score);
  return { items, weights: files.map((file) => weights(file.scores.length, file.windows)), windowCounts: files.map((file) => file.windows.length) };
}

/** Sweeps the threshold over every score of the corpus; returns the best. */
export function nabSweep(files: readonly ScoredFile[] | PreparedCorpus, cost: CostMatrix): Sweep {
  const { items, weights: prepared, windowCounts } = 'items' in files ? files : prepareCorpus(files);
  const windowsTotal = windowCounts.reduce((sum, n) => sum + n, 0);
  const nullRaw = -cost.fnWeight * windowsTotal;
  const perfectRaw = cost.tpWeight * scaledSigmoid(-1) * windowsTotal;
  const found = windowCounts.map((n) => new Float64Array(n).fill(NaN));
  let tp = 0;
  let fp = 0;
  let missed = windowsTotal;
  let best: Sweep = { threshold: Infinity, score: 0, raw: nullRaw };
  for (let i = 0; i < items.length; ) {
    const threshold = (items[i] as Item).score;
    for (; i < items.length && (items[i] as Item).score === threshold; i++) {
      const { file, row } = items[i] as Item;
      const { window, weight } = prepared[file] as { window: Int32Array; weight: Float64Array };
      const w = window[row] as number;
      const contribution = weight[row] as number;
      if (w >= 0) {
        const seen = (found[file] as Float64Array)[w] as number;
        if (Number.isNaN(seen)) {
          missed--;
          tp += cost.tpWeight * contribution;
          (found[file] as Float64Array)[w] = contribution;
        } else if (contribution > seen) {
          tp += cost.tpWeight * (contribution - seen);
          (found[file] as Float64Array)[w] = contribution;
        }
      } else {
        fp += cost.fpWeight * contribution;
      }
    }
    const raw = tp + fp - cost.fnWeight * missed;
    if (raw > best.raw) best = { threshold, raw, score: (100 * (raw - nullRaw)) / (perfectRaw - nullRaw) };
  }
  return best;
}
