// Least-squares polynomial fit, by QR (Householder) on the powers of x scaled to [0, 1], so a degree-4
// fit over hundreds of points stays well conditioned.

/**
 * Coefficients c_0..c_degree of the fit of ys at xs (in the scaled variable x / xScale); with
 * `weights`, the weighted fit (each squared residual times its weight).
 */
export function polynomialFit(xs: ArrayLike<number>, ys: ArrayLike<number>, degree: number, xScale: number, weights?: ArrayLike<number>): Float64Array {
  const n = xs.length;
  const m = degree + 1;
  // Column-major design matrix, rows scaled by √weight.
  const a = new Float64Array(n * m);
  const b = Float64Array.from(ys);
  for (let i = 0; i < n; i++) {
    const x = (xs[i] as number) / xScale;
    const root = weights === undefined ? 1 : Math.sqrt(weights[i] as number);
    b[i] = (b[i] as number) * root;
    let p = root;
    for (let j = 0; j < m; j++) {
      a[j * n + i] = p;
      p *= x;
    }
  }
  for (let j = 0; j < m; j++) {
    let norm = 0;
    for (let i = j; i < n; i++) norm += (a[j * n + i] as number) ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const alpha = (a[j * n + j] as number) > 0 ? -norm : norm;
    const v0 = (a[j * n + j] as number) - alpha;
    a[j * n + j] = alpha;
    // v = (v0, a[j+1..n-1, j]); apply H = I − 2vvᵀ/(vᵀv) to the remaining columns and to b.
    let vv = v0 * v0;
    for (let i = j + 1; i < n; i++) vv += (a[j * n + i] as number) ** 2;
    if (vv === 0) continue;
    const apply = (column: Float64Array, offset: number): void => {
      let dot = v0 * (column[offset + j] as number);
      for (let i = j + 1; i < n; i++) dot += (a[j * n + i] as number) * (column[offset + i] as number);
      const f = (2 * dot) / vv;
      column[offset + j] = (column[offset + j] as number) - f * v0;
      for (let i = j + 1; i < n; i++) column[offset + i] = (column[offset + i] as number) - f * (a[j * n + i] as number);
    };
    for (let k = j + 1; k < m; k++) apply(a, k * n);
    apply(b, 0);
  }
  // Back substitution on R (upper m×m).
  const c = new Float64Array(m);
  for (let j = m - 1; j >= 0; j--) {
    let s = b[j] as number;
    for (let k = j + 1; k < m; k++) s -= (a[k * n + j] as number) * (c[k] as number);
    const r = a[j * n + j] as number;
    c[j] = r === 0 ? 0 : s / r;
  }
  return c;
}

/** The fitted polynomial at x. */
export function polynomialAt(coefficients: ArrayLike<number>, x: number, xScale: number): number {
  const t = x / xScale;
  let y = 0;
  for (let j = coefficients.length - 1; j >= 0; j--) y = y * t + (coefficients[j] as number);
  return y;
}
