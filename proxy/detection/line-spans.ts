// The lines of a write that detection wants, as triplets (start, end, series key end) in an
// Int32Array that grows by doubling and is given back to its pool once the lines are routed. As a JS
// array, a write of thousands of lines made tens of thousands of numbers, grown step by step: some
// hundred KB of garbage per write, on the write path.

export class LineSpans {
  spans = new Int32Array(3 * 1024);
  /** Numbers in `spans` (three per line). */
  length = 0;

  push(start: number, end: number, seriesEnd: number): void {
    let n = this.length;
    if (n + 3 > this.spans.length) {
      const larger = new Int32Array(this.spans.length * 2);
      larger.set(this.spans);
      this.spans = larger;
    }
    const spans = this.spans;
    spans[n++] = start;
    spans[n++] = end;
    spans[n++] = seriesEnd;
    this.length = n;
  }
}

/** Spans given back for the next writes (at most `max` kept, each of at most `maxNumbers`). */
export class LineSpansPool {
  readonly #spare: LineSpans[] = [];
  readonly #max: number;
  readonly #maxNumbers: number;

  constructor(max = 16, maxNumbers = 3 * 65_536) {
    this.#max = max;
    this.#maxNumbers = maxNumbers;
  }

  take(): LineSpans {
    return this.#spare.pop() ?? new LineSpans();
  }

  giveBack(spans: LineSpans): void {
    spans.length = 0;
    if (this.#spare.length < this.#max && spans.spans.length <= this.#maxNumbers) this.#spare.push(spans);
  }
}
