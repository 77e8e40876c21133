import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis, Cluster } from 'ioredis';
import { TimeoutSweepError } from '@statehouse/contract';
import { isConnectionError, type BackgroundErrorHandler } from '../reporting/background-errors';
import {
  COMPACT_JOB_NAME,
  TIMEOUT_QUEUE_NAME,
  type CompactJobData,
  type SweepJobData,
} from './timeout.queue';

/** Runs one sweep; `retryInMs` when the job came before its due time on the Redis clock. */
export type SweepHandler = (data: SweepJobData) => Promise<{ retryInMs?: number }>;

/** Runs a namespace's scheduled compaction (retention). */
export type CompactHandler = (data: CompactJobData) => Promise<void>;

export interface TimeoutWorkerOptions {
  readonly concurrency: number;
  /** Runs the compaction jobs that share the queue. */
  readonly compact: CompactHandler;
  /** Where a failed sweep and the worker's own errors are reported. */
  readonly onError: BackgroundErrorHandler;
}

/**
 * Runs the timeout sweeps of every namespace. Each process that uses the library runs one, so a
 * fleet of backends needs nothing else; the abort a sweep applies is atomic and idempotent, so
 * any number of workers can race on one transaction.
 */
export class TimeoutWorker {
  private readonly worker: Worker<SweepJobData | CompactJobData>;
  /** The sweeps running now (close waits for them, within its grace period). */
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    connection: Redis | Cluster,
    prefix: string,
    handler: SweepHandler,
    options: TimeoutWorkerOptions,
  ) {
    this.worker = new Worker<SweepJobData | CompactJobData>(
      TIMEOUT_QUEUE_NAME,
      (job: Job<SweepJobData | CompactJobData>, token?: string) => {
        const sweep =
          job.name === COMPACT_JOB_NAME
            ? this.compact(job as Job<CompactJobData>, options)
            : this.sweep(job as Job<SweepJobData>, token, handler, options);
        this.running.add(sweep);
        void sweep.finally(() => this.running.delete(sweep)).catch(() => undefined);
        return sweep;
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

  private async sweep(
    job: Job<SweepJobData>,
    token: string | undefined,
    handler: SweepHandler,
    options: TimeoutWorkerOptions,
  ): Promise<void> {
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
  }

  /** A compaction job: its failure is reported; the next scheduled run continues the work. */
  private async compact(job: Job<CompactJobData>, options: TimeoutWorkerOptions): Promise<void> {
    try {
      await options.compact(job.data);
    } catch (error) {
      options.onError(error instanceof Error ? error : new Error(String(error)), 'compaction');
      throw error;
    }
  }

  async waitUntilReady(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  /**
   * Waits for the running sweeps at most `graceMs` (a sweep stuck on an unreachable Redis would
   * hold a graceful close for ever), then closes without waiting: BullMQ's graceful close cannot
   * be turned into a forced one once begun (it keeps its first promise, and its lock renewal timer
   * keeps the process alive). A sweep cut short is run again by another worker: sweeps are
   * idempotent. Resolves true when every sweep finished in time.
   */
  async close(graceMs: number): Promise<boolean> {
    const finished = await Promise.race([
      Promise.allSettled([...this.running]).then(() => true),
      new Promise<false>((done) => setTimeout(done, graceMs, false).unref()),
    ]);
    await this.worker.close(true);
    return finished;
  }
}
