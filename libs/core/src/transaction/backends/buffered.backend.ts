import { mergeListing } from '@statehouse/contract';
import type { TransactionReadResult } from '@statehouse/contract';
import type { TransactionEventType, TransactionState } from '../../model/transaction.machine';
import type { TransactionId } from '../../model/transaction-id';
import type { RecordRepository } from '../../storage/record.repository';
import type {
  BufferedCommit,
  CommitResult,
  TransactionRepository,
} from '../../storage/transaction.repository';
import {
  learnFrom,
  type LearnState,
  type ListPage,
  type Listing,
  type TransactionBackend,
} from './transaction-backend';
import type { WriteBuffer } from './write-buffer';

/**
 * A buffered transaction (`buffered: true`): its operations and the conditions its reads set stay
 * in the WriteBuffer, in this process, until the commit sends them all in one script call
 * (`commitBuffered-n.lua`). Reads go to Redis without a transaction.
 */
export class BufferedBackend implements TransactionBackend {
  readonly readOnly = false;
  readonly buffered = true;
  readonly readTs = null;

  constructor(
    private readonly repository: TransactionRepository,
    private readonly records: RecordRepository,
    readonly txId: TransactionId,
    private readonly buffer: WriteBuffer,
    private readonly learn: LearnState,
  ) {}

  /** The client's clock; but a commit already sent may have committed: its retry must reach Redis. */
  clientDeadline(event: TransactionEventType): number | undefined {
    return this.buffer.sent && event === 'COMMIT' ? undefined : this.buffer.deadline;
  }

  assertAccepts(): void {}

  /** Its own operation, else the committed record, whose version the commit then checks. */
  async get(agentId: string, key: string): Promise<TransactionReadResult> {
    const committed = await this.records.getState(this.txId.namespace, agentId, key);
    const staged = this.buffer.staged(agentId, key);
    if (staged === undefined) this.buffer.read(agentId, key, committed?.version ?? 0);
    const value = staged === undefined ? (committed?.value ?? null) : staged;
    return {
      exists: value !== null,
      value,
      version: committed?.version ?? 0,
      commitTs: committed?.commitTs ?? 0,
      staged: staged !== undefined,
    };
  }

  /** A committed page merged with the buffer; the listing (and each value read) becomes a condition. */
  async list({ agentId, prefix, after, limit, withValues }: ListPage): Promise<Listing> {
    const page = await this.records.listWithMembership(
      this.txId.namespace,
      agentId,
      prefix,
      after,
      limit + 1,
      withValues,
    );
    this.buffer.listed(agentId, page.membership);
    for (const { key, stored } of page.committed) {
      if (withValues && stored) this.buffer.read(agentId, key, stored.version);
    }
    return mergeListing(page.committed, this.buffer.stagedOf(agentId), prefix, after, limit);
  }

  stage(
    agentId: string,
    key: string,
    json: string | null,
    ifVersion: number | undefined,
  ): undefined {
    this.buffer.stage(this.txId.id, agentId, key, json, ifVersion);
    return undefined;
  }

  append(agentId: string, prefix: string, appendId: string, json: string): undefined {
    this.buffer.stageAppend(this.txId.id, agentId, prefix, appendId, json);
    return undefined;
  }

  /** Refusals of the buffer itself (a retry past the retention) are thrown here, before any I/O. */
  commit(token: string): Promise<CommitResult> {
    return this.send(this.buffer.toCommit(this.txId, token));
  }

  abort(): TransactionState {
    return 'aborted'; // nothing in Redis to abort
  }

  private async send(commit: BufferedCommit): Promise<CommitResult> {
    try {
      return await this.repository.commitBuffered(commit);
    } catch (error) {
      throw learnFrom(error, this.learn);
    }
  }
}
