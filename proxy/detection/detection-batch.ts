// A shard's batch of detection points as a queue job carries it: the rule names and series keys once
// each (a batch holds many points of few curves), and the points as a flat list of numbers — [rule
// index, series index, time, value] after one another — which is much smaller and cheaper to encode
// than one array of strings per point.
import type { DetectionPoint } from './point-reader.js';

export interface DetectionBatch {
  readonly rules: string[];
  readonly series: string[];
  readonly points: number[];
}

export function encodeBatch(points: readonly DetectionPoint[]): DetectionBatch {
  const rules: string[] = [];
  const series: string[] = [];
  const ruleIndex = new Map<string, number>();
  const seriesIndex = new Map<string, number>();
  const flat = new Array<number>(points.length * 4);
  let at = 0;
  for (const [rule, key, time, value] of points) {
    let r = ruleIndex.get(rule);
    if (r === undefined) {
      r = rules.push(rule) - 1;
      ruleIndex.set(rule, r);
    }
    let s = seriesIndex.get(key);
    if (s === undefined) {
      s = series.push(key) - 1;
      seriesIndex.set(key, s);
    }
    flat[at++] = r;
    flat[at++] = s;
    flat[at++] = time;
    flat[at++] = value;
  }
  return { rules, series, points: flat };
}
