import type { TransactionRepository } from '../storage/transaction.repository';
import { parseTransactionId } from '../model/transaction-id';
import type { SweepJobData } from './timeout.queue';

/** Transactions timed out per read of the deadline index. */
const SWEEP_PAGE = 200;

/**
 * One sweep: times out every transaction of the namespace whose deadline has passed, a page at a
 * time, each with its own atomic, idempotent script (a commit racing it wins or loses whole).
 */
export async function sweepTimeouts(
  repository: TransactionRepository,
  { namespace, due }: SweepJobData,
): Promise<{ retryInMs?: number; timedOut: number }> {
  let timedOut = 0;
  for (;;) {
    const due_ = await repository.dueTransactions(namespace, due, SWEEP_PAGE);
    if ('remainingMs' in due_) return { retryInMs: due_.remainingMs, timedOut };
    const outcomes = await Promise.all(
      due_.ids.map((localId) => repository.timeout(parseTransactionId(`${namespace}~${localId}`))),
    );
    timedOut += outcomes.filter((outcome) => outcome.outcome === 'timedOut').length;
    if (due_.ids.length < SWEEP_PAGE) return { timedOut };
  }
}
