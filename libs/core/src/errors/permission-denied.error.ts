import { TransactionError } from './transaction.error';

/** A token used outside the namespaces it is scoped to (gRPC PERMISSION_DENIED, HTTP 403). */
export class PermissionDeniedError extends TransactionError {
  override readonly code = 'PERMISSION_DENIED' as const;
  readonly namespace: string;

  constructor(namespace: string, txId?: string) {
    // JSON-quoted: a namespace may hold '"' and any Unicode.
    super(`This token may not use namespace ${JSON.stringify(namespace)}`, { txId });
    this.namespace = namespace;
  }
}
