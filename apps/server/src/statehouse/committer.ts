import { Inject, Injectable } from '@nestjs/common';
import {
  commitUntilKnown,
  stateOfCode,
  TransactionConflictError,
  ValidationError,
  type DeleteInput,
  type WriteInput,
} from '@statehouse/contract';
import type { Statehouse, Transaction } from '@statehouse/core';
import { STATEHOUSE_CLIENT } from '../common/injection-tokens';
import { MetricsService } from '../observability/metrics.service';

/**
 * Commits for both APIs, measured. A commit whose outcome is unknown (Redis' answer lost) is
 * retried with the same transaction object, hence the same commit token, by the contract's
 * policy (commitUntilKnown): the retry returns the commitTs if the first attempt committed, and
 * never applies twice.
 */
@Injectable()
export class Committer {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(STATEHOUSE_CLIENT) private readonly client: Statehouse,
  ) {}

  /**
   * A whole transaction from one request, applied atomically in one script call (a buffered
   * transaction): `operations` are writes and deletes; anything else refuses the whole request.
   */
  async commitOperations(
    namespace: string,
    operations: ReadonlyArray<{ readonly op: unknown; readonly input: WriteInput | DeleteInput }>,
    timeoutMs?: number,
  ): Promise<{ commitTs: number; txId: string }> {
    const tx = await this.client.beginTransaction({
      namespace,
      buffered: true,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
    this.metrics.begun();
    try {
      for (const [i, { op, input }] of operations.entries()) {
        if (op === 'write') await tx.write(input as WriteInput);
        else if (op === 'delete') await tx.delete(input);
        else throw new ValidationError(`operations[${i}].op`, 'must be "write" or "delete"');
      }
    } catch (error) {
      await tx.abort();
      throw error;
    }
    return { commitTs: await this.commit(tx), txId: tx.id };
  }

  async commit(tx: Transaction): Promise<number> {
    const stop = this.metrics.commitDuration.startTimer();
    try {
      const commitTs = await commitUntilKnown(() => tx.commit());
      this.metrics.outcome('committed');
      return commitTs;
    } catch (error) {
      this.metrics.outcome(
        error instanceof TransactionConflictError
          ? 'conflict'
          : stateOfCode((error as { code?: string }).code) === 'timedOut'
            ? 'timedOut'
            : 'failed',
      );
      throw error;
    } finally {
      stop();
    }
  }
}
