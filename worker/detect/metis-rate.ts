// Metis rate detection (success rates and the like): 3-sigma of the last point of today's window
// against yesterday's, last week's and today's points before it.
import { threeDays } from './metis-value.js';
import { threeSigma, type ThreeSigmaJudgement } from './three-sigma.js';

export function metisRate(c: ArrayLike<number>, b: ArrayLike<number>, a: ArrayLike<number>, sigmas = 3): ThreeSigmaJudgement {
  return threeSigma(threeDays(c, b, a), sigmas);
}
