import { TransactionError } from './transaction.error';

/**
 * A token used outside the namespaces it is scoped to, or on a transaction another token began
 * (gRPC PERMISSION_DENIED, HTTP 403).
 */
export class PermissionDeniedError extends TransactionError {
  override readonly code = 'PERMISSION_DENIED' as const;
  /** The namespace refused; '' when the refusal is about the transaction's owner. */
  readonly namespace: string;

  constructor(namespace: string, txId?: string, message?: string) {
    // JSON-quoted: a namespace may hold '"' and any Unicode.
    super(message ?? `This token may not use namespace ${JSON.stringify(namespace)}`, { txId });
    this.namespace = namespace;
  }

  /** A statehouse.v1 transaction used with a token other than the one that began it. */
  static notOwner(txId: string): PermissionDeniedError {
    return new PermissionDeniedError(
      '',
      txId,
      `Transaction ${txId} was begun with another token: only the token that began a transaction may write, commit or abort it`,
    );
  }
}
