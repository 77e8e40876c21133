/**
 * Where an error that no caller sees came from: the work a client does in the background.
 *
 * - `timeout-sweep`: a sweep (timing out a namespace's transactions past their deadline) failed;
 *   BullMQ runs it again with backoff, up to the job's attempts.
 * - `timeout-worker`: the BullMQ worker that runs the sweeps (fetching, locking, moving jobs).
 * - `timeout-queue`: the BullMQ queue the sweeps are scheduled on.
 * - `redis-connection`: a connection to Redis failed or was lost; ioredis reconnects, and each
 *   failed attempt of each connection is one error.
 * - `follow-reader`: the shared reader of follow-mode replays (its interrupts of a blocked read).
 * - `compaction`: a scheduled compaction of a namespace (retention policy) failed; the next run
 *   continues where the history stands.
 */
export const BACKGROUND_ERROR_SOURCES = [
  'timeout-sweep',
  'timeout-worker',
  'timeout-queue',
  'redis-connection',
  'follow-reader',
  'compaction',
] as const;

export type BackgroundErrorSource = (typeof BACKGROUND_ERROR_SOURCES)[number];

/** Receives every background error (`onError` of `Statehouse.connect` and of StatehouseModule). */
export type BackgroundErrorHandler = (error: Error, source: BackgroundErrorSource) => void;

/** Node's socket error codes that mean Redis is out of reach (not that it refused a command). */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/** ioredis' own errors of a lost connection (a command rejected because none is up). */
const CONNECTION_ERROR_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);
const CONNECTION_CLOSED = 'Connection is closed.';

/**
 * `value` if it is an error, whatever realm made it (`instanceof Error` is false for the errors of
 * Node's own modules inside a Jest or vm sandbox), else an Error saying what it was.
 */
export function asError(value: unknown): Error {
  if (
    value instanceof Error ||
    (typeof value === 'object' && value !== null && typeof (value as Error).message === 'string')
  ) {
    return value as Error;
  }
  return new Error(String(value));
}

/**
 * True when `error` (or an error it wraps) says that Redis could not be reached, rather than that
 * Redis answered with an error: BullMQ's and the follow reader's errors of that kind are reported
 * as `redis-connection`, whoever noticed them first.
 */
export function isConnectionError(error: unknown): boolean {
  for (let current = error, depth = 0; current != null && depth < 5; depth++) {
    const { code, name, message, cause } = asError(current) as NodeJS.ErrnoException;
    if (typeof code === 'string' && SOCKET_CODES.has(code)) return true;
    if (CONNECTION_ERROR_NAMES.has(name) || message === CONNECTION_CLOSED) return true;
    current = cause;
  }
  return false;
}
