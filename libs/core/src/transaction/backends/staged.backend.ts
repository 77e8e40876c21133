import type { TransactionReadResult } from '@statehouse/contract';
import type { TransactionState } from '../../model/transaction.machine';
import type { TransactionId } from '../../model/transaction-id';
import type {
  CommitResult,
  TransactionRead,
  TransactionRepository,
} from '../../storage/transaction.repository';
import { mergeListing } from '../transaction-listing';
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

  constructor(
    private readonly repository: TransactionRepository,
    origin: TransactionId | LazyOrigin,
    private readonly learn: LearnState,
  ) {
    if ('begin' in origin) {
      this.txId = null;
      this.lazy = origin;
    } else {
      this.txId = origin;
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
    try {
      await this.repository.stage(txId, agentId, key, json, ifVersion);
    } catch (error) {
      throw learnFrom(error, this.learn);
    }
  }

  async append(agentId: string, prefix: string, appendId: string, json: string): Promise<void> {
    const txId = this.txId ?? (await this.begun());
    try {
      await this.repository.stageAppend(txId, agentId, prefix, appendId, json);
    } catch (error) {
      throw learnFrom(error, this.learn);
    }
  }

  async commit(token: string): Promise<CommitResult> {
    const txId = this.txId ?? (await this.begun());
    try {
      return await this.repository.commit(txId, token);
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
