import type { StoredRecord } from '../storage/stored-value';
import type { StateResult } from './statehouse.types';

const RETRY_BASE_MS = 10;
const RETRY_MAX_MS = 1000;

/** Full-jitter exponential backoff, as in Cloud Datastore's and FoundationDB's retry loops. */
export function retryDelayMs(attempt: number): number {
  return Math.random() * Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempt);
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
