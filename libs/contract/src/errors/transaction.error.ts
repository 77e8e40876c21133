import { StatehouseError, type StatehouseErrorCode } from './statehouse.error';

/** Why a transaction refused an operation because of the state it is in. */
export type TransactionStateCode =
  'TRANSACTION_ALREADY_COMMITTED' | 'TRANSACTION_ALREADY_ABORTED' | 'TRANSACTION_TIMEOUT';

const STATE_MESSAGES: Record<TransactionStateCode, string> = {
  TRANSACTION_ALREADY_COMMITTED: 'Transaction already committed',
  TRANSACTION_ALREADY_ABORTED: 'Transaction already aborted',
  TRANSACTION_TIMEOUT: 'Transaction timeout',
};

/**
 * A transaction could not do what was asked. Every other error of the library extends it, so
 * `catch (e) { if (e instanceof TransactionError) ... }` catches them all, as in the Python SDK.
 */
export class TransactionError extends StatehouseError {
  readonly code: StatehouseErrorCode;
  /** The transaction concerned, when there is one. */
  readonly txId: string | undefined;

  constructor(
    message: string,
    options: { code?: StatehouseErrorCode; txId?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = options.code ?? 'TRANSACTION_ERROR';
    this.txId = options.txId;
  }

  /** The error for an operation the transaction's state forbids; the message is exactly the SDK's. */
  static forState(code: TransactionStateCode, txId?: string): TransactionError {
    return new TransactionError(STATE_MESSAGES[code], { code, txId });
  }
}
