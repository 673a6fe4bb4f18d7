// Onsets only: a point counts as an anomaly only when its score is higher than every score of the
// `window` points before it. A level shift or a burst then raises one anomaly where it starts, not one
// per point while it lasts. The running maximum of the last scores is a monotonic deque (the indices and
// scores that can still become the maximum), short in practice and never longer than the window.

export interface OnsetState {
  /** Points seen. */
  seen: number;
  /** Deque of [index, score] pairs, scores decreasing from the front. */
  deque: number[];
}

export function onsetInit(): OnsetState {
  return { seen: 0, deque: [] };
}

/** Adds `score`; returns the highest score of the `window` points before it (0 when none). */
export function onsetStep(state: OnsetState, score: number, window: number): number {
  const deque = state.deque;
  let head = 0;
  while (head < deque.length && (deque[head] as number) < state.seen - window) head += 2;
  if (head > 0) deque.splice(0, head);
  const previous = deque.length > 0 ? (deque[1] as number) : 0;
  while (deque.length > 0 && (deque[deque.length - 1] as number) <= score) deque.length -= 2;
  deque.push(state.seen, score);
  state.seen++;
  return previous;
}
