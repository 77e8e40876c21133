import type { StoredRecord } from '../storage/stored-value';
import type { StateResult } from '@statehouse/contract';

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
