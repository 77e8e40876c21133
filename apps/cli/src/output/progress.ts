import type { Output } from './output';
import { CLEAR_TO_END } from './style';
import { count } from './table';

/** Redraws at most this often (a redraw per record would cost more than the record). */
const REDRAW_MS = 100;
const BAR_WIDTH = 30;

/**
 * A progress line on stderr for dump and restore, drawn only when stderr is a terminal (a log
 * file or a pipe gets nothing): a bar when the total is known (bytes of the file restored), else
 * the count so far, with the rate.
 */
export class ProgressBar {
  private readonly enabled: boolean;
  private readonly started = Date.now();
  private lastDraw = 0;

  constructor(
    private readonly out: Output,
    private readonly label: string,
    private readonly totalBytes?: number,
  ) {
    this.enabled = out.stderrIsTTY;
  }

  update(records: number, bytes: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.out.stderrWrite(`\r${this.line(records, bytes, now)}${CLEAR_TO_END}`);
  }

  /** The final figures, left on their line (the summary follows below). */
  finish(records: number, bytes: number): void {
    if (this.enabled) {
      this.out.stderrWrite(`\r${this.line(records, bytes, Date.now())}${CLEAR_TO_END}\n`);
    }
    this.lastDraw = 0;
  }

  /** Clears the line (a failure's message follows). */
  abandon(): void {
    if (this.enabled && this.lastDraw > 0) this.out.stderrWrite(`\r${CLEAR_TO_END}`);
    this.lastDraw = 0;
  }

  private line(records: number, bytes: number, now: number): string {
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const rate = `${count(Math.round(records / seconds))} records/s`;
    const done = `${count(records)} records, ${megabytes(bytes)}`;
    if (!this.totalBytes) return `${this.label} ${done}  ${rate}`;
    const fraction = Math.min(bytes / this.totalBytes, 1);
    const filled = Math.round(fraction * BAR_WIDTH);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
    return `${this.label} ${bar} ${Math.floor(fraction * 100)}%  ${done}  ${rate}`;
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
