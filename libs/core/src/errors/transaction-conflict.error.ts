import { TransactionError } from './transaction.error';

/**
 * A record the transaction read (or wrote with `ifVersion`) was changed by another transaction
 * before this one committed. Nothing was applied and the transaction is aborted; run it again
 * (`client.transaction` does so by itself, up to `maxRetries` times).
 */
export class TransactionConflictError extends TransactionError {
  override readonly code = 'CONFLICT' as const;
  readonly agentId: string;
  readonly key: string;

  constructor(agentId: string, key: string, txId?: string) {
    super(
      `Transaction conflict: ${JSON.stringify(agentId)}/${JSON.stringify(key)} changed since this ` +
        'transaction read it (or no longer has the version it expected). Nothing was applied; ' +
        'run the transaction again.',
      { txId },
    );
    this.agentId = agentId;
    this.key = key;
  }
}
