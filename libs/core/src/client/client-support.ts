import { CommitUnknownError } from '../errors';
import type { StoredRecord } from '../storage/stored-value';
import type { StateResult } from './statehouse.types';

const RETRY_BASE_MS = 10;
const RETRY_MAX_MS = 1000;

/** Full-jitter exponential backoff, as in Cloud Datastore's and FoundationDB's retry loops. */
export function retryDelayMs(attempt: number): number {
  return Math.random() * Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempt);
}

/** Retries of a commit whose outcome is unknown, and their delays: about 5 s in all. */
const UNKNOWN_COMMIT_RETRIES = 8;
const UNKNOWN_COMMIT_MAX_DELAY_MS = 1000;

/**
 * Commits, and after a CommitUnknownError (a lost answer, a failover, a replica slow to
 * acknowledge) commits the same transaction again until its outcome is known: a retry returns the
 * commitTs of an earlier attempt that committed and never applies twice. Rethrows after ~5 s.
 */
export async function commitUntilKnown(tx: { commit(): Promise<number> }): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await tx.commit();
    } catch (error) {
      if (!(error instanceof CommitUnknownError) || attempt >= UNKNOWN_COMMIT_RETRIES) throw error;
      const ceiling = Math.min(UNKNOWN_COMMIT_MAX_DELAY_MS, 50 * 2 ** attempt);
      await sleep(ceiling / 2 + (Math.random() * ceiling) / 2);
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** True when `promise` settled within `ms` (whether it resolved or rejected). */
export async function withinMs(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((done) => (timer = setTimeout(() => done(false), ms)));
  const settled = promise.then(
    () => true,
    () => true,
  );
  const result = await Promise.race([settled, expired]);
  clearTimeout(timer);
  return result;
}

export function toStateResult(record: StoredRecord | null): StateResult {
  if (record === null) return { exists: false, value: null, version: 0, commitTs: 0 };
  return {
    exists: record.value !== null,
    value: record.value,
    version: record.version,
    commitTs: record.commitTs,
  };
}
