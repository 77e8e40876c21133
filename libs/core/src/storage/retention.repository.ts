import type { CompactionCounts, RetentionPolicy } from '@statehouse/contract';
import type { StatehouseConnection } from '../commands/scripts';
import type { NamespaceKeys } from './keys';
import { HORIZON_MARK } from './marks';
import { runCommand } from './redis-errors';

/** The policy fields of `<prefix>:{<tag>}:retention`, as stored. */
const POLICY_FIELDS = ['maxVersionsPerKey', 'maxAgeMs', 'deletedRecordTtlMs'] as const;
/** Set once a policy was given for the namespace (even an empty one: keep everything). */
const EXPLICIT = 'explicit';

/** Where a compaction pass stands between two of its steps. */
export interface CompactionPass {
  readonly passEnd: number;
  readonly ageCutoffTs: number;
  readonly ttlCutoffTs: number;
  cursor: string;
}

export interface StepResult extends CompactionCounts {
  readonly done: boolean;
  readonly compactedTs: number;
}

/** Retention policies, the compaction horizon and the compaction's script calls. */
export class RetentionRepository {
  constructor(
    readonly redis: StatehouseConnection,
    private readonly keys: (namespace: string) => NamespaceKeys,
  ) {}

  /** Replaces the namespace's policy (an empty one keeps everything, whatever the default). */
  async setPolicy(namespace: string, policy: RetentionPolicy): Promise<void> {
    const key = this.keys(namespace).retention;
    const set: Array<string | number> = [EXPLICIT, 1];
    const unset: string[] = [];
    for (const field of POLICY_FIELDS) {
      const value = policy[field];
      if (value === undefined) unset.push(field);
      else set.push(field, value);
    }
    await runCommand(undefined, () =>
      this.redis
        .multi()
        .hdel(key, ...unset)
        .hset(key, ...set)
        .exec(),
    );
  }

  /** The namespace's own policy, or null when none was ever set. */
  async policyOf(namespace: string): Promise<RetentionPolicy | null> {
    const stored = await runCommand(undefined, () =>
      this.redis.hgetall(this.keys(namespace).retention),
    );
    if (stored[EXPLICIT] === undefined) return null;
    const policy: Record<string, number> = {};
    for (const field of POLICY_FIELDS) {
      if (stored[field] !== undefined) policy[field] = Number(stored[field]);
    }
    return policy;
  }

  /** What compaction removed in the namespace so far, and its horizon. */
  async status(namespace: string): Promise<{ compactedTs: number; removed: CompactionCounts }> {
    const keys = this.keys(namespace);
    const [[, horizon], [, totals]] = (await runCommand(undefined, () =>
      this.redis
        .multi()
        .hget(keys.state, HORIZON_MARK)
        .hmget(keys.retention, 'versionsRemoved', 'entriesRemoved', 'recordsRemoved')
        .exec(),
    )) as [[null, string | null], [null, Array<string | null>]];
    return {
      compactedTs: Number(horizon ?? 0),
      removed: {
        versions: Number(totals[0] ?? 0),
        logEntries: Number(totals[1] ?? 0),
        deletedRecords: Number(totals[2] ?? 0),
      },
    };
  }

  /** Starts a pass: where it ends and the commitTs cutoffs of the age rules. */
  async startPass(namespace: string, policy: RetentionPolicy): Promise<CompactionPass> {
    const keys = this.keys(namespace);
    const [passEnd, ageCutoffTs, ttlCutoffTs] = await runCommand(undefined, () =>
      this.redis.statehouseStartCompaction(
        keys.state,
        keys.log,
        keys.clock,
        policy.maxAgeMs ?? '',
        policy.deletedRecordTtlMs ?? '',
      ),
    );
    return { passEnd, ageCutoffTs, ttlCutoffTs, cursor: '0-0' };
  }

  /** One bounded step of the pass (at most `budget` log entries); advances `pass.cursor`. */
  async step(
    namespace: string,
    policy: RetentionPolicy,
    pass: CompactionPass,
    budget: number,
  ): Promise<StepResult> {
    const keys = this.keys(namespace);
    const [cursor, done, versions, logEntries, deletedRecords, compactedTs] = await runCommand(
      undefined,
      () =>
        this.redis.statehouseCompactStep(
          keys.state,
          keys.log,
          keys.index,
          keys.retention,
          pass.cursor,
          pass.passEnd,
          policy.maxVersionsPerKey ?? 0,
          pass.ageCutoffTs,
          pass.ttlCutoffTs,
          budget,
        ),
    );
    pass.cursor = cursor;
    return { done: done === 1, versions, logEntries, deletedRecords, compactedTs };
  }
}
