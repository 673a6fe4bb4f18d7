// Progress of a long command (an import, a job being followed) on stderr. On a terminal: one bar line
// redrawn in place. Otherwise (a pipe, a CI log): a plain line every few seconds, so logs stay
// readable. What the lines say is the command's (a ProgressView); this file only decides when and how
// to draw them.

/** What a command shows of its progress: the bar (fit to a width) and the plain line. */
export interface ProgressView {
  bar(columns: number): string;
  line(): string;
}

export type ProgressMode = 'bar' | 'lines' | 'none';

const BAR_FULL = '█';
const BAR_EMPTY = '░';

/**
 * A terminal progress line fit to `columns`: `[████░░░░] ` before `text` when the percentage is known
 * and there is room (`text` should start with the percentage), else `text` alone, cut to fit.
 */
export function barLine(percent: number | null, text: string, columns: number): string {
  const room = columns - text.length - 3;
  if (percent === null || room < 10) return text.slice(0, Math.max(0, columns - 1));
  const width = Math.min(30, room);
  const full = Math.round((percent / 100) * width);
  return `[${BAR_FULL.repeat(full)}${BAR_EMPTY.repeat(width - full)}] ${text}`;
}

/** The stream progress goes to (process.stderr, or a test's). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** `auto`: a bar on a terminal, lines otherwise. */
export function progressMode(choice: 'auto' | ProgressMode, stream: ProgressStream): ProgressMode {
  if (choice !== 'auto') return choice;
  return stream.isTTY === true ? 'bar' : 'lines';
}

export interface ProgressOptions {
  readonly stream: ProgressStream;
  readonly mode: ProgressMode;
  /** Time between plain lines (mode `lines`). */
  readonly lineIntervalMs: number;
  /** Time between redraws of the bar (mode `bar`). @defaultValue 200 */
  readonly barIntervalMs?: number;
}

/** Draws the view on a timer, until stop(). */
export class ProgressDisplay {
  private readonly options: ProgressOptions;
  private readonly view: ProgressView;
  private timer: NodeJS.Timeout | null = null;
  /** Whether a bar is on screen (so notes clear it first). */
  private barShown = false;

  constructor(options: ProgressOptions, view: ProgressView) {
    this.options = options;
    this.view = view;
  }

  start(): void {
    if (this.options.mode === 'none' || this.timer !== null) return;
    const interval = this.options.mode === 'bar' ? (this.options.barIntervalMs ?? 200) : this.options.lineIntervalMs;
    this.timer = setInterval(() => this.draw(), interval);
    this.timer.unref();
  }

  /** A message of its own line (a retry, a warning), shown above the bar. */
  note(message: string): void {
    if (this.barShown) this.options.stream.write('\r\x1b[K');
    this.options.stream.write(`${message}\n`);
    if (this.barShown) this.drawBar();
  }

  /** Stops the timer; on a terminal, draws the last state and ends the bar's line. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.options.mode === 'bar') {
      this.drawBar();
      this.options.stream.write('\n');
      this.barShown = false;
    }
  }

  private draw(): void {
    if (this.options.mode === 'bar') this.drawBar();
    else this.options.stream.write(`${this.view.line()}\n`);
  }

  private drawBar(): void {
    const columns = this.options.stream.columns || 80;
    this.options.stream.write(`\r${this.view.bar(columns)}\x1b[K`);
    this.barShown = true;
  }
}
