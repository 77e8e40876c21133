import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis, Cluster } from 'ioredis';
import { TIMEOUT_QUEUE_NAME, type TimeoutJobData } from './timeout.queue';

/** What the worker asks of the engine for one job: time it out, or say how long until it is due. */
export type TimeoutHandler = (txId: string) => Promise<{ retryInMs?: number }>;

export interface TimeoutWorkerOptions {
  readonly concurrency: number;
}

/**
 * Runs the timeout jobs of every open transaction in every namespace. Each process that uses the
 * library runs one, so a fleet of backends needs nothing else; the abort it applies is atomic and
 * idempotent, so any number of workers can race on one job's transaction.
 */
export class TimeoutWorker {
  private readonly worker: Worker<TimeoutJobData>;

  constructor(
    connection: Redis | Cluster,
    prefix: string,
    handler: TimeoutHandler,
    options: TimeoutWorkerOptions,
  ) {
    this.worker = new Worker<TimeoutJobData>(
      TIMEOUT_QUEUE_NAME,
      async (job: Job<TimeoutJobData>, token?: string) => {
        const { retryInMs } = await handler(job.data.txId);
        if (retryInMs !== undefined) {
          // The job fired before the transaction's deadline (clocks differ): come back when due.
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

  async close(): Promise<void> {
    await this.worker.close();
  }
}
