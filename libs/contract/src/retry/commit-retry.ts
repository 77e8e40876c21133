import { CommitUnknownError } from '../errors/commit-unknown.error';

const RETRY_BASE_MS = 10;
const RETRY_MAX_MS = 1000;

/**
 * The delay before running a transaction again after a conflict: full-jitter exponential
 * backoff, as in Cloud Datastore's and FoundationDB's retry loops.
 */
export function retryDelayMs(attempt: number): number {
  return Math.random() * Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempt);
}

/** Retries of a commit whose outcome is unknown, and their delays: about 5 s in all. */
export const UNKNOWN_COMMIT_RETRIES = 8;
const UNKNOWN_COMMIT_BASE_MS = 50;
const UNKNOWN_COMMIT_MAX_DELAY_MS = 1000;

/**
 * The delay before committing again after the `attempt`-th CommitUnknownError (0-based): half
 * jittered, doubling from 50 ms to at most 1 s. Half is fixed so that a failover (which takes
 * a second or two) is outlived by the retries, whatever the dice say.
 */
export function unknownCommitDelayMs(attempt: number): number {
  const ceiling = Math.min(UNKNOWN_COMMIT_MAX_DELAY_MS, UNKNOWN_COMMIT_BASE_MS * 2 ** attempt);
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}

export interface CommitRetryOptions {
  /** Commits again at most this many times after CommitUnknownError. Default 8 (about 5 s). */
  readonly retries?: number;
}

/**
 * Commits, and after a CommitUnknownError (a lost answer, a failover, a replica slow to
 * acknowledge) commits the same transaction again until its outcome is known: a retry returns the
 * commitTs of an earlier attempt that committed and never applies twice. Rethrows any other
 * error at once, and CommitUnknownError once the retries are spent. The one policy of the engine
 * (`client.transaction`), the server (its commits for both APIs) and the network client.
 */
export async function commitUntilKnown(
  attempt: () => Promise<number>,
  options: CommitRetryOptions = {},
): Promise<number> {
  const retries = options.retries ?? UNKNOWN_COMMIT_RETRIES;
  for (let failed = 0; ; failed++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof CommitUnknownError) || failed >= retries) throw error;
      await sleep(unknownCommitDelayMs(failed));
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));
