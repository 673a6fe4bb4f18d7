// Numbers for people: counts with thousands separators, byte sizes, durations and rates, the same in
// the progress display and the summaries. Locale-independent, so output is the same on every machine.

/** 1234567 → `1,234,567`. */
export function formatCount(n: number): string {
  const sign = n < 0 ? '-' : '';
  const digits = String(Math.trunc(Math.abs(n)));
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return sign + out;
}

const BYTE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

/** 1536 → `1.5 KiB`; below 1 KiB in bytes; one decimal below 100 of a unit, none above. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.max(0, Math.round(n))} B`;
  let value = n;
  let unit = 'B';
  for (const next of BYTE_UNITS) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  return `${value < 100 ? value.toFixed(1) : Math.round(value).toString()} ${unit}`;
}

/** A remaining time, coarse: `42s`, `3m05s`, `2h07m`. */
export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** An elapsed time, precise: `0.42 s`, `12.30 s`, `3m 05.2s`, `2h 07m 03s`. */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(2)} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${(s % 60).toFixed(1).padStart(4, '0')}s`;
  const whole = Math.floor(s);
  return `${Math.floor(whole / 3600)}h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m ${String(whole % 60).padStart(2, '0')}s`;
}

/** Per second over `ms`, rounded; 0 before any time has passed. */
export function perSecond(count: number, ms: number): number {
  return ms > 0 ? Math.round((count * 1000) / ms) : 0;
}
