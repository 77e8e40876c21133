import { Inject, Injectable } from '@nestjs/common';
import {
  CommitUnknownError,
  ValidationError,
  type DeleteInput,
  type Statehouse,
  type Transaction,
  type WriteInput,
} from '@statehouse/core';
import { STATEHOUSE_CLIENT } from '../common/injection-tokens';
import { MetricsService } from '../observability/metrics.service';

const UNKNOWN_RETRIES = 3;

/**
 * Commits for both APIs, measured. A commit whose outcome is unknown (Redis' answer lost) is
 * retried with the same transaction object, hence the same commit token: the retry returns the
 * commitTs if the first attempt committed, and never applies twice.
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
      for (let attempt = 0; ; attempt++) {
        try {
          const commitTs = await tx.commit();
          this.metrics.outcome('committed');
          return commitTs;
        } catch (error) {
          if (!(error instanceof CommitUnknownError) || attempt >= UNKNOWN_RETRIES) throw error;
          await new Promise((done) => setTimeout(done, 100 * 2 ** attempt));
        }
      }
    } catch (error) {
      const code = (error as { code?: string }).code;
      this.metrics.outcome(
        code === 'CONFLICT' ? 'conflict' : code === 'TRANSACTION_TIMEOUT' ? 'timedOut' : 'failed',
      );
      throw error;
    } finally {
      stop();
    }
  }
}
