import type { JsonObject } from '@statehouse/contract';

/** A record as stored in the state hash: `"<version> <commitTs> <json>"`, or without json for a tombstone. */
export interface StoredRecord {
  readonly version: number;
  readonly commitTs: number;
  readonly value: JsonObject | null;
}

export function parseStoredRecord(stored: string): StoredRecord {
  const first = stored.indexOf(' ');
  const second = stored.indexOf(' ', first + 1);
  return {
    version: Number(stored.slice(0, first)),
    commitTs: Number(second < 0 ? stored.slice(first + 1) : stored.slice(first + 1, second)),
    value: second < 0 ? null : (JSON.parse(stored.slice(second + 1)) as JsonObject),
  };
}

/** An operation as stored in the log: `"<version>:<json>"`, or `"<version>:"` for a delete. */
export function parseLoggedOperation(logged: string): {
  version: number;
  value: JsonObject | null;
} {
  const colon = logged.indexOf(':');
  const json = logged.slice(colon + 1);
  return {
    version: Number(logged.slice(0, colon)),
    value: json.length === 0 ? null : (JSON.parse(json) as JsonObject),
  };
}

/**
 * The field of a log entry that holds its commit's time (ms on the Redis clock), after the
 * records' fields: applyOperations.lua writes it (its local COMMIT_TIME_FIELD). It holds no NUL, so
 * it is never taken for a record.
 */
export const COMMIT_TIME_FIELD = 't';
