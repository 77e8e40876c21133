import type {
  CompactionCounts,
  CompactionResult,
  RetentionInfo,
  RetentionPolicy,
} from '@statehouse/contract';
import type { BackgroundErrorHandler } from '../reporting/background-errors';
import type { RetentionRepository } from '../storage/retention.repository';
import type { CompactJobData, TimeoutQueue } from '../timeouts/timeout.queue';

/**
 * Log entries one compaction script call walks at most. Measured on this project's 2-core VM: a
 * step of 128 one-write entries, each removed, took 1.0-1.3 ms of Redis time; 64 keeps a step near
 * half a millisecond, so compaction never holds Redis long, whatever the size of the history
 * (bench `--only retention` reports the longest step from SLOWLOG).
 */
export const COMPACTION_STEP_ENTRIES = 64;

/** What compaction did in one namespace, as this process saw it (for metrics). */
export interface CompactionStats {
  /** Compactions of the namespace this process ran (on demand and scheduled). */
  runs: number;
  /** Their script calls (steps). */
  steps: number;
  /** Log entries this process's compactions removed. */
  entriesRemoved: number;
  /** The horizon after this process's last compaction of the namespace. */
  compactedTs: number;
}

const NOTHING: CompactionCounts = { versions: 0, logEntries: 0, deletedRecords: 0 };

export function hasRules(policy: RetentionPolicy): boolean {
  return (
    policy.maxVersionsPerKey !== undefined ||
    policy.maxAgeMs !== undefined ||
    policy.deletedRecordTtlMs !== undefined
  );
}

/**
 * Retention policies and compaction: on demand (`compact`), and as a BullMQ job scheduler per
 * namespace with a policy, run by whichever process's worker takes it. A run is a pass over the
 * namespace's log in bounded script calls (compactStep-4.lua); every call is atomic and leaves
 * the namespace consistent, so a run cut short (a process killed, Redis restarted) loses nothing
 * and the next run continues.
 */
export class Compactor {
  /** Namespaces this process used: the default policy's schedule is made once for each. */
  private readonly noted = new Set<string>();
  /** By namespace: what this process's compactions removed, and their last horizon. */
  readonly stats = new Map<string, CompactionStats>();

  constructor(
    private readonly retention: RetentionRepository,
    private readonly queue: TimeoutQueue,
    private readonly defaults: { readonly policy: RetentionPolicy; readonly intervalMs: number },
    private readonly onError: BackgroundErrorHandler,
  ) {}

  /** Sets the namespace's own policy (replacing the default) and its compaction schedule. */
  async setRetention(namespace: string, policy: RetentionPolicy): Promise<RetentionInfo> {
    await this.retention.setPolicy(namespace, policy);
    if (hasRules(policy)) {
      await this.queue.scheduleCompaction(namespace, this.defaults.intervalMs);
    } else {
      await this.queue.unscheduleCompaction(namespace);
    }
    return this.getRetention(namespace);
  }

  async getRetention(namespace: string): Promise<RetentionInfo> {
    const [own, status] = await Promise.all([
      this.retention.policyOf(namespace),
      this.retention.status(namespace),
    ]);
    return {
      namespace,
      policy: own ?? this.defaults.policy,
      source: own ? 'namespace' : 'default',
      ...status,
    };
  }

  /** Compacts the namespace to completion under the policy in force; returns what it removed. */
  async compact(namespace: string, given?: RetentionPolicy): Promise<CompactionResult> {
    const policy = given ?? (await this.retention.policyOf(namespace)) ?? this.defaults.policy;
    if (!hasRules(policy)) {
      const { compactedTs } = await this.retention.status(namespace);
      return { namespace, removed: NOTHING, compactedTs, steps: 0, longestStepMs: 0 };
    }
    const pass = await this.retention.startPass(namespace, policy);
    const stats = this.stats.get(namespace) ?? {
      runs: 0,
      steps: 0,
      entriesRemoved: 0,
      compactedTs: 0,
    };
    this.stats.set(namespace, stats);
    stats.runs += 1;
    const removed = { versions: 0, logEntries: 0, deletedRecords: 0 };
    let steps = 0;
    let longestStepMs = 0;
    for (;;) {
      const started = performance.now();
      const step = await this.retention.step(namespace, policy, pass, COMPACTION_STEP_ENTRIES);
      longestStepMs = Math.max(longestStepMs, performance.now() - started);
      steps += 1;
      removed.versions += step.versions;
      removed.logEntries += step.logEntries;
      removed.deletedRecords += step.deletedRecords;
      stats.steps += 1;
      stats.entriesRemoved += step.logEntries;
      stats.compactedTs = step.compactedTs;
      if (step.done) {
        return { namespace, removed, compactedTs: step.compactedTs, steps, longestStepMs };
      }
    }
  }

  /**
   * The scheduled job of a namespace: compacts it under its own policy, else the default policy
   * the job carries; ends the schedule when no rule is left.
   */
  async runScheduled({ namespace, defaultPolicy }: CompactJobData): Promise<void> {
    const policy =
      (await this.retention.policyOf(namespace)) ?? defaultPolicy ?? this.defaults.policy;
    if (!hasRules(policy)) {
      await this.queue.unscheduleCompaction(namespace);
      return;
    }
    await this.compact(namespace, policy);
  }

  /**
   * A namespace this process writes to. With a default policy, makes sure the namespace is
   * compacted on schedule (once per process; a namespace with its own policy has its schedule).
   */
  noteNamespace(namespace: string): void {
    if (!hasRules(this.defaults.policy) || this.noted.has(namespace)) return;
    this.noted.add(namespace);
    void (async () => {
      if ((await this.retention.policyOf(namespace)) === null) {
        await this.queue.scheduleCompaction(
          namespace,
          this.defaults.intervalMs,
          this.defaults.policy,
        );
      }
    })().catch((error: unknown) => {
      this.noted.delete(namespace); // the next use tries again
      this.onError(error instanceof Error ? error : new Error(String(error)), 'compaction');
    });
  }
}
