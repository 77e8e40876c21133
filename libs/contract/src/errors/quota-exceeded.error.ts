import { TransactionError } from './transaction.error';

/** The quotas of a namespace, held in Redis across every client and server on it. */
export type NamespaceQuota = 'maxOpenTransactionsPerNamespace' | 'maxStagedBytesPerNamespace';

const WHAT: Record<NamespaceQuota, string> = {
  maxOpenTransactionsPerNamespace: 'transactions open at once',
  maxStagedBytesPerNamespace: 'bytes staged at once by its open transactions',
};

const FLAGS: Record<NamespaceQuota, string> = {
  maxOpenTransactionsPerNamespace: '--max-open-transactions-per-namespace',
  maxStagedBytesPerNamespace: '--max-staged-bytes-per-namespace',
};

/**
 * A namespace quota is reached: nothing was begun or staged, and a transaction that was refused a
 * write stays usable. Retry once other transactions of the namespace finish, or raise the quota
 * (gRPC RESOURCE_EXHAUSTED, HTTP 429).
 */
export class QuotaExceededError extends TransactionError {
  override readonly code = 'QUOTA_EXCEEDED' as const;
  readonly quota: NamespaceQuota;
  readonly max: number;
  readonly namespace: string;

  constructor(quota: NamespaceQuota, max: number, namespace: string, txId?: string) {
    super(
      `Quota exceeded: namespace "${namespace}" may have at most ${max} ${WHAT[quota]} ` +
        `(${quota}). Retry once some of its transactions finish, or raise it: the client option ` +
        `${quota}, or the server's ${FLAGS[quota]}`,
      { txId },
    );
    this.quota = quota;
    this.max = max;
    this.namespace = namespace;
  }
}
