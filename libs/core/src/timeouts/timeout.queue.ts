import { Queue } from 'bullmq';
import type { RetentionPolicy } from '@statehouse/contract';
import type { Redis, Cluster } from 'ioredis';
import { isConnectionError, type BackgroundErrorHandler } from '../reporting/background-errors';
import { namespaceTag } from '../storage/keys';

/**
 * The BullMQ queue of timeout sweeps. A sweep job is due at the end of a short window of deadlines
 * (`resolutionMs`) of one namespace and times out every transaction of that namespace whose
 * deadline has passed. A transaction's sweep job exists before `beginTransaction` returns, so its
 * timeout fires even if every process that touched it dies.
 */
export const TIMEOUT_QUEUE_NAME = 'timeouts';
export const SWEEP_JOB_NAME = 'sweep';
/** The repeatable job of a namespace's compaction (retention), on the same queue and workers. */
export const COMPACT_JOB_NAME = 'compact';

export interface CompactJobData {
  readonly namespace: string;
  /**
   * The default policy of the process that scheduled it, for a namespace without a policy of its
   * own: the job carries it, so whichever process runs the job applies the same rules.
   */
  readonly defaultPolicy?: RetentionPolicy;
}

export interface SweepJobData {
  readonly namespace: string;
  /** When the sweep is due, ms on the Redis clock. */
  readonly due: number;
}

/** A window this long past is forgotten by the process (its job has run or will run regardless). */
const FORGET_AFTER_MS = 60_000;

/** How long beginTransaction waits for BullMQ to accept a sweep job. */
const SCHEDULE_TIMEOUT_MS = 3000;

export class TimeoutQueue {
  private readonly queue: Queue<SweepJobData | CompactJobData>;
  /** Sweeps this process has scheduled, by job id; concurrent begins share one add. */
  private readonly scheduled = new Map<string, { due: number; added: Promise<void> }>();

  constructor(
    connection: Redis | Cluster,
    readonly prefix: string,
    private readonly resolutionMs: number,
    onError: BackgroundErrorHandler,
  ) {
    this.queue = new Queue<SweepJobData | CompactJobData>(TIMEOUT_QUEUE_NAME, {
      connection,
      prefix,
      // Finished jobs are removed at once and the event stream is capped: BullMQ's memory stays
      // bounded by the number of pending sweeps.
      streams: { events: { maxLen: 1000 } },
      defaultJobOptions: {
        removeOnComplete: true,
        removeOnFail: true,
        attempts: 20,
        backoff: { type: 'exponential', delay: 100 },
      },
    });
    // A failed add reaches its caller through ensureSweep; the queue's own errors (its
    // connection's among them) are reported.
    this.queue.on('error', (error) =>
      onError(error, isConnectionError(error) ? 'redis-connection' : 'timeout-queue'),
    );
  }

  /**
   * Makes sure a sweep of `namespace` runs at or after `deadline`. `redisNow` is the Redis clock at
   * the same moment as `Date.now()` here (both read when the transaction was created).
   */
  async ensureSweep(namespace: string, deadline: number, redisNow: number): Promise<void> {
    const due = Math.ceil(deadline / this.resolutionMs) * this.resolutionMs;
    // A job id may not hold ':' (BullMQ refuses it): the namespace's tag stands for it.
    const jobId = `${namespaceTag(namespace)}~${due}`;
    let entry = this.scheduled.get(jobId);
    if (!entry) {
      const added = this.add(jobId, { namespace, due }, due - redisNow);
      entry = { due, added };
      this.scheduled.set(jobId, entry);
      added.catch(() => this.scheduled.delete(jobId)); // a later begin tries again
      this.forgetPast(redisNow);
    }
    await entry.added;
  }

  /**
   * Compacts `namespace` every `everyMs` from now on, on whichever process's worker takes the job
   * (a BullMQ job scheduler: one per namespace, whoever creates it; updating it is idempotent).
   */
  async scheduleCompaction(
    namespace: string,
    everyMs: number,
    defaultPolicy?: RetentionPolicy,
  ): Promise<void> {
    const data: CompactJobData = defaultPolicy ? { namespace, defaultPolicy } : { namespace };
    await this.queue.upsertJobScheduler(
      compactionSchedulerId(namespace),
      { every: everyMs },
      { name: COMPACT_JOB_NAME, data, opts: { attempts: 1 } },
    );
  }

  /** Stops the scheduled compaction of `namespace` (true if there was one). */
  async unscheduleCompaction(namespace: string): Promise<boolean> {
    return this.queue.removeJobScheduler(compactionSchedulerId(namespace));
  }

  /** Whether `namespace` has a scheduled compaction, and how often (ms). */
  async compactionSchedule(namespace: string): Promise<number | null> {
    const scheduler = await this.queue.getJobScheduler(compactionSchedulerId(namespace));
    return scheduler?.every ?? null;
  }

  /** Pending sweep jobs (for operators and tests). */
  async pendingSweeps(): Promise<number> {
    return this.queue.getDelayedCount();
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.scheduled.values()].map((entry) => entry.added));
    await this.queue.close();
  }

  private async add(jobId: string, data: SweepJobData, delayMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, fail) => {
      timer = setTimeout(
        () =>
          fail(
            new Error(`the timeout sweep job was not accepted within ${SCHEDULE_TIMEOUT_MS} ms`),
          ),
        SCHEDULE_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([
        this.queue.add(SWEEP_JOB_NAME, data, { jobId, delay: Math.max(0, delayMs) }),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Forgets windows that ended a minute ago. Windows are added in about the order they are due
   * (a Map keeps insertion order), so the walk stops at the first recent one: O(forgotten).
   */
  private forgetPast(redisNow: number): void {
    for (const [jobId, entry] of this.scheduled) {
      if (entry.due >= redisNow - FORGET_AFTER_MS) return;
      this.scheduled.delete(jobId);
    }
  }
}

/** A job scheduler id may not hold ':' either: the namespace's tag stands for it. */
function compactionSchedulerId(namespace: string): string {
  return `compact~${namespaceTag(namespace)}`;
}
