import type { Redis, Cluster } from 'ioredis';
import { ScriptCode } from '../commands/script-code';
import { defineScripts, type StatehouseConnection } from '../commands/scripts';
import {
  CommitUnknownError,
  LimitExceededError,
  TransactionError,
  TransactionNotFoundError,
  VersionCompactedError,
  VersionNotFoundError,
} from '../errors';
import {
  SNAPSHOTS,
  isTransactionState,
  rejectionFor,
  type TransactionState,
} from '../transaction/transaction.machine';
import type { TransactionId } from '../transaction/transaction-id';
import { NamespaceKeys } from './keys';
import {
  agentIndexMember,
  agentPrefix,
  prefixRange,
  recordField,
  versionField,
} from './record-fields';
import { isRedisReply, toStorageError } from './redis-errors';
import { parseLoggedOperation, parseStoredRecord, type StoredRecord } from './stored-value';

export interface StageLimits {
  readonly maxOperations: number;
  readonly maxBytes: number;
  readonly retentionMs: number;
}

export interface TransactionInfo {
  readonly state: TransactionState;
  readonly deadline: number;
  readonly createdAt: number;
  readonly finishedAt: number | null;
  readonly commitTs: number | null;
}

export type TimeoutOutcome =
  | { readonly outcome: 'timedOut'; readonly lateMs: number }
  | { readonly outcome: 'final'; readonly state: TransactionState }
  | { readonly outcome: 'notYet'; readonly remainingMs: number }
  | { readonly outcome: 'notFound' };

/** An agent's operation in a logged commit. `value` null is a delete. */
export interface LoggedOperation {
  readonly key: string;
  readonly value: StoredRecord['value'];
  readonly version: number;
}

export interface LoggedEvent {
  readonly txId: string;
  readonly commitTs: number;
  readonly operations: LoggedOperation[];
}

/**
 * The only class that talks to Redis for records and transactions: it runs the Lua scripts and
 * plain reads, and turns their replies into values or typed errors.
 */
export class StateRepository {
  readonly redis: StatehouseConnection;
  private readonly namespaces = new Map<string, NamespaceKeys>();

  constructor(
    redis: Redis | Cluster,
    private readonly prefix: string,
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

  async begin(tx: TransactionId, timeoutMs: number, retentionMs: number): Promise<number> {
    const key = this.keys(tx.namespace).transaction(tx.localId);
    const [code, deadline] = await this.run(tx.id, () =>
      this.redis.statehouseBeginTransaction(key, SNAPSHOTS.open, timeoutMs, retentionMs),
    );
    if (code === ScriptCode.ID_TAKEN) throw new TransactionError(`Transaction id ${tx.id} is taken`);
    return deadline!;
  }

  async stage(
    tx: TransactionId,
    agentId: string,
    key: string,
    json: string | null,
    limits: StageLimits,
  ): Promise<void> {
    const keys = this.keys(tx.namespace);
    const [code, detail] = await this.run(tx.id, () =>
      this.redis.statehouseStageOperation(
        keys.transaction(tx.localId),
        keys.operations(tx.localId),
        recordField(agentId, key),
        json === null ? 'd' : 'w',
        json ?? '',
        limits.maxOperations,
        limits.maxBytes,
        SNAPSHOTS.timedOut,
        limits.retentionMs,
      ),
    );
    switch (code) {
      case ScriptCode.OK:
        return;
      case ScriptCode.TOO_MANY_OPERATIONS:
        throw new LimitExceededError('maxOperationsPerTransaction', Number(detail), tx.id);
      case ScriptCode.TOO_MANY_BYTES:
        throw new LimitExceededError('maxTransactionBytes', Number(detail), tx.id);
      default:
        throw this.transactionFailure(tx, code, detail);
    }
  }

  /** Commits; `replayed` is true when this token's earlier attempt had already committed. */
  async commit(
    tx: TransactionId,
    token: string,
    retentionMs: number,
  ): Promise<{ commitTs: number; replayed: boolean }> {
    const keys = this.keys(tx.namespace);
    let reply: [number, (string | number)?];
    try {
      reply = await this.redis.statehouseCommitTransaction(
        keys.transaction(tx.localId),
        keys.operations(tx.localId),
        keys.clock,
        keys.log,
        keys.state,
        keys.live,
        keys.versions,
        keys.agents,
        token,
        SNAPSHOTS.committed,
        SNAPSHOTS.timedOut,
        retentionMs,
        tx.id,
      );
    } catch (error) {
      throw isRedisReply(error) ? toStorageError(error, tx.id) : new CommitUnknownError(tx.id, error);
    }
    const [code, detail] = reply;
    if (code === ScriptCode.OK || code === ScriptCode.NOOP) {
      return { commitTs: Number(detail), replayed: code === ScriptCode.NOOP };
    }
    throw this.transactionFailure(tx, code, detail);
  }

  /** Aborts; returns the final state ('aborted' now, or the state that made it a no-op). */
  async abort(tx: TransactionId, retentionMs: number): Promise<TransactionState> {
    const keys = this.keys(tx.namespace);
    const [code, detail] = await this.run(tx.id, () =>
      this.redis.statehouseAbortTransaction(
        keys.transaction(tx.localId),
        keys.operations(tx.localId),
        SNAPSHOTS.aborted,
        SNAPSHOTS.timedOut,
        retentionMs,
      ),
    );
    if (code === ScriptCode.OK) return 'aborted';
    if (code === ScriptCode.NOOP && isTransactionState(detail)) return detail;
    throw this.transactionFailure(tx, code, detail);
  }

  async timeout(tx: TransactionId, retentionMs: number): Promise<TimeoutOutcome> {
    const keys = this.keys(tx.namespace);
    const [code, detail] = await this.run(tx.id, () =>
      this.redis.statehouseTimeoutTransaction(
        keys.transaction(tx.localId),
        keys.operations(tx.localId),
        SNAPSHOTS.timedOut,
        retentionMs,
      ),
    );
    switch (code) {
      case ScriptCode.OK:
        return { outcome: 'timedOut', lateMs: Number(detail) };
      case ScriptCode.NOOP:
        return { outcome: 'final', state: detail as TransactionState };
      case ScriptCode.LATER:
        return { outcome: 'notYet', remainingMs: Number(detail) };
      default:
        return { outcome: 'notFound' };
    }
  }

  async inspect(tx: TransactionId): Promise<TransactionInfo> {
    const reply = await this.run(tx.id, () =>
      this.redis.statehouseInspectTransaction(this.keys(tx.namespace).transaction(tx.localId)),
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

  async getState(namespace: string, agentId: string, key: string): Promise<StoredRecord | null> {
    const stored = await this.run(undefined, () =>
      this.redis.hget(this.keys(namespace).state, recordField(agentId, key)),
    );
    return stored === null ? null : parseStoredRecord(stored);
  }

  async getStateAtVersion(
    namespace: string,
    agentId: string,
    key: string,
    version: number,
  ): Promise<StoredRecord> {
    const keys = this.keys(namespace);
    const [code, commitTs, logged] = await this.run(undefined, () =>
      this.redis.statehouseGetStateAtVersion(
        keys.versions,
        keys.log,
        versionField(agentId, key, version),
        recordField(agentId, key),
      ),
    );
    if (code === ScriptCode.VERSION_NOT_FOUND) throw new VersionNotFoundError(agentId, key, version);
    if (code === ScriptCode.VERSION_COMPACTED) throw new VersionCompactedError(agentId, key, version);
    const op = parseLoggedOperation(logged!);
    return { version: op.version, commitTs: Number(commitTs), value: op.value };
  }

  /** Live keys of an agent starting with `prefix`, after the key `after`, in UTF-8 byte order. */
  async listKeys(
    namespace: string,
    agentId: string,
    prefix: string,
    after: string | undefined,
    limit: number,
  ): Promise<string[]> {
    const [min, max] = this.liveRange(agentId, prefix, after);
    const members = await this.run(undefined, () =>
      this.redis.zrangebylex(this.keys(namespace).live, min, max, 'LIMIT', 0, limit),
    );
    return members.map((member) => member.slice(agentId.length + 1));
  }

  async scanPrefix(
    namespace: string,
    agentId: string,
    prefix: string,
    after: string | undefined,
    limit: number,
  ): Promise<Array<StoredRecord & { key: string }>> {
    const keys = this.keys(namespace);
    const [min, max] = this.liveRange(agentId, prefix, after);
    const flat = await this.run(undefined, () =>
      this.redis.statehouseScanPrefix(keys.live, keys.state, min, max, limit),
    );
    const entries: Array<StoredRecord & { key: string }> = [];
    for (let i = 0; i < flat.length; i += 2) {
      entries.push({ key: flat[i]!.slice(agentId.length + 1), ...parseStoredRecord(flat[i + 1]!) });
    }
    return entries;
  }

  /** Up to `limit` events of the agent with startTs <= commitTs <= endTs, in commit order. */
  async replayPage(
    namespace: string,
    agentId: string,
    startTs: number,
    endTs: number,
    limit: number,
  ): Promise<LoggedEvent[]> {
    const keys = this.keys(namespace);
    const page = await this.run(undefined, () =>
      this.redis.statehouseReplayPage(
        keys.agents,
        keys.log,
        Buffer.from(`[${agentIndexMember(agentId, startTs)}`),
        Buffer.from(`[${agentIndexMember(agentId, endTs)}`),
        limit,
        agentPrefix(agentId),
      ),
    );
    return page.map(([commitTs, txId, flat]) => ({
      txId: txId ?? '',
      commitTs: Number(commitTs),
      operations: pairs(flat).map(([key, logged]) => ({ key, ...parseLoggedOperation(logged) })),
    }));
  }

  /**
   * Blocks up to `blockMs` for log entries after `afterTs` on a dedicated connection, and returns
   * the agent's events among them plus the last commitTs read (to continue from).
   */
  async readLogAfter(
    connection: Redis | Cluster,
    namespace: string,
    agentId: string,
    afterTs: number,
    blockMs: number,
    count: number,
  ): Promise<{ events: LoggedEvent[]; lastTs: number }> {
    const reply = await this.run(undefined, () =>
      connection.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', this.keys(namespace).log, `${afterTs}-0`),
    );
    const entries = reply?.[0]?.[1] ?? [];
    const prefix = agentPrefix(agentId);
    const events: LoggedEvent[] = [];
    let lastTs = afterTs;
    for (const [id, fields] of entries) {
      lastTs = Number(id.slice(0, id.indexOf('-')));
      const operations: LoggedOperation[] = [];
      for (let i = 2; i < fields.length; i += 2) {
        if (fields[i]!.startsWith(prefix)) {
          operations.push({ key: fields[i]!.slice(prefix.length), ...parseLoggedOperation(fields[i + 1]!) });
        }
      }
      if (operations.length > 0) events.push({ txId: fields[1]!, commitTs: lastTs, operations });
    }
    return { events, lastTs };
  }

  async lastCommitTs(namespace: string): Promise<number> {
    const value = await this.run(undefined, () => this.redis.get(this.keys(namespace).clock));
    return Number(value ?? 0);
  }

  private liveRange(agentId: string, prefix: string, after: string | undefined): [Buffer, Buffer] {
    return prefixRange(
      agentPrefix(agentId) + prefix,
      after === undefined ? undefined : recordField(agentId, after),
    );
  }

  private transactionFailure(tx: TransactionId, code: number, detail: unknown): Error {
    if (code === ScriptCode.NOT_FOUND) return new TransactionNotFoundError(tx.id);
    if (code === ScriptCode.TIMEOUT) return TransactionError.forState('TRANSACTION_TIMEOUT', tx.id);
    if (code === ScriptCode.NOT_OPEN && isTransactionState(detail) && detail !== 'open') {
      return TransactionError.forState(rejectionFor(detail), tx.id);
    }
    return new TransactionError(`Unexpected reply ${code} from Redis for transaction ${tx.id}`, {
      txId: tx.id,
    });
  }

  private async run<T>(txId: string | undefined, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw toStorageError(error, txId);
    }
  }
}

function pairs(flat: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}
