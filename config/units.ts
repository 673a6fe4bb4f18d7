// Sizes and durations in config files: a plain number (bytes, milliseconds) or a string with a unit
// ("25MB", "64MiB", "500ms", "10s"). Parsed once at load time, never on the hot path.

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

export const SIZE_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?\s*$/i;
export const DURATION_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i;

/** Bytes from a number or a string such as "25MB" / "64MiB"; NaN when the string has no valid form. */
export function parseSize(value: number | string): number {
  if (typeof value === 'number') return value;
  const match = SIZE_PATTERN.exec(value);
  if (!match) return Number.NaN;
  const unit = SIZE_UNITS[(match[2] ?? 'b').toLowerCase()] ?? Number.NaN;
  return Math.round(Number(match[1]) * unit);
}

/** Milliseconds from a number or a string such as "500ms" / "10s"; NaN when the string has no valid form. */
export function parseDuration(value: number | string): number {
  if (typeof value === 'number') return value;
  const match = DURATION_PATTERN.exec(value);
  if (!match) return Number.NaN;
  const unit = DURATION_UNITS[(match[2] ?? 'ms').toLowerCase()] ?? Number.NaN;
  return Math.round(Number(match[1]) * unit);
}
