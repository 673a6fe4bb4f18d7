// Copying and comparing short byte ranges (lines, series keys) four bytes at a time through DataViews:
// for lines of some tens of bytes this is about 2.5× faster than a byte loop or Buffer#copy, whose
// call costs more than the copy itself.

/** A DataView over exactly a Buffer's bytes. */
export function viewOf(buffer: Buffer): DataView {
  return new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
}

/** Copies [start, end) of `from` (viewed by `fromView`) to `to` at `at`; returns the new end in `to`. */
export function copyRange(from: Buffer, fromView: DataView, start: number, end: number, to: Buffer, toView: DataView, at: number): number {
  let s = start;
  let a = at;
  for (; s + 4 <= end; s += 4, a += 4) toView.setInt32(a, fromView.getInt32(s));
  for (; s < end; s++) to[a++] = from[s] as number;
  return a;
}

/** Whether `key` (viewed by `keyView`) holds the bytes [start, end) of `body` (viewed by `bodyView`). */
export function sameRange(key: Buffer, keyView: DataView, body: Buffer, bodyView: DataView, start: number, end: number): boolean {
  const length = key.length;
  if (length !== end - start) return false;
  let i = 0;
  for (; i + 4 <= length; i += 4) if (keyView.getInt32(i) !== bodyView.getInt32(start + i)) return false;
  for (; i < length; i++) if (key[i] !== body[start + i]) return false;
  return true;
}
