import { TransactionError } from './transaction.error';

/** Why a commit's outcome is unknown. */
export type CommitUnknownReason =
  /** The connection failed while committing: the answer was lost. */
  | 'connection'
  /** The network client: the Statehouse server did not answer a commit. */
  | 'server'
  /** `durability: 'replicated'`: the primary applied the commit, but no replica acknowledged it in time. */
  | 'replication';

const MESSAGES: Record<CommitUnknownReason, string> = {
  connection:
    'Commit outcome unknown: the connection to Redis failed while committing. ' +
    'The transaction is either fully committed or not at all; call commit() again to find out ' +
    '(it never applies twice).',
  server:
    'Commit outcome unknown: the Statehouse server did not answer while committing. ' +
    'The transaction is either fully committed or not at all; call commit() again to find out ' +
    '(it never applies twice).',
  replication:
    'Commit not confirmed: the Redis primary applied it, but too few replicas acknowledged it ' +
    "in time (durability: 'replicated'), so a failover now could lose it. Call commit() again: " +
    'it waits for the replicas again and returns the same commitTs (it never applies twice).',
};

/**
 * The commit was sent but is not confirmed: its answer was lost (connection dropped, Redis
 * restarted), or, with `durability: 'replicated'`, no replica acknowledged it in time. It either
 * committed fully or not at all. Call `commit()` again on the same transaction: it returns the
 * same commitTs if the first attempt committed, and commits now if it did not.
 */
export class CommitUnknownError extends TransactionError {
  override readonly code = 'COMMIT_UNKNOWN' as const;

  constructor(
    txId: string,
    cause: unknown,
    readonly reason: CommitUnknownReason = 'connection',
  ) {
    super(MESSAGES[reason], { txId, cause });
  }
}
