import { TransactionError } from './transaction.error';

/**
 * Redis could not be reached, refused the command, or its answer was lost. Every operation but
 * commit is safe to retry: reads change nothing, and staging the same write or delete again is
 * idempotent (a lost answer may mean it was staged). A commit reports CommitUnknownError instead.
 */
const REDIS_ADVICE = 'Check that Redis is running and reachable.';

export class StorageUnavailableError extends TransactionError {
  override readonly code = 'STORAGE_UNAVAILABLE' as const;

  /**
   * `advice` replaces the default "Check that Redis is running and reachable." where the thing out
   * of reach is something else (the network client names the Statehouse server's address).
   */
  constructor(detail: string, options: { txId?: string; cause?: unknown; advice?: string } = {}) {
    const { advice = REDIS_ADVICE, ...rest } = options;
    super(`Storage unavailable: ${detail}. ${advice}`, rest);
  }
}
