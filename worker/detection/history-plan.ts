// Which past points an algorithm judges a curve's newest point against, as windows of buckets (one
// bucket per `interval`): today's last points, and windows centred or ending on the same time of day
// some days or periods back. Metis: today's 181 points, yesterday's and last week's 361. Seasonal ESD:
// the last `window` points, and the same points 1…periods periods back. The streaming algorithms (SPOT
// family, robust baseline) keep their own state and have no plan; a curve of theirs without state
// starts from its last points in the cluster (`recentPoints`: the calibration, or the window).
import type { Rule } from '../../config/rule-schema.js';
import { DEFAULT_METIS } from '../detect/metis-value.js';

/** A window `offset` buckets back: buckets [b − offset − before, b − offset + after] for a point in bucket b. */
export interface HistoryWindow {
  readonly offset: number;
  readonly before: number;
  readonly after: number;
}

export interface HistoryPlan {
  /** Bucket width in ms. */
  readonly interval: number;
  /** Today's window: the newest point's bucket and the `today − 1` before it. */
  readonly today: number;
  readonly windows: readonly HistoryWindow[];
}

const DAY_MS = 86_400_000;

export function historyPlan(rule: Rule): HistoryPlan | null {
  const algorithm = rule.algorithm;
  switch (algorithm.type) {
    case 'metis-value':
    case 'metis-rate': {
      const day = DAY_MS / algorithm.interval;
      const w = DEFAULT_METIS.window;
      return { interval: algorithm.interval, today: w + 1, windows: [{ offset: 7 * day, before: w, after: w }, { offset: day, before: w, after: w }] };
    }
    case 'seasonal-esd': {
      const windows = Array.from({ length: algorithm.periods }, (_, k) => ({ offset: (k + 1) * algorithm.period, before: algorithm.window - 1, after: 0 }));
      return { interval: algorithm.interval, today: algorithm.window, windows };
    }
    default:
      return null;
  }
}

/** How many of a curve's last points a streaming algorithm starts from (0: a history algorithm). */
export function recentPoints(rule: Rule): number {
  const algorithm = rule.algorithm;
  switch (algorithm.type) {
    case 'spot':
    case 'bispot':
    case 'dspot':
    case 'bidspot':
    case 'context':
      return algorithm.calibration;
    case 'robust':
      return algorithm.window;
    default:
      return 0;
  }
}
