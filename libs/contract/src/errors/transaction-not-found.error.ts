import { TransactionError } from './transaction.error';

export class TransactionNotFoundError extends TransactionError {
  override readonly code = 'TRANSACTION_NOT_FOUND' as const;

  constructor(txId: string) {
    super(
      `Transaction not found: ${JSON.stringify(txId)}. It never existed, or it ended longer ago ` +
        'than the retention of finished transactions (finishedTransactionRetentionMs).',
      { txId },
    );
  }
}
