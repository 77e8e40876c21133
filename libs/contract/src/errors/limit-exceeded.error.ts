import { TransactionError } from './transaction.error';

/** A configured limit would be exceeded; nothing was staged. The transaction stays usable. */
export class LimitExceededError extends TransactionError {
  override readonly code = 'LIMIT_EXCEEDED' as const;
  readonly limit: string;
  readonly max: number;

  constructor(limit: string, max: number, txId?: string, detail?: string) {
    super(
      `Limit exceeded: ${limit} is at most ${max} (${
        detail ?? 'raise it with the client option of the same name'
      })`,
      { txId },
    );
    this.limit = limit;
    this.max = max;
  }
}
