import {
  BACKGROUND_ERROR_SOURCES,
  ErrorThrottle,
  StatehouseError,
  type BackgroundErrorSource,
  type ErrorThrottleOptions,
} from '@statehouse/core';
import { JsonLogger } from './json-logger';

/**
 * The server's `onError`, for the engine's background errors and the server's own Redis
 * connection's: each is counted (statehouse_background_errors_total{source}, every one), and
 * logged as a JSON line at level error with its `source`, at most one line per source every 30 s
 * (a Redis outage fails every reconnect attempt), with how many were `suppressed` since the
 * previous line of that source.
 */
export class BackgroundErrors {
  private readonly counts = new Map<BackgroundErrorSource, number>(
    BACKGROUND_ERROR_SOURCES.map((source) => [source, 0]),
  );
  private readonly throttle: ErrorThrottle;
  /** A connection both the engine and the server watch emits each error to both: counted once. */
  private readonly seen = new WeakSet<Error>();

  constructor(logger: JsonLogger, options: ErrorThrottleOptions = {}) {
    this.throttle = new ErrorThrottle(
      (error, source, suppressed) =>
        logger.entry('error', error.message, {
          context: 'Statehouse',
          source,
          ...(error instanceof StatehouseError ? { code: error.code } : {}),
          suppressed,
        }),
      options,
    );
  }

  readonly report = (error: Error, source: BackgroundErrorSource): void => {
    if (this.seen.has(error)) return;
    this.seen.add(error);
    this.counts.set(source, (this.counts.get(source) ?? 0) + 1);
    this.throttle.report(error, source);
  };

  /** Errors reported so far, by source (every source, 0 included). */
  get totals(): ReadonlyMap<BackgroundErrorSource, number> {
    return this.counts;
  }
}
