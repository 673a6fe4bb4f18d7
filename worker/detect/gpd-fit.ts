// Maximum-likelihood fit of a Generalised Pareto Distribution (γ, σ) to peaks (excesses over a
// threshold), as SPOT needs it (DESIGN.md, "SPOT"): Grimshaw's reduction to one variable x = γ/σ, with
// u(x) = mean(1/(1+xY)), v(x) = 1 + mean(ln(1+xY)) and w(x) = u(x)·v(x) − 1; every root of w gives a
// candidate γ = v(x) − 1, σ = γ/x. Roots lie in (−1/max(Y), 0) and (0, 2(mean(Y) − min(Y))/min(Y)²):
// each interval is scanned on a grid for sign changes and every bracket refined with Brent's method
// (a single root search over a whole interval misses roots). γ = 0 (σ = mean) and the method of
// moments are candidates too; the one with the highest log-likelihood wins. The peaks are divided by
// their mean first (σ is scaled back), which keeps the intervals well conditioned.

export interface GpdFit {
  readonly gamma: number;
  readonly sigma: number;
  /** Log-likelihood of the peaks under the fit. */
  readonly llhood: number;
}

/** Log-likelihood of `peaks` (first `count`) under GPD(γ, σ); −∞ outside the support. */
export function gpdLogLikelihood(peaks: ArrayLike<number>, count: number, gamma: number, sigma: number): number {
  if (!(sigma > 0)) return -Infinity;
  if (gamma === 0) {
    let sum = 0;
    for (let i = 0; i < count; i++) sum += peaks[i] as number;
    return -count * Math.log(sigma) - sum / sigma;
  }
  let sum = 0;
  const r = gamma / sigma;
  for (let i = 0; i < count; i++) {
    const z = 1 + r * (peaks[i] as number);
    if (z <= 0) return -Infinity;
    sum += Math.log(z);
  }
  return -count * Math.log(sigma) - (1 + 1 / gamma) * sum;
}

/** u(x)·v(x) − 1, and the v(x) it used. */
function w(y: Float64Array, x: number): { w: number; v: number } {
  let u = 0;
  let v = 0;
  for (let i = 0; i < y.length; i++) {
    const s = 1 + x * (y[i] as number);
    u += 1 / s;
    v += Math.log(s);
  }
  u /= y.length;
  v = 1 + v / y.length;
  return { w: u * v - 1, v };
}

/** Brent's root finder on [a, b] where f(a), f(b) have opposite signs. */
function brent(f: (x: number) => number, a0: number, b0: number, fa0: number, fb0: number): number {
  let a = a0;
  let b = b0;
  let fa = fa0;
  let fb = fb0;
  let c = a;
  let fc = fa;
  let d = b - a;
  let e = d;
  for (let iteration = 0; iteration < 200; iteration++) {
    if ((fb > 0 && fc > 0) || (fb < 0 && fc < 0)) {
      c = a;
      fc = fa;
      d = b - a;
      e = d;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const tolerance = 2 * Number.EPSILON * Math.abs(b) + 1e-300;
    const m = 0.5 * (c - b);
    if (Math.abs(m) <= tolerance || fb === 0) return b;
    if (Math.abs(e) >= tolerance && Math.abs(fa) > Math.abs(fb)) {
      const s = fb / fa;
      let p: number;
      let q: number;
      if (a === c) {
        p = 2 * m * s;
        q = 1 - s;
      } else {
        const qa = fa / fc;
        const r = fb / fc;
        p = s * (2 * m * qa * (qa - r) - (b - a) * (r - 1));
        q = (qa - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      if (2 * p < Math.min(3 * m * q - Math.abs(tolerance * q), Math.abs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = m;
        e = d;
      }
    } else {
      d = m;
      e = d;
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > tolerance ? d : m > 0 ? tolerance : -tolerance;
    fb = f(b);
  }
  return b;
}

/** Points of the even grid over each interval searched for sign changes of w. */
const GRID = 20;
/** How far inside its ends each interval starts (x is γ/σ of peaks scaled to mean 1). */
const EPSILON = 1e-8;
/** Extra points per decade, spaced geometrically from EPSILON·10 up the right interval. */
const PER_DECADE = 4;

/**
 * Roots of w in [lo, hi]: an even grid of GRID cells; on the right interval (lo > 0), which can span
 * many decades when a peak is tiny, also a geometric grid, so a root near 0 (a heavy tail) is not
 * lost in the first cell. A finer grid on the left interval would find, near −1/max(y), roots of
 * higher likelihood that belong to degenerate fits (γ → −1, where the likelihood is unbounded); with
 * this grid the fits agree with the reference vectors (spot_corrected_vectors.json).
 */
function rootsIn(y: Float64Array, lo: number, hi: number): number[] {
  if (!(hi > lo)) return [];
  const points: number[] = [];
  for (let i = 0; i <= GRID; i++) points.push(lo + ((hi - lo) * i) / GRID);
  if (lo > 0) {
    const start = EPSILON * 10;
    const steps = Math.max(24, Math.ceil(PER_DECADE * Math.log10(hi / start)));
    for (let i = 0; i <= steps; i++) points.push(start * Math.pow(hi / start, i / steps));
    points.sort((a, b) => a - b);
  }
  const roots: number[] = [];
  const f = (x: number): number => w(y, x).w;
  let prev = points[0] as number;
  let fPrev = f(prev);
  for (let i = 1; i < points.length; i++) {
    const x = points[i] as number;
    const fx = f(x);
    if (fPrev === 0) roots.push(prev);
    else if (fPrev * fx < 0 && Number.isFinite(fPrev) && Number.isFinite(fx)) roots.push(brent(f, prev, x, fPrev, fx));
    prev = x;
    fPrev = fx;
  }
  return roots;
}

/** The fit of the first `count` values of `peaks` (all positive). */
export function fitGpd(peaks: ArrayLike<number>, count = peaks.length): GpdFit {
  if (count === 0) return { gamma: 0, sigma: 0, llhood: -Infinity };
  let mean = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < count; i++) {
    const p = peaks[i] as number;
    mean += p;
    if (p < min) min = p;
    if (p > max) max = p;
  }
  mean /= count;
  if (!(mean > 0)) return { gamma: 0, sigma: 0, llhood: -Infinity };
  const y = new Float64Array(count);
  let variance = 0;
  for (let i = 0; i < count; i++) {
    const v = (peaks[i] as number) / mean;
    y[i] = v;
    variance += (v - 1) * (v - 1);
  }
  variance /= count;
  const yMax = max / mean;
  const yMin = min / mean;

  // Candidates in the scaled space (mean of y = 1): γ = 0, the method of moments, Grimshaw's roots.
  const candidates: { gamma: number; sigma: number }[] = [{ gamma: 0, sigma: 1 }];
  if (variance > 0) candidates.push({ gamma: 0.5 * (1 - 1 / variance), sigma: 0.5 * (1 + 1 / variance) });
  const roots = [...rootsIn(y, -1 / yMax + EPSILON, -EPSILON), ...rootsIn(y, EPSILON, (2 * (1 - yMin)) / (yMin * yMin))];
  for (const x of roots) {
    const gamma = w(y, x).v - 1;
    if (gamma !== 0 && x !== 0) candidates.push({ gamma, sigma: gamma / x });
  }
  let best = { gamma: 0, sigma: 1, llhood: -Infinity };
  for (const candidate of candidates) {
    const llhood = gpdLogLikelihood(y, count, candidate.gamma, candidate.sigma);
    if (llhood > best.llhood) best = { ...candidate, llhood };
  }
  // Back to the peaks' scale: σ·mean, and the likelihood's −N·ln(mean).
  return { gamma: best.gamma, sigma: best.sigma * mean, llhood: best.llhood - count * Math.log(mean) };
}
