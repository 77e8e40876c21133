import type { Redis, Cluster } from 'ioredis';
import {
  asError,
  type BackgroundErrorHandler,
  type BackgroundErrorSource,
} from './background-errors';

/**
 * One client's way to its `onError`: every background error goes through `report`, and every
 * connection the client uses is watched (its 'error' events are reported as `redis-connection`).
 */
export class BackgroundErrorReporter {
  /** BullMQ re-emits the 'error' events of the connections it was given: one report each. */
  private readonly reported = new WeakSet<Error>();
  /** Connections given by the caller: their listeners are removed at close. */
  private readonly borrowed = new Map<Redis | Cluster, (error: Error) => void>();
  private closed = false;

  constructor(private readonly handler: BackgroundErrorHandler) {}

  readonly report = (error: unknown, source: BackgroundErrorSource): void => {
    // After close() the connections are dropped on purpose: what they emit then means nothing.
    if (this.closed) return;
    const reported = asError(error);
    if (this.reported.has(reported)) return;
    this.reported.add(reported);
    try {
      this.handler(reported, source);
    } catch (failure) {
      process.stderr.write(
        `[statehouse] onError threw (${asError(failure).message}) while reporting ${source}: ` +
          `${reported.message}\n`,
      );
    }
  };

  /** Reports the connection's errors; `owned: false` for one the caller gave (left as found). */
  watch(connection: Redis | Cluster, owned = true): void {
    const listener = (error: Error): void => this.report(error, 'redis-connection');
    connection.on('error', listener);
    if (!owned) this.borrowed.set(connection, listener);
  }

  /** Stops reporting. */
  close(): void {
    this.closed = true;
    for (const [connection, listener] of this.borrowed) connection.off('error', listener);
    this.borrowed.clear();
  }
}
