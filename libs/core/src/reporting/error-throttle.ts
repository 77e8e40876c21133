import type { BackgroundErrorHandler, BackgroundErrorSource } from './background-errors';

/** The default handlers write at most one line per source in this long. */
export const THROTTLE_INTERVAL_MS = 30_000;

export interface ErrorThrottleOptions {
  /** At most one line per source in this long. Default 30 s. */
  readonly intervalMs?: number;
  /** The clock (ms), for tests. Default Date.now. */
  readonly now?: () => number;
}

/**
 * Passes on the first error of a source, then none of that source for `intervalMs`: a Redis
 * outage fails every reconnect attempt of every connection, and a failing sweep is retried with
 * backoff. The next error passed on carries how many were held back since the previous one, so
 * nothing goes unnoticed and a log is not flooded.
 */
export class ErrorThrottle {
  private readonly last = new Map<BackgroundErrorSource, { at: number; suppressed: number }>();
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly emit: (
      error: Error,
      source: BackgroundErrorSource,
      suppressed: number,
    ) => void,
    options: ErrorThrottleOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? THROTTLE_INTERVAL_MS;
    this.now = options.now ?? Date.now;
  }

  readonly report: BackgroundErrorHandler = (error, source) => {
    const now = this.now();
    const last = this.last.get(source);
    if (last && now - last.at < this.intervalMs) {
      last.suppressed++;
      return;
    }
    this.last.set(source, { at: now, suppressed: 0 });
    this.emit(error, source, last?.suppressed ?? 0);
  };
}

/** The text of a throttled line: `<source>: <message>`, and what was held back before it. */
export function describeBackgroundError(
  error: Error,
  source: BackgroundErrorSource,
  suppressed: number,
): string {
  const held = suppressed > 0 ? ` (${suppressed} more suppressed since the previous line)` : '';
  return `${source}: ${error.message}${held}`;
}

/**
 * The default `onError` of `Statehouse.connect`: one line `[statehouse] <source>: <message>` on
 * stderr, at most one per source every 30 s.
 */
export function stderrErrorHandler(
  write: (line: string) => void = (line) => void process.stderr.write(line),
  options: ErrorThrottleOptions = {},
): BackgroundErrorHandler {
  return new ErrorThrottle(
    (error, source, suppressed) =>
      write(`[statehouse] ${describeBackgroundError(error, source, suppressed)}\n`),
    options,
  ).report;
}
