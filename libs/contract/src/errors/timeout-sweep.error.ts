import { StatehouseError } from './statehouse.error';

/**
 * A timeout sweep failed (reported to `onError` with source `timeout-sweep`, never thrown to a
 * caller). Until a sweep succeeds, the namespace's transactions past their deadline stay open in
 * Redis: each still refuses every operation after its deadline, but holds its slot of the
 * namespace's quota.
 */
export class TimeoutSweepError extends StatehouseError {
  readonly code = 'TIMEOUT_SWEEP_FAILED' as const;
  readonly namespace: string;
  /** This attempt (1 for the first), and how many the job has. */
  readonly attempt: number;
  readonly attempts: number;

  constructor(namespace: string, attempt: number, attempts: number, cause: unknown) {
    const reason =
      typeof cause === 'object' && cause !== null && typeof (cause as Error).message === 'string'
        ? (cause as Error).message
        : String(cause);
    const next =
      attempt < attempts
        ? 'it is retried with backoff'
        : "given up: the namespace's next sweep (due with its next transaction's deadline) retries";
    super(
      `The timeout sweep of namespace ${JSON.stringify(namespace)} failed ` +
        `(attempt ${attempt} of ${attempts}; ${next}): ${reason}`,
      { cause },
    );
    this.namespace = namespace;
    this.attempt = attempt;
    this.attempts = attempts;
  }
}
