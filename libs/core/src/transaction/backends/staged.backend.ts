import { mergeListing } from '@statehouse/contract';
import type { TransactionReadResult } from '@statehouse/contract';
import type { TransactionState } from '../../model/transaction.machine';
import type { TransactionId } from '../../model/transaction-id';
import type {
  CommitResult,
  TransactionRead,
  TransactionRepository,
} from '../../storage/transaction.repository';
import {
  learnFrom,
  type LearnState,
  type ListPage,
  type Listing,
  type TransactionBackend,
} from './transaction-backend';

/** A staged transaction not begun yet: how to begin it at its first operation. */
export interface LazyOrigin {
  readonly namespace: string;
  begin(): Promise<TransactionId>;
}

/**
 * The default kind: every operation is stored in Redis by a script before it resolves, so any
 * process can continue the transaction from its id. A lazy one is begun at its first operation.
 */
export class StagedBackend implements TransactionBackend {
  readonly readOnly = false;
  readonly buffered = false;
  readonly readTs = null;
  txId: TransactionId | null;
  private readonly lazy: LazyOrigin | undefined;
  private beginning: Promise<TransactionId> | undefined;
  /**
   * When this object began the transaction: the highest sequence number Redis gave its stagings
   * (0 before any). The commit checks Redis holds at least that many stagings, so a write that a
   * failover lost before it reached a replica fails the commit instead of vanishing from it.
   * Undefined for a resumed transaction (writes made before it are unknown to it).
   */
  private stagings: number | undefined;

  constructor(
    private readonly repository: TransactionRepository,
    origin: TransactionId | LazyOrigin,
    private readonly learn: LearnState,
    countStagings = false,
  ) {
    if ('begin' in origin) {
      this.txId = null;
      this.lazy = origin;
      this.stagings = 0; // a lazy transaction is always this object's own
    } else {
      this.txId = origin;
      this.stagings = countStagings ? 0 : undefined;
    }
  }

  clientDeadline(): undefined {
    return undefined; // Redis keeps the deadline
  }

  assertAccepts(): void {}

  async get(agentId: string, key: string): Promise<TransactionReadResult> {
    const txId = this.txId ?? (await this.begun());
    let read: TransactionRead;
    try {
      read = await this.repository.read(txId, agentId, key);
    } catch (error) {
      throw learnFrom(error, this.learn);
    }
    const committed = read.committed;
    const value = read.source === 'staged' ? read.value : (committed?.value ?? null);
    return {
      exists: value !== null,
      value,
      version: committed?.version ?? 0,
      commitTs: committed?.commitTs ?? 0,
      staged: read.source === 'staged',
    };
  }

  async list({ agentId, prefix, after, limit, withValues }: ListPage): Promise<Listing> {
    const txId = this.txId ?? (await this.begun());
    let page: Awaited<ReturnType<TransactionRepository['list']>>;
    try {
      page = await this.repository.list(txId, agentId, prefix, after, limit + 1, withValues);
    } catch (error) {
      throw learnFrom(error, this.learn);
    }
    return mergeListing(page.committed, page.staged, prefix, after, limit);
  }

  async stage(
    agentId: string,
    key: string,
    json: string | null,
    ifVersion: number | undefined,
  ): Promise<void> {
    const txId = this.txId ?? (await this.begun());
    let seq: number;
    try {
      seq = await this.repository.stage(
        txId,
        agentId,
        key,
        json,
        ifVersion,
        this.stagings === undefined, // its commit cannot check: durability waits for replicas
      );
    } catch (error) {
      // Staged or not is unknown after some failures: stop counting, the commit checks nothing.
      this.stagings = undefined;
      throw learnFrom(error, this.learn);
    }
    if (this.stagings !== undefined) this.stagings = Math.max(this.stagings, seq);
  }

  async append(agentId: string, prefix: string, appendId: string, json: string): Promise<void> {
    const txId = this.txId ?? (await this.begun());
    let seq: number;
    try {
      seq = await this.repository.stageAppend(
        txId,
        agentId,
        prefix,
        appendId,
        json,
        this.stagings === undefined,
      );
    } catch (error) {
      this.stagings = undefined;
      throw learnFrom(error, this.learn);
    }
    if (this.stagings !== undefined) this.stagings = Math.max(this.stagings, seq);
  }

  async commit(token: string): Promise<CommitResult> {
    const txId = this.txId ?? (await this.begun());
    try {
      return await this.repository.commit(txId, token, this.stagings);
    } catch (error) {
      throw learnFrom(error, this.learn);
    }
  }

  abort(): Promise<TransactionState> | TransactionState {
    if (this.txId === null && this.beginning === undefined) return 'aborted'; // nothing in Redis
    return this.abortStored();
  }

  private async abortStored(): Promise<TransactionState> {
    const txId = this.txId ?? (await this.begun());
    try {
      return await this.repository.abort(txId);
    } catch (error) {
      throw learnFrom(error, this.learn);
    }
  }

  /** Begins a lazy transaction in Redis, once, at its first operation. */
  private begun(): Promise<TransactionId> {
    this.beginning ??= this.lazy!.begin().then(
      (txId) => (this.txId = txId),
      (error: unknown) => {
        this.beginning = undefined; // the next operation tries again
        throw error;
      },
    );
    return this.beginning;
  }
}
