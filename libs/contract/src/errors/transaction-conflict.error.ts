import { TransactionError } from './transaction.error';

/**
 * A record the transaction read (or wrote with `ifVersion`) was changed by another transaction
 * before this one committed. Nothing was applied and the transaction is aborted; run it again
 * (`client.transaction` does so by itself, up to `maxRetries` times).
 */
export class TransactionConflictError extends TransactionError {
  override readonly code = 'CONFLICT' as const;
  readonly agentId: string;
  /** The record's key; null when the conflict is on the agent's set of keys that was listed. */
  readonly key: string | null;

  constructor(agentId: string, key: string | null, txId?: string) {
    super(
      key === null
        ? `Transaction conflict: a record of ${JSON.stringify(agentId)} was created or deleted ` +
            'since this transaction listed its keys. Nothing was applied; run the transaction again.'
        : `Transaction conflict: ${JSON.stringify(agentId)}/${JSON.stringify(key)} changed since ` +
            'this transaction read it (or no longer has the version it expected). Nothing was ' +
            'applied; run the transaction again.',
      { txId },
    );
    this.agentId = agentId;
    this.key = key;
  }
}
