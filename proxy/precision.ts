// Timestamp precisions. v1 writes use influxd's names (n, u, ms, s, m, h; anything else is
// nanoseconds, as influxd treats it); v2 writes use ns, us, ms, s. Everything is sent to nodes in
// the v1 form.

const V1_PRECISIONS = new Set(['u', 'ms', 's', 'm', 'h']);

/** influxd's reading of a v1 `precision` parameter. */
export function v1Precision(value: string | undefined): string {
  return value !== undefined && V1_PRECISIONS.has(value) ? value : 'n';
}

const V2_PRECISIONS: Record<string, string> = { ns: 'n', us: 'u', ms: 'ms', s: 's' };

/** The v1 precision for a v2 `precision` parameter, or null when it is not a v2 precision. */
export function v2Precision(value: string | undefined): string | null {
  if (value === undefined || value === '') return 'n';
  return V2_PRECISIONS[value] ?? null;
}

export const V2_PRECISION_NAMES = Object.keys(V2_PRECISIONS).join(', ');

const MS_PER_UNIT: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

/** `receivedAtMs` (ms since the epoch, with fractions) as an integer timestamp in `precision`. */
export function receiveTime(receivedAtMs: number, precision: string): string {
  const whole = Math.floor(receivedAtMs);
  const fraction = receivedAtMs - whole;
  switch (precision) {
    case 'ms':
      return String(whole);
    case 'u':
      return String(BigInt(whole) * 1000n + BigInt(Math.floor(fraction * 1000)));
    case 's':
    case 'm':
    case 'h':
      return String(Math.floor(whole / (MS_PER_UNIT[precision] as number)));
    default:
      return String(BigInt(whole) * 1_000_000n + BigInt(Math.floor(fraction * 1_000_000)));
  }
}

/** Now, in ms since the epoch with sub-millisecond fractions. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
