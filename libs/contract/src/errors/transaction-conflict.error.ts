import { TransactionError } from './transaction.error';

/**
 * A record the transaction read (or wrote with `ifVersion`) was changed by another transaction
 * before this one committed; or (`stagedLost`) a Redis failover lost some of its writes before
 * they reached a replica. Nothing was applied and the transaction is aborted; run it again
 * (`client.transaction` does so by itself, up to `maxRetries` times).
 */
export class TransactionConflictError extends TransactionError {
  override readonly code = 'CONFLICT' as const;
  readonly agentId: string;
  /** The record's key; null when the conflict is on the agent's set of keys that was listed. */
  readonly key: string | null;

  constructor(agentId: string, key: string | null, txId?: string, message?: string) {
    super(
      message ??
        (key === null
          ? `Transaction conflict: a record of ${JSON.stringify(agentId)} was created or deleted ` +
            'since this transaction listed its keys. Nothing was applied; run the transaction again.'
          : `Transaction conflict: ${JSON.stringify(agentId)}/${JSON.stringify(key)} changed since ` +
            'this transaction read it (or no longer has the version it expected). Nothing was ' +
            'applied; run the transaction again.'),
      { txId },
    );
    this.agentId = agentId;
    this.key = key;
  }

  /**
   * The commit found fewer (or more) staged writes in Redis than this client made: a failover of
   * the Redis primary lost writes that had not reached a replica yet. agentId is '' and key null.
   */
  static stagedLost(txId: string, found: number): TransactionConflictError {
    return new TransactionConflictError(
      '',
      null,
      txId,
      `Transaction ${txId} lost staged writes in a Redis failover before they reached a replica ` +
        `(Redis holds ${found} of the writes this client made): nothing was applied and the ` +
        'transaction is aborted; run the transaction again.',
    );
  }
}
