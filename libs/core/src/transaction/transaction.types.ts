import type { RecordRepository } from '../storage/record.repository';
import type { TransactionRepository } from '../storage/transaction.repository';

/** What makes a transaction read-only: one snapshot, and a deadline kept by the client. */
export interface ReadOnlySnapshot {
  /** Every read sees the namespace as of this commitTs. */
  readonly readTs: number;
  /** Date.now() after which operations fail with "Transaction timeout". */
  readonly deadline: number;
}

/** What a transaction needs from the client that created it. */
export interface TransactionContext {
  readonly repository: TransactionRepository;
  /** Committed records, for the snapshot reads of read-only transactions. */
  readonly records: RecordRepository;
  readonly maxValueBytes: number;
  /** Throws when the client is closed. */
  assertOpen(): void;
}
