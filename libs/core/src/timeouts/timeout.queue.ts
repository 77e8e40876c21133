import { Queue } from 'bullmq';
import type { Redis, Cluster } from 'ioredis';

/** The BullMQ queue of transaction timeouts: one delayed job per open transaction, id = txId. */
export const TIMEOUT_QUEUE_NAME = 'timeouts';
export const TIMEOUT_JOB_NAME = 'timeout';

/** How long beginTransaction waits for BullMQ to accept a timeout job. */
const SCHEDULE_TIMEOUT_MS = 3000;

export interface TimeoutJobData {
  readonly txId: string;
}

/**
 * Schedules and cancels timeout jobs. Finished jobs are removed at once and the queue's event
 * stream is capped, so BullMQ's memory stays bounded by the number of open transactions.
 */
export class TimeoutQueue {
  private readonly queue: Queue<TimeoutJobData>;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    connection: Redis | Cluster,
    readonly prefix: string,
  ) {
    this.queue = new Queue<TimeoutJobData>(TIMEOUT_QUEUE_NAME, {
      connection,
      prefix,
      streams: { events: { maxLen: 1000 } },
      defaultJobOptions: {
        removeOnComplete: true,
        removeOnFail: true,
        attempts: 20,
        backoff: { type: 'exponential', delay: 100 },
      },
    });
    // Errors surface through the calls below; an unhandled 'error' event would crash the process.
    this.queue.on('error', () => undefined);
  }

  /** Adds the job; fails after `SCHEDULE_TIMEOUT_MS` rather than waiting for Redis to come back. */
  async schedule(txId: string, delayMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, fail) => {
      timer = setTimeout(
        () => fail(new Error(`the timeout job was not accepted within ${SCHEDULE_TIMEOUT_MS} ms`)),
        SCHEDULE_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([this.queue.add(TIMEOUT_JOB_NAME, { txId }, { jobId: txId, delay: delayMs }), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Removes a transaction's job after it finished. In the background: not on the caller's path. */
  cancel(txId: string): void {
    const removal = this.queue.remove(txId).catch(() => undefined);
    this.pending.add(removal);
    void removal.finally(() => this.pending.delete(removal));
  }

  /** Jobs still waiting in the queue (for operators and tests). */
  async delayedCount(): Promise<number> {
    return this.queue.getDelayedCount();
  }

  async close(): Promise<void> {
    await Promise.all(this.pending);
    await this.queue.close();
  }
}
