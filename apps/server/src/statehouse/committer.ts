import { Injectable } from '@nestjs/common';
import { CommitUnknownError, type Transaction } from '@statehouse/core';
import { MetricsService } from '../observability/metrics.service';

const UNKNOWN_RETRIES = 3;

/**
 * Commits for both APIs, measured. A commit whose outcome is unknown (Redis' answer lost) is
 * retried with the same transaction object, hence the same commit token: the retry returns the
 * commitTs if the first attempt committed, and never applies twice.
 */
@Injectable()
export class Committer {
  constructor(private readonly metrics: MetricsService) {}

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
