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
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const rate = `${count(Math.round(records / seconds))} records/s`;
    const done = `${count(records)} records, ${megabytes(bytes)}`;
    let line = `${this.label} ${done}  ${rate}`;
    if (this.totalBytes) {
      const fraction = Math.min(bytes / this.totalBytes, 1);
      const filled = Math.round(fraction * BAR_WIDTH);
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
      line = `${this.label} ${bar} ${Math.floor(fraction * 100)}%  ${done}  ${rate}`;
    }
    this.out.stderrWrite(`\r${line}${CLEAR_TO_END}`);
  }

  /** Clears the line (the summary follows). */
  done(): void {
    if (this.enabled && this.lastDraw > 0) this.out.stderrWrite(`\r${CLEAR_TO_END}`);
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
