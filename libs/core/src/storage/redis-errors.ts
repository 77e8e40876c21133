import { StatehouseError, StorageUnavailableError } from '@statehouse/contract';

/**
 * True when Redis itself answered with an error (a reply): the command was executed or refused,
 * so its outcome is known. Anything else (connection closed, reconnect budget spent, timeouts)
 * leaves the outcome unknown.
 */
export function isRedisReply(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}

/** Turns a failure of the Redis client into a StorageUnavailableError; our own errors pass through. */
export function toStorageError(error: unknown, txId?: string): Error {
  if (error instanceof StatehouseError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new StorageUnavailableError(
    isRedisReply(error)
      ? `Redis refused the command (${message})`
      : `Redis did not answer (${message})`,
    { txId, cause: error },
  );
}

/** Runs a Redis command, turning client failures into StorageUnavailableError. */
export async function runCommand<T>(
  txId: string | undefined,
  command: () => Promise<T>,
): Promise<T> {
  try {
    return await command();
  } catch (error) {
    throw toStorageError(error, txId);
  }
}
