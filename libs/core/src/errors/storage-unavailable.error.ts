import { TransactionError } from './transaction.error';

/**
 * Redis could not be reached, refused the command, or its answer was lost. Every operation but
 * commit is safe to retry: reads change nothing, and staging the same write or delete again is
 * idempotent (a lost answer may mean it was staged). A commit reports CommitUnknownError instead.
 */
export class StorageUnavailableError extends TransactionError {
  override readonly code = 'STORAGE_UNAVAILABLE' as const;

  constructor(detail: string, options: { txId?: string; cause?: unknown } = {}) {
    super(`Storage unavailable: ${detail}. Check that Redis is running and reachable.`, options);
  }
}
