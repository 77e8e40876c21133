import { encodeCursor } from '@statehouse/contract';
import { TransactionError, type TransactionReadResult } from '@statehouse/contract';
import type { TransactionEventType, TransactionState } from '../../model/transaction.machine';
import type { TransactionId } from '../../model/transaction-id';
import type { RecordRepository } from '../../storage/record.repository';
import type { CommitResult } from '../../storage/transaction.repository';
import type { ListPage, Listing, TransactionBackend } from './transaction-backend';

/** What makes a transaction read-only: one snapshot, and a deadline kept by the client. */
export interface ReadOnlySnapshot {
  /** Every read sees the namespace as of this commitTs. */
  readonly readTs: number;
  /** Date.now() after which operations fail with "Transaction timeout". */
  readonly deadline: number;
}

const NOTHING_APPENDED: ReadonlyMap<string, string> = new Map();

/**
 * A read-only transaction (`readOnly: true`): every read sees the namespace as of one commitTs
 * (`getStateAsOf-3.lua`, `listAsOf-4.lua`). It lives in this process only; writes are refused,
 * and its commit applies nothing and returns the snapshot's commitTs.
 */
export class SnapshotBackend implements TransactionBackend {
  readonly readOnly = true;
  readonly buffered = false;

  constructor(
    private readonly records: RecordRepository,
    readonly txId: TransactionId,
    private readonly snapshot: ReadOnlySnapshot,
  ) {}

  get readTs(): number {
    return this.snapshot.readTs;
  }

  clientDeadline(): number {
    return this.snapshot.deadline;
  }

  assertAccepts(event: TransactionEventType): void {
    if (event === 'WRITE' || event === 'DELETE') this.refuseWrite();
  }

  async get(agentId: string, key: string): Promise<TransactionReadResult> {
    const record = await this.records.getStateAsOf(
      this.txId.namespace,
      agentId,
      key,
      this.snapshot.readTs,
    );
    return {
      exists: record?.value != null,
      value: record?.value ?? null,
      version: record?.version ?? 0,
      commitTs: record?.commitTs ?? 0,
      staged: false,
    };
  }

  async list({ agentId, prefix, after, limit, withValues }: ListPage): Promise<Listing> {
    const page = await this.records.listAsOf(
      this.txId.namespace,
      agentId,
      prefix,
      after,
      this.snapshot.readTs,
      limit,
      withValues,
    );
    return {
      entries: page.entries.map((entry) => ({ ...entry, value: entry.value ?? {}, staged: false })),
      cursor: page.next === null ? null : encodeCursor(page.next),
    };
  }

  /** Never reached through a Transaction (its WRITE is refused first); refused here too. */
  stage(): never {
    this.refuseWrite();
  }

  append(): never {
    this.refuseWrite();
  }

  /** Nothing to apply: a read-only commit ends the snapshot. */
  commit(): CommitResult {
    return { commitTs: this.snapshot.readTs, replayed: false, appended: NOTHING_APPENDED };
  }

  abort(): TransactionState {
    return 'aborted'; // nothing in Redis to abort
  }

  private refuseWrite(): never {
    throw new TransactionError('Transaction is read-only', {
      code: 'TRANSACTION_READ_ONLY',
      txId: this.txId.id,
    });
  }
}
