// Precision, recall and F1 of flagged rows against labelled windows, three ways:
//   point-wise: every row is a sample (in a window = positive);
//   event-wise: a window is found when any of its rows is flagged; a false event is a run of
//     consecutive flagged rows outside every window;
//   point-adjusted (reported only beside the others, it inflates scores): a found window counts all
//     its rows as found.
// Rows before `from` (calibration, NAB's probation) are not counted.

export interface Prf {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

const prf = (tp: number, fp: number, fn: number): Prf => {
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  return { precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
};

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
  eventTp: number;
  eventFp: number;
  eventFn: number;
  adjustedTp: number;
  adjustedFn: number;
}

export function emptyCounts(): Counts {
  return { tp: 0, fp: 0, fn: 0, eventTp: 0, eventFp: 0, eventFn: 0, adjustedTp: 0, adjustedFn: 0 };
}

/** Adds one curve's flags (rows from `from` on) to `counts`. */
export function count(counts: Counts, flagged: readonly boolean[], windows: readonly (readonly [number, number])[], from: number): void {
  const inWindow = new Int32Array(flagged.length).fill(-1);
  windows.forEach(([start, end], w) => {
    for (let i = Math.max(start, from); i <= end && i < flagged.length; i++) inWindow[i] = w;
  });
  const found = new Set<number>();
  let outsideRun = false;
  for (let i = from; i < flagged.length; i++) {
    const w = inWindow[i] as number;
    if (flagged[i]) {
      if (w >= 0) {
        counts.tp++;
        found.add(w);
        outsideRun = false;
      } else {
        counts.fp++;
        if (!outsideRun) counts.eventFp++;
        outsideRun = true;
      }
    } else {
      if (w >= 0) counts.fn++;
      outsideRun = false;
    }
  }
  windows.forEach(([start, end], w) => {
    const rows = Math.max(0, Math.min(end, flagged.length - 1) - Math.max(start, from) + 1);
    if (rows === 0) return;
    if (found.has(w)) {
      counts.eventTp++;
      counts.adjustedTp += rows;
    } else {
      counts.eventFn++;
      counts.adjustedFn += rows;
    }
  });
}

export function summarize(counts: Counts): { point: Prf; event: Prf; adjusted: Prf } {
  return {
    point: prf(counts.tp, counts.fp, counts.fn),
    event: prf(counts.eventTp, counts.eventFp, counts.eventFn),
    adjusted: prf(counts.adjustedTp, counts.fp, counts.adjustedFn),
  };
}
