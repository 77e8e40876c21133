import { ScriptCode } from '../commands/script-code';
import type { StatehouseConnection } from '../commands/scripts';
import {
  CommitUnknownError,
  LimitExceededError,
  TransactionError,
  QuotaExceededError,
  StorageUnavailableError,
} from '@statehouse/contract';
import { isTransactionState, rejectionFor, SNAPSHOTS } from '../model/transaction.machine';
import type { TransactionId } from '../model/transaction-id';
import { Batcher } from './batcher';
import { ReplicaAcknowledgement, type ReplicationSession } from './replication';
import type { NamespaceKeys } from './keys';
import { isRedisReply, runCommand, toStorageError } from './redis-errors';
import {
  parseAppended,
  transactionFailure,
  type BeginResult,
  type CommitResult,
  type RepositorySettings,
} from './transaction.replies';

export interface StageItem {
  readonly tx: TransactionId;
  readonly field: string;
  readonly json: string | null;
  readonly ifVersion: number | undefined;
  /**
   * Durability 'replicated' only: answer once enough replicas have the staging. For transactions
   * whose commit cannot check their stagings (resumed from an id: the HTTP API, statehouse.v1,
   * another process), so that a failover cannot drop an acknowledged write from their commit.
   */
  readonly confirm?: boolean;
}

export interface BeginItem extends TransactionId {
  readonly timeoutMs: number;
  /** Keep the transaction if it exists already (an idempotent begin with a chosen id). */
  /**
   * 'chosen': a caller-chosen id, kept as it is if it exists (and kept after it finishes until its
   * deadline); 'resent': an id made here whose begin may reach Redis twice (a pipelined
   * transaction's, resent by the Redis client after a reconnect), kept as it is if it exists.
   */
  readonly keep: false | 'chosen' | 'resent';
}

export interface CommitItem {
  readonly tx: TransactionId;
  readonly token: string;
  /**
   * The highest sequence number Redis gave the committing object's stagings, if it began the
   * transaction: the commit is refused when Redis holds fewer stagings than that.
   */
  readonly stagings?: number;
}

/** What a buffered transaction sends with its commit: everything it did, in one call. */
export interface BufferedCommit {
  readonly tx: TransactionId;
  readonly token: string;
  /** Date.now() when the transaction began (kept in its finished record). */
  readonly createdAt: number;
  /** Operations in staging order, one per record (appends apart). */
  readonly operations: ReadonlyArray<BufferedOperation>;
  /** Commit conditions: record field (or agentId STX) -> expected version, "!" or count. */
  readonly conditions: ReadonlyMap<string, string>;
  /**
   * The id was chosen by a sender (commitOperations), not made here: the script checks that no
   * staged transaction has it.
   */
  readonly chosen?: boolean;
}

export type BufferedOperation =
  | { readonly kind: 'w' | 'd'; readonly field: string; readonly json: string | null }
  | { readonly kind: 'a'; readonly field: string; readonly json: string };

interface NamespaceBatchers {
  readonly begin: Batcher<BeginItem, BeginResult>;
  readonly stage: Batcher<StageItem, number>;
  readonly commit: Batcher<CommitItem, CommitResult>;
  readonly commitBuffered: Batcher<BufferedCommit, CommitResult>;
}

/**
 * The grouped script calls (group commit): begins, stagings and commits of concurrent transactions
 * of one namespace issued in the same turn of the event loop go to Redis as one script call each.
 * Each transaction in a group is still checked and applied on its own.
 */
export class TransactionBatches {
  private readonly batchers = new Map<string, NamespaceBatchers>();
  private readonly replicas: ReplicaAcknowledgement | undefined;

  constructor(
    private readonly redis: StatehouseConnection,
    private readonly keys: (namespace: string) => NamespaceKeys,
    private readonly settings: RepositorySettings,
  ) {
    this.replicas = settings.replication
      ? new ReplicaAcknowledgement(redis, settings.replication, settings.retentionMs)
      : undefined;
  }

  begin(item: BeginItem): Promise<BeginResult> {
    return this.batchersOf(item.namespace).begin.submit(item);
  }

  /** Resolves to the staging's sequence number in its transaction. */
  stage(item: StageItem): Promise<number> {
    return this.batchersOf(item.tx.namespace).stage.submit(item);
  }

  commit(item: CommitItem): Promise<CommitResult> {
    return this.batchersOf(item.tx.namespace).commit.submit(item);
  }

  commitBuffered(commit: BufferedCommit): Promise<CommitResult> {
    return this.batchersOf(commit.tx.namespace).commitBuffered.submit(commit);
  }

  private batchersOf(namespace: string): NamespaceBatchers {
    let batchers = this.batchers.get(namespace);
    if (!batchers) {
      const { maxBatch } = this.settings;
      batchers = {
        begin: new Batcher((items) => this.beginBatch(namespace, items), maxBatch),
        stage: new Batcher((items) => this.stageBatch(namespace, items), maxBatch),
        commit: new Batcher((items) => this.commitBatch(namespace, items), maxBatch),
        commitBuffered: new Batcher(
          (items) => this.commitBufferedBatch(namespace, items),
          maxBatch,
        ),
      };
      this.batchers.set(namespace, batchers);
    }
    return batchers;
  }

  private async beginBatch(
    namespace: string,
    items: BeginItem[],
  ): Promise<Array<BeginResult | Error>> {
    const keys = this.keys(namespace);
    const reply = await runCommand(undefined, () =>
      this.redis.statehouseBeginTransactions(
        2 + items.length,
        keys.deadlines,
        keys.finished,
        ...items.map((item) => keys.transaction(item.localId)),
        SNAPSHOTS.open,
        this.settings.retentionMs,
        this.settings.maxOpenPerNamespace,
        ...items.map((item) =>
          item.keep === 'chosen'
            ? `k${item.timeoutMs}`
            : item.keep === 'resent'
              ? `r${item.timeoutMs}`
              : item.timeoutMs,
        ),
      ),
    );
    const now = Number(reply[0]);
    return items.map((item, i) => {
      const outcome = reply[i + 1];
      if (isTransactionState(outcome) && outcome !== 'open') {
        // A chosen id that a transaction sent whole finished with: never begun again.
        return TransactionError.forState(rejectionFor(outcome), item.id);
      }
      const deadline = Number(outcome);
      if (deadline === Number(ScriptCode.QUOTA_OPEN_TRANSACTIONS)) {
        const max = this.settings.maxOpenPerNamespace;
        return new QuotaExceededError('maxOpenTransactionsPerNamespace', max, namespace, item.id);
      }
      return { deadline, now };
    });
  }

  private async stageBatch(namespace: string, items: StageItem[]): Promise<Array<number | Error>> {
    const keys = this.keys(namespace);
    const session = items.some((item) => item.confirm)
      ? this.replicas?.session(keys.fence)
      : undefined;
    const txKeys = items.map(({ tx }) => keys.transaction(tx.localId));
    const opArgs = items.flatMap(({ field, json, ifVersion }) => [
      field,
      json === null ? 'd' : 'w',
      json ?? '',
      ifVersion === undefined ? '' : ifVersion,
    ]);
    const reply = await runCommand(undefined, () =>
      this.redis.statehouseStageOperations(
        2 + txKeys.length,
        keys.deadlines,
        keys.staged,
        ...txKeys,
        this.settings.maxOperations,
        this.settings.maxBytes,
        SNAPSHOTS.timedOut,
        this.settings.retentionMs,
        this.settings.maxStagedBytesPerNamespace,
        ...opArgs,
      ),
    );
    const replicated = session ? await this.stagingReplicated(session, keys) : undefined;
    return items.map(({ tx, confirm }, i) => {
      const code = Number(reply[2 * i]) as ScriptCode;
      const detail = reply[2 * i + 1];
      switch (code) {
        case ScriptCode.OK:
          if (confirm && replicated) {
            return new StorageUnavailableError(
              `the write reached the Redis primary but not ${replicated} (durability 'replicated')`,
              {
                txId: tx.id,
                advice:
                  'A failover could lose it: write it again (staging is idempotent per record), ' +
                  'or abort the transaction.',
              },
            );
          }
          return Number(detail);
        case ScriptCode.TOO_MANY_OPERATIONS:
          return new LimitExceededError('maxOperationsPerTransaction', Number(detail), tx.id);
        case ScriptCode.TOO_MANY_BYTES:
          return new LimitExceededError('maxTransactionBytes', Number(detail), tx.id);
        case ScriptCode.QUOTA_STAGED_BYTES:
          return new QuotaExceededError(
            'maxStagedBytesPerNamespace',
            Number(detail),
            namespace,
            tx.id,
          );
        default:
          return transactionFailure(tx, code, detail);
      }
    });
  }

  /**
   * durability 'replicated': whether enough replicas have every write the namespace's primary had
   * when this was called (a fence write first raises this connection's offset to the primary's,
   * covering writes not made by a commit, such as a snapshot import's); true without replication.
   */
  async replicated(namespace: string): Promise<boolean> {
    if (!this.replicas) return true;
    const { fence } = this.keys(namespace);
    try {
      return await this.replicas.confirm(this.replicas.session(fence), fence, true);
    } catch {
      return false; // unreachable: not acknowledged
    }
  }

  /** undefined when the replicas have the stagings; else what they lack, for the error. */
  private async stagingReplicated(
    session: ReplicationSession,
    keys: NamespaceKeys,
  ): Promise<string | undefined> {
    const { replicas, timeoutMs } = this.settings.replication!;
    try {
      if (await this.replicas!.confirm(session, keys.fence, false)) return undefined;
    } catch {
      // unreachable: reported as not acknowledged
    }
    return `${replicas} replica(s) within ${timeoutMs} ms`;
  }

  private commitBatch(
    namespace: string,
    items: CommitItem[],
  ): Promise<Array<CommitResult | Error>> {
    const keys = this.keys(namespace);
    return this.runCommitScript(keys, items, () =>
      this.redis.statehouseCommitTransactions(
        6 + items.length,
        keys.clock,
        keys.log,
        keys.state,
        keys.index,
        keys.deadlines,
        keys.staged,
        ...items.map(({ tx }) => keys.transaction(tx.localId)),
        SNAPSHOTS.committed,
        SNAPSHOTS.timedOut,
        SNAPSHOTS.aborted,
        this.settings.retentionMs,
        ...items.flatMap(({ tx, token, stagings }) => [token, tx.id, stagings ?? '']),
      ),
    );
  }

  private commitBufferedBatch(
    namespace: string,
    items: BufferedCommit[],
  ): Promise<Array<CommitResult | Error>> {
    const keys = this.keys(namespace);
    const args: Array<string | number> = [];
    for (const { tx, token, createdAt, operations, conditions, chosen } of items) {
      args.push(tx.id, token, createdAt, operations.length, conditions.size, chosen ? 1 : 0);
      for (const { kind, field, json } of operations) args.push(kind, field, json ?? '');
      for (const [record, expected] of conditions) args.push(record, expected);
    }
    return this.runCommitScript(keys, items, () =>
      this.redis.statehouseCommitBuffered(
        6 + items.length,
        keys.clock,
        keys.log,
        keys.state,
        keys.index,
        keys.finished,
        keys.finishedAt,
        // A staged transaction of the same id (a sender's chosen id is checked against them).
        ...items.map(({ tx, chosen }) => (chosen ? keys.transaction(tx.localId) : keys.state)),
        this.settings.retentionMs,
        ...args,
      ),
    );
  }

  /** Runs a commit script for a batch and turns its triples (code, detail, appended) into outcomes. */
  private async runCommitScript(
    keys: NamespaceKeys,
    items: ReadonlyArray<{ readonly tx: TransactionId }>,
    call: () => Promise<Array<number | string>>,
  ): Promise<Array<CommitResult | Error>> {
    const session = this.replicas?.session(keys.fence);
    let reply: Array<number | string>;
    try {
      reply = await call();
    } catch (error) {
      // The outcome is unknown unless Redis refused the call before running it. A script that
      // failed part-way through a batch may have committed some of it: unknown too. A retry with
      // the same token finds out, and never applies twice.
      const refused = isRedisReply(error) && !/user_script|script/i.test((error as Error).message);
      return items.map(({ tx }) =>
        refused ? toStorageError(error, tx.id) : new CommitUnknownError(tx.id, error),
      );
    }
    const outcomes = items.map(({ tx }, i): CommitResult | Error => {
      const code = Number(reply[3 * i]) as ScriptCode;
      const detail = reply[3 * i + 1];
      if (code === ScriptCode.OK || code === ScriptCode.NOOP) {
        return {
          commitTs: Number(detail),
          replayed: code === ScriptCode.NOOP,
          appended: parseAppended(String(reply[3 * i + 2] ?? '')),
        };
      }
      return transactionFailure(tx, code, detail);
    });
    return session ? this.awaitReplicas(session, keys, items, outcomes) : outcomes;
  }

  /**
   * durability 'replicated': a commit is reported only once enough replicas have it; otherwise it
   * is unknown (the primary has it, a failover may lose it) and a retry waits again.
   */
  private async awaitReplicas(
    session: ReplicationSession,
    keys: NamespaceKeys,
    items: ReadonlyArray<{ readonly tx: TransactionId }>,
    outcomes: Array<CommitResult | Error>,
  ): Promise<Array<CommitResult | Error>> {
    const committed = outcomes.filter((o): o is CommitResult => !(o instanceof Error));
    if (committed.length === 0) return outcomes;
    let failure: unknown;
    try {
      const replayed = committed.some((o) => o.replayed);
      if (await this.replicas!.confirm(session, keys.fence, replayed)) return outcomes;
      failure = new Error(
        `fewer than ${this.settings.replication!.replicas} replica(s) acknowledged within ` +
          `${this.settings.replication!.timeoutMs} ms, or the connection to the primary was lost`,
      );
    } catch (error) {
      failure = error;
    }
    return outcomes.map((outcome, i) =>
      outcome instanceof Error
        ? outcome
        : new CommitUnknownError(items[i]!.tx.id, failure, 'replication'),
    );
  }
}
