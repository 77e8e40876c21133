import type { Redis, Cluster } from 'ioredis';
import { ScriptCode } from '../commands/script-code';
import { defineScripts, type StatehouseConnection } from '../commands/scripts';
import { TransactionNotFoundError } from '@statehouse/contract';
import { SNAPSHOTS, isTransactionState, type TransactionState } from '../model/transaction.machine';
import type { TransactionId } from '../model/transaction-id';
import type { JsonObject } from '@statehouse/contract';
import { TransactionBatches, type BufferedCommit } from './transaction.batches';
import { NamespaceKeys } from './keys';
import { NamespaceRegistry } from './namespace-registry';
import { APPEND_MARK, SEPARATOR } from './marks';
import { prefixRange, recordField } from './record-fields';
import { runCommand } from './redis-errors';
import { parseStoredRecord, type StoredRecord } from './stored-value';
import {
  inspectedMachine,
  parseListing,
  parseStagedEntry,
  parseStagedOperations,
  transactionFailure,
  type BeginResult,
  type CommitResult,
  type InspectedTransaction,
  type RepositorySettings,
  type StagedOperation,
  type TimeoutOutcome,
  type TransactionRead,
} from './transaction.replies';

export type { BufferedCommit, BufferedOperation } from './transaction.batches';
export type {
  BeginResult,
  CommitResult,
  InspectedTransaction,
  RepositorySettings,
  StagedOperation,
  TimeoutOutcome,
  TransactionInfo,
  TransactionRead,
} from './transaction.replies';

/**
 * Transactions in Redis: runs their Lua scripts and turns the replies into values or typed errors.
 * Begins, writes and commits go through TransactionBatches (grouped script calls).
 */
export class TransactionRepository {
  readonly redis: StatehouseConnection;
  /** The namespaces ever committed to (listNamespaces): each registered before its first commit. */
  readonly registry: NamespaceRegistry;
  private readonly namespaces = new Map<string, NamespaceKeys>();
  private readonly batches: TransactionBatches;

  constructor(
    redis: Redis | Cluster,
    private readonly prefix: string,
    private readonly settings: RepositorySettings,
  ) {
    this.redis = defineScripts(redis);
    this.registry = new NamespaceRegistry(redis, prefix);
    this.batches = new TransactionBatches(
      this.redis,
      (namespace) => this.keys(namespace),
      settings,
    );
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
  begin(
    tx: TransactionId,
    timeoutMs: number,
    keep: false | 'chosen' | 'resent' = false,
  ): Promise<BeginResult> {
    return this.batches.begin({ ...tx, timeoutMs, keep });
  }

  /**
   * Stages a write (`json`) or a delete (`json` null). With `confirm` (a transaction whose commit
   * cannot check its stagings), durability 'replicated' also waits for the replicas.
   */
  stage(
    tx: TransactionId,
    agentId: string,
    key: string,
    json: string | null,
    ifVersion?: number,
    confirm = false,
  ): Promise<number> {
    return this.batches.stage({
      tx,
      field: recordField(agentId, key),
      json,
      ifVersion,
      confirm,
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
        keys.staged,
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
    confirm = false,
  ): Promise<number> {
    return this.batches.stage({
      tx,
      field: `${APPEND_MARK}${agentId}${SEPARATOR}${prefix}${SEPARATOR}${appendId}`,
      json,
      ifVersion: undefined,
      confirm,
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
        keys.staged,
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
  commit(tx: TransactionId, token: string, stagings?: number): Promise<CommitResult> {
    const item = stagings === undefined ? { tx, token } : { tx, token, stagings };
    return this.registered(tx.namespace, () => this.batches.commit(item));
  }

  /**
   * Commits a buffered transaction: its operations and conditions, kept by the client until now,
   * are checked and applied in one script call (grouped with concurrent ones of the namespace).
   */
  commitBuffered(commit: BufferedCommit): Promise<CommitResult> {
    return this.registered(commit.tx.namespace, () => this.batches.commitBuffered(commit));
  }

  /** durability 'replicated': whether enough replicas have the namespace's writes so far. */
  replicated(namespace: string): Promise<boolean> {
    return this.batches.replicated(namespace);
  }

  /**
   * Runs `commit` once the namespace is in the registry: at once (same turn, so its place among
   * this process's calls is kept) when it is known to be, else after registering it.
   */
  registered<T>(namespace: string, commit: () => Promise<T>): Promise<T> {
    const registering = this.registry.ensure(namespace);
    return registering ? registering.then(commit) : commit();
  }

  /** Aborts; returns the final state ('aborted' now, or the state that made it a no-op). */
  async abort(tx: TransactionId): Promise<TransactionState> {
    const keys = this.keys(tx.namespace);
    const [code, detail] = await this.run(tx.id, () =>
      this.redis.statehouseAbortTransaction(
        keys.transaction(tx.localId),
        keys.deadlines,
        keys.staged,
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
        keys.staged,
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

  /** A transaction's description, and its machine restored from the stored snapshot. */
  async inspect(tx: TransactionId): Promise<InspectedTransaction> {
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
    const machine = inspectedMachine(reply[1], reply[7]);
    return {
      state: machine.value,
      machine,
      deadline: Number(reply[2]),
      createdAt: Number(reply[3]),
      finishedAt: optional(reply[4]),
      commitTs: optional(reply[5]),
    };
  }

  private run<T>(txId: string | undefined, command: () => Promise<T>): Promise<T> {
    return runCommand(txId, command);
  }
}
