import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis, Cluster } from 'ioredis';
import { TimeoutSweepError } from '@statehouse/contract';
import { isConnectionError, type BackgroundErrorHandler } from '../reporting/background-errors';
import { TIMEOUT_QUEUE_NAME, type SweepJobData } from './timeout.queue';

/** Runs one sweep; `retryInMs` when the job came before its due time on the Redis clock. */
export type SweepHandler = (data: SweepJobData) => Promise<{ retryInMs?: number }>;

export interface TimeoutWorkerOptions {
  readonly concurrency: number;
  /** Where a failed sweep and the worker's own errors are reported. */
  readonly onError: BackgroundErrorHandler;
}

/**
 * Runs the timeout sweeps of every namespace. Each process that uses the library runs one, so a
 * fleet of backends needs nothing else; the abort a sweep applies is atomic and idempotent, so
 * any number of workers can race on one transaction.
 */
export class TimeoutWorker {
  private readonly worker: Worker<SweepJobData>;

  constructor(
    connection: Redis | Cluster,
    prefix: string,
    handler: SweepHandler,
    options: TimeoutWorkerOptions,
  ) {
    this.worker = new Worker<SweepJobData>(
      TIMEOUT_QUEUE_NAME,
      async (job: Job<SweepJobData>, token?: string) => {
        let retryInMs: number | undefined;
        try {
          ({ retryInMs } = await handler(job.data));
          if (retryInMs !== undefined) {
            // The job fired before its due time (the clocks of this host and Redis differ).
            await job.moveToDelayed(Date.now() + retryInMs, token);
          }
        } catch (error) {
          // BullMQ runs the job again (with backoff) and tells no one: report every failure.
          const attempts = job.opts.attempts ?? 1;
          options.onError(
            new TimeoutSweepError(job.data.namespace, job.attemptsMade + 1, attempts, error),
            'timeout-sweep',
          );
          throw error;
        }
        if (retryInMs !== undefined) throw new DelayedError();
      },
      {
        connection,
        prefix,
        concurrency: options.concurrency,
        removeOnComplete: { count: 0 },
        removeOnFail: { count: 0 },
      },
    );
    // BullMQ's own failures (fetching, locking, moving jobs) and its connections' errors; it
    // carries on by itself, so they are reported, not thrown.
    this.worker.on('error', (error) =>
      options.onError(error, isConnectionError(error) ? 'redis-connection' : 'timeout-worker'),
    );
  }

  async waitUntilReady(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  /** Waits for running sweeps, unless `force`. */
  async close(force = false): Promise<void> {
    await this.worker.close(force);
  }
}
