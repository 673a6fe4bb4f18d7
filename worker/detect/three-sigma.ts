// 3-sigma: the last value against the mean and standard deviation (population) of the values before
// it. Metis' first-layer statistic filter, and its whole rate detection.

export interface SigmaJudgement {
  readonly anomalous: boolean;
  /** |x − mean| / std of the values before it (∞ when they are constant and x differs). */
  readonly score: number;
}

export interface ThreeSigmaJudgement extends SigmaJudgement {
  /** Mean and standard deviation of the values before the last. */
  readonly mean: number;
  readonly std: number;
}

/** Mean and population standard deviation of values[from, to). */
export function meanStd(values: ArrayLike<number>, from = 0, to = values.length): { mean: number; std: number } {
  const n = to - from;
  if (n <= 0) return { mean: NaN, std: NaN };
  let sum = 0;
  for (let i = from; i < to; i++) sum += values[i] as number;
  const mean = sum / n;
  let squares = 0;
  for (let i = from; i < to; i++) squares += ((values[i] as number) - mean) ** 2;
  return { mean, std: Math.sqrt(squares / n) };
}

/** Judges the last of `values` against the others; `k` standard deviations (3). */
export function threeSigma(values: ArrayLike<number>, k = 3): ThreeSigmaJudgement {
  const last = values[values.length - 1] as number;
  const { mean, std } = meanStd(values, 0, values.length - 1);
  const deviation = Math.abs(last - mean);
  const score = std > 0 ? deviation / std : deviation > 0 ? Infinity : 0;
  return { anomalous: deviation > k * std, score, mean, std };
}
