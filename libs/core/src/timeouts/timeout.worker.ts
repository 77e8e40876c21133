import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis, Cluster } from 'ioredis';
import { TIMEOUT_QUEUE_NAME, type SweepJobData } from './timeout.queue';

/** Runs one sweep; `retryInMs` when the job came before its due time on the Redis clock. */
export type SweepHandler = (data: SweepJobData) => Promise<{ retryInMs?: number }>;

export interface TimeoutWorkerOptions {
  readonly concurrency: number;
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
        const { retryInMs } = await handler(job.data);
        if (retryInMs !== undefined) {
          // The job fired before its due time (the clocks of this host and Redis differ).
          await job.moveToDelayed(Date.now() + retryInMs, token);
          throw new DelayedError();
        }
      },
      {
        connection,
        prefix,
        concurrency: options.concurrency,
        removeOnComplete: { count: 0 },
        removeOnFail: { count: 0 },
      },
    );
    // Connection errors are retried by ioredis; an unhandled 'error' event would crash the process.
    this.worker.on('error', () => undefined);
  }

  async waitUntilReady(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  /** Waits for running sweeps, unless `force`. */
  async close(force = false): Promise<void> {
    await this.worker.close(force);
  }
}
