import { TransactionError } from './transaction.error';

/** An import into a namespace that holds data already, without `mode: 'merge'`: nothing was written. */
export class NamespaceNotEmptyError extends TransactionError {
  override readonly code = 'NAMESPACE_NOT_EMPTY' as const;
  readonly namespace: string;

  constructor(namespace: string, detail: string) {
    super(
      `Namespace not empty: ${JSON.stringify(namespace)} ${detail}. Restore into an empty ` +
        "namespace (the import's `namespace` option), or pass mode 'merge' to write the " +
        "snapshot's records over what is there",
    );
    this.namespace = namespace;
  }
}
