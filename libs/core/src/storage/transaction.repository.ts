import type { Redis, Cluster } from 'ioredis';
import { ScriptCode } from '../commands/script-code';
import { defineScripts, type StatehouseConnection } from '../commands/scripts';
import { CommitUnknownError, LimitExceededError, TransactionNotFoundError } from '../errors';
import {
  SNAPSHOTS,
  isTransactionState,
  type TransactionState,
} from '../transaction/transaction.machine';
import type { TransactionId } from '../transaction/transaction-id';
import type { JsonObject } from '../validation/validate';
import { Batcher } from './batcher';
import { NamespaceKeys } from './keys';
import { SEPARATOR, prefixRange, recordField } from './record-fields';
import { isRedisReply, runCommand, toStorageError } from './redis-errors';
import { parseStoredRecord, type StoredRecord } from './stored-value';
import {
  APPEND_MARK,
  parseAppended,
  parseListing,
  parseStagedEntry,
  parseStagedOperations,
  transactionFailure,
  type BeginResult,
  type CommitResult,
  type RepositorySettings,
  type StagedOperation,
  type TimeoutOutcome,
  type TransactionInfo,
  type TransactionRead,
} from './transaction.replies';

export type {
  BeginResult,
  CommitResult,
  RepositorySettings,
  StagedOperation,
  TimeoutOutcome,
  TransactionInfo,
  TransactionRead,
} from './transaction.replies';

interface StageItem {
  readonly tx: TransactionId;
  readonly field: string;
  readonly json: string | null;
  readonly ifVersion: number | undefined;
}

interface BeginItem extends TransactionId {
  readonly timeoutMs: number;
  /** Keep the transaction if it exists already (an idempotent begin with a chosen id). */
  readonly keep: boolean;
}

interface CommitItem {
  readonly tx: TransactionId;
  readonly token: string;
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
}

export type BufferedOperation =
  | { readonly kind: 'w' | 'd'; readonly field: string; readonly json: string | null }
  | { readonly kind: 'a'; readonly field: string; readonly json: string };

interface NamespaceBatchers {
  readonly begin: Batcher<BeginItem, BeginResult>;
  readonly stage: Batcher<StageItem, void>;
  readonly commit: Batcher<CommitItem, CommitResult>;
  readonly commitBuffered: Batcher<BufferedCommit, CommitResult>;
}

/**
 * Transactions in Redis: runs their Lua scripts and turns the replies into values or typed errors.
 * Begins, writes and commits of concurrent transactions of one namespace are grouped into one
 * script call each (group commit).
 */
export class TransactionRepository {
  readonly redis: StatehouseConnection;
  private readonly namespaces = new Map<string, NamespaceKeys>();
  private readonly batchers = new Map<string, NamespaceBatchers>();

  constructor(
    redis: Redis | Cluster,
    private readonly prefix: string,
    private readonly settings: RepositorySettings,
  ) {
    this.redis = defineScripts(redis);
  }

  keys(namespace: string): NamespaceKeys {
    let keys = this.namespaces.get(namespace);
    if (!keys) {
      keys = new NamespaceKeys(this.prefix, namespace);
      this.namespaces.set(namespace, keys);
    }
    return keys;
  }

  /** Creates an open transaction; with `keep`, an existing one of that id is left as it is. */
  begin(tx: TransactionId, timeoutMs: number, keep = false): Promise<BeginResult> {
    return this.batchersOf(tx.namespace).begin.submit({ ...tx, timeoutMs, keep });
  }

  /** Stages a write (`json`) or a delete (`json` null). */
  stage(
    tx: TransactionId,
    agentId: string,
    key: string,
    json: string | null,
    ifVersion?: number,
  ): Promise<void> {
    return this.batchersOf(tx.namespace).stage.submit({
      tx,
      field: recordField(agentId, key),
      json,
      ifVersion,
    });
  }

  /**
   * A page of an agent's live records seen from inside a transaction: the committed page (keys
   * after `after` starting with `prefix`, up to `limit`) and the transaction's own staged
   * operations on the agent. Makes the listing a commit condition (no phantoms) and, with values,
   * each listed record's version too.
   */
  async list(
    tx: TransactionId,
    agentId: string,
    prefix: string,
    after: string | undefined,
    limit: number,
    withValues: boolean,
  ): Promise<{
    committed: Array<{ key: string; stored: StoredRecord | null }>;
    staged: Map<string, JsonObject | null>;
  }> {
    const keys = this.keys(tx.namespace);
    const [min, max] = prefixRange(
      recordField(agentId, prefix),
      after === undefined ? undefined : recordField(agentId, after),
    );
    const [code, page, staged] = await this.run(tx.id, () =>
      this.redis.statehouseListInTransaction(
        keys.transaction(tx.localId),
        keys.index,
        keys.state,
        keys.deadlines,
        agentId,
        min,
        max,
        limit,
        withValues ? '1' : '0',
        SNAPSHOTS.timedOut,
        this.settings.retentionMs,
      ),
    );
    if (code !== ScriptCode.OK) throw transactionFailure(tx, code, page);
    return parseListing(agentId, page as string[], staged ?? []);
  }

  /** The operations staged in a transaction, in the order of their last staging. */
  async stagedOperations(tx: TransactionId): Promise<StagedOperation[]> {
    const fields = await this.run(tx.id, () =>
      this.redis.hgetall(this.keys(tx.namespace).transaction(tx.localId)),
    );
    return parseStagedOperations(fields);
  }

  /**
   * Stages an append: a write whose key (prefix + a 12-digit counter of the agent and prefix) is
   * allocated at commit. `appendId` names it in the commit's report of allocated keys.
   */
  stageAppend(
    tx: TransactionId,
    agentId: string,
    prefix: string,
    appendId: string,
    json: string,
  ): Promise<void> {
    return this.batchersOf(tx.namespace).stage.submit({
      tx,
      field: `${APPEND_MARK}${agentId}${SEPARATOR}${prefix}${SEPARATOR}${appendId}`,
      json,
      ifVersion: undefined,
    });
  }

  /** Reads a record in the transaction (read-your-writes); a committed read becomes a commit condition. */
  async read(tx: TransactionId, agentId: string, key: string): Promise<TransactionRead> {
    const keys = this.keys(tx.namespace);
    const [code, source, payload, committed] = await this.run(tx.id, () =>
      this.redis.statehouseReadInTransaction(
        keys.transaction(tx.localId),
        keys.state,
        keys.deadlines,
        recordField(agentId, key),
        SNAPSHOTS.timedOut,
        this.settings.retentionMs,
      ),
    );
    if (code !== ScriptCode.OK) throw transactionFailure(tx, code, source);
    const record = (stored: string | null | undefined): StoredRecord | null =>
      stored ? parseStoredRecord(stored) : null;
    if (source === 'staged') {
      const { json } = parseStagedEntry(payload!);
      return {
        source: 'staged',
        value: json === null ? null : (JSON.parse(json) as JsonObject),
        committed: record(committed),
      };
    }
    return { source: 'committed', committed: record(payload) };
  }

  /** Commits; `replayed` is true when this token's earlier attempt had already committed. */
  commit(tx: TransactionId, token: string): Promise<CommitResult> {
    return this.batchersOf(tx.namespace).commit.submit({ tx, token });
  }

  /**
   * Commits a buffered transaction: its operations and conditions, kept by the client until now,
   * are checked and applied in one script call (grouped with concurrent ones of the namespace).
   */
  commitBuffered(commit: BufferedCommit): Promise<CommitResult> {
    return this.batchersOf(commit.tx.namespace).commitBuffered.submit(commit);
  }

  /** Aborts; returns the final state ('aborted' now, or the state that made it a no-op). */
  async abort(tx: TransactionId): Promise<TransactionState> {
    const keys = this.keys(tx.namespace);
    const [code, detail] = await this.run(tx.id, () =>
      this.redis.statehouseAbortTransaction(
        keys.transaction(tx.localId),
        keys.deadlines,
        SNAPSHOTS.aborted,
        SNAPSHOTS.timedOut,
        this.settings.retentionMs,
      ),
    );
    if (code === ScriptCode.OK) return 'aborted';
    if (code === ScriptCode.NOOP && isTransactionState(detail)) return detail;
    throw transactionFailure(tx, code, detail);
  }

  async timeout(tx: TransactionId): Promise<TimeoutOutcome> {
    const keys = this.keys(tx.namespace);
    const [code, detail] = await this.run(tx.id, () =>
      this.redis.statehouseTimeoutTransaction(
        keys.transaction(tx.localId),
        keys.deadlines,
        SNAPSHOTS.timedOut,
        this.settings.retentionMs,
      ),
    );
    switch (code) {
      case ScriptCode.OK:
        return { outcome: 'timedOut', lateMs: Number(detail) };
      case ScriptCode.NOOP:
        if (!isTransactionState(detail)) throw transactionFailure(tx, code, detail);
        return { outcome: 'final', state: detail };
      case ScriptCode.LATER:
        return { outcome: 'notYet', remainingMs: Number(detail) };
      default:
        return { outcome: 'notFound' };
    }
  }

  /**
   * Local ids of the namespace's transactions past their deadline, or how long until `due` when
   * the sweep came early.
   */
  async dueTransactions(
    namespace: string,
    due: number,
    limit: number,
  ): Promise<{ ids: string[] } | { remainingMs: number }> {
    const reply = await this.run(undefined, () =>
      this.redis.statehouseDueTransactions(this.keys(namespace).deadlines, due, limit),
    );
    if (reply[0] === ScriptCode.LATER) return { remainingMs: Number(reply[1]) };
    return { ids: reply.slice(1).map(String) };
  }

  async inspect(tx: TransactionId): Promise<TransactionInfo> {
    const reply = await this.run(tx.id, () =>
      this.redis.statehouseInspectTransaction(
        this.keys(tx.namespace).transaction(tx.localId),
        this.keys(tx.namespace).finished,
        tx.localId,
      ),
    );
    if (reply[0] !== ScriptCode.OK || !isTransactionState(reply[1])) {
      throw new TransactionNotFoundError(tx.id);
    }
    const optional = (value: string | undefined): number | null => (value ? Number(value) : null);
    return {
      state: reply[1],
      deadline: Number(reply[2]),
      createdAt: Number(reply[3]),
      finishedAt: optional(reply[4]),
      commitTs: optional(reply[5]),
    };
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

  private async beginBatch(namespace: string, items: BeginItem[]): Promise<BeginResult[]> {
    const keys = this.keys(namespace);
    const reply = await this.run(undefined, () =>
      this.redis.statehouseBeginTransactions(
        1 + items.length,
        keys.deadlines,
        ...items.map((item) => keys.transaction(item.localId)),
        SNAPSHOTS.open,
        this.settings.retentionMs,
        ...items.map((item) => (item.keep ? `k${item.timeoutMs}` : item.timeoutMs)),
      ),
    );
    const now = Number(reply[0]);
    return items.map((_, i) => ({ deadline: Number(reply[i + 1]), now }));
  }

  private async stageBatch(namespace: string, items: StageItem[]): Promise<Array<void | Error>> {
    const keys = this.keys(namespace);
    const txKeys = items.map(({ tx }) => keys.transaction(tx.localId));
    const opArgs = items.flatMap(({ field, json, ifVersion }) => [
      field,
      json === null ? 'd' : 'w',
      json ?? '',
      ifVersion === undefined ? '' : ifVersion,
    ]);
    const reply = await this.run(undefined, () =>
      this.redis.statehouseStageOperations(
        1 + txKeys.length,
        keys.deadlines,
        ...txKeys,
        this.settings.maxOperations,
        this.settings.maxBytes,
        SNAPSHOTS.timedOut,
        this.settings.retentionMs,
        ...opArgs,
      ),
    );
    return items.map(({ tx }, i) => {
      const code = Number(reply[2 * i]) as ScriptCode;
      const detail = reply[2 * i + 1];
      switch (code) {
        case ScriptCode.OK:
          return undefined;
        case ScriptCode.TOO_MANY_OPERATIONS:
          return new LimitExceededError('maxOperationsPerTransaction', Number(detail), tx.id);
        case ScriptCode.TOO_MANY_BYTES:
          return new LimitExceededError('maxTransactionBytes', Number(detail), tx.id);
        default:
          return transactionFailure(tx, code, detail);
      }
    });
  }

  private commitBatch(
    namespace: string,
    items: CommitItem[],
  ): Promise<Array<CommitResult | Error>> {
    const keys = this.keys(namespace);
    return this.runCommitScript(items, () =>
      this.redis.statehouseCommitTransactions(
        5 + items.length,
        keys.clock,
        keys.log,
        keys.state,
        keys.index,
        keys.deadlines,
        ...items.map(({ tx }) => keys.transaction(tx.localId)),
        SNAPSHOTS.committed,
        SNAPSHOTS.timedOut,
        SNAPSHOTS.aborted,
        this.settings.retentionMs,
        ...items.flatMap(({ tx, token }) => [token, tx.id]),
      ),
    );
  }

  private commitBufferedBatch(
    namespace: string,
    items: BufferedCommit[],
  ): Promise<Array<CommitResult | Error>> {
    const keys = this.keys(namespace);
    const args: Array<string | number> = [];
    for (const { tx, token, createdAt, operations, conditions } of items) {
      args.push(tx.id, token, createdAt, operations.length, conditions.size);
      for (const { kind, field, json } of operations) args.push(kind, field, json ?? '');
      for (const [record, expected] of conditions) args.push(record, expected);
    }
    return this.runCommitScript(items, () =>
      this.redis.statehouseCommitBuffered(
        6,
        keys.clock,
        keys.log,
        keys.state,
        keys.index,
        keys.finished,
        keys.finishedAt,
        this.settings.retentionMs,
        ...args,
      ),
    );
  }

  /** Runs a commit script for a batch and turns its triples (code, detail, appended) into outcomes. */
  private async runCommitScript(
    items: ReadonlyArray<{ readonly tx: TransactionId }>,
    call: () => Promise<Array<number | string>>,
  ): Promise<Array<CommitResult | Error>> {
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
    return items.map(({ tx }, i) => {
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
  }

  private run<T>(txId: string | undefined, command: () => Promise<T>): Promise<T> {
    return runCommand(txId, command);
  }
}
