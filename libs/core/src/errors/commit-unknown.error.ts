import { TransactionError } from './transaction.error';

/**
 * The commit was sent but its answer was lost (connection dropped, Redis restarted). It either
 * committed fully or not at all. Call `commit()` again on the same transaction: it returns the
 * same commitTs if the first attempt committed, and commits now if it did not.
 */
export class CommitUnknownError extends TransactionError {
  override readonly code = 'COMMIT_UNKNOWN' as const;

  constructor(txId: string, cause: unknown) {
    super(
      'Commit outcome unknown: the connection to Redis failed while committing. ' +
        'The transaction is either fully committed or not at all; call commit() again to find out ' +
        '(it never applies twice).',
      { txId, cause },
    );
  }
}
