// EWMA control chart (Metis' second first-layer filter): s_i = α·x_i + (1 − α)·s_{i−1} from s_0 = x_0;
// the last s is out of control when it leaves mean(s) ± k·std(x)·√(α/(2 − α)).
import { meanStd, type SigmaJudgement } from './three-sigma.js';

export function ewmaChart(values: ArrayLike<number>, alpha = 0.3, k = 3): SigmaJudgement {
  const n = values.length;
  let s = values[0] as number;
  let sum = s;
  for (let i = 1; i < n; i++) {
    s = alpha * (values[i] as number) + (1 - alpha) * s;
    sum += s;
  }
  const mean = sum / n;
  const { std } = meanStd(values);
  const limit = std * Math.sqrt(alpha / (2 - alpha));
  const deviation = Math.abs(s - mean);
  const score = limit > 0 ? deviation / limit : deviation > 0 ? Infinity : 0;
  return { anomalous: deviation > k * limit, score };
}
