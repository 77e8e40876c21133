import { TransactionError } from './transaction.error';

/** Redis could not be reached or did not answer; the operation did not take effect. Safe to retry. */
export class StorageUnavailableError extends TransactionError {
  override readonly code = 'STORAGE_UNAVAILABLE' as const;

  constructor(detail: string, options: { txId?: string; cause?: unknown } = {}) {
    super(`Storage unavailable: ${detail}. Check that Redis is running and reachable.`, options);
  }
}
