import { randomUUID } from 'node:crypto';
import { validateNamespace } from '@statehouse/contract';
import { TransactionNotFoundError, ValidationError } from '@statehouse/contract';

/**
 * A transaction id names its namespace, so that any process can find the transaction from the id
 * alone: `<namespace>~<uuid>`. A namespace may itself hold `~` (or `:`, `/`, spaces), so an id is
 * read from the right: the local id is the lowercase UUID after the last `~`, the namespace is
 * everything before it. An id can hold characters a URL path cannot: HTTP clients percent-encode
 * it (`encodeURIComponent`).
 */
const ID_PATTERN = /^([^]+)~([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export interface TransactionId {
  readonly id: string;
  readonly namespace: string;
  readonly localId: string;
}

export function newTransactionId(namespace: string): TransactionId {
  const localId = randomUUID();
  return { id: `${namespace}~${localId}`, namespace, localId };
}

/** The parts of an id, or null if it is not `<valid namespace>~<lowercase uuid>`. */
export function readTransactionId(id: unknown): TransactionId | null {
  const match = typeof id === 'string' ? ID_PATTERN.exec(id) : null;
  if (!match) return null;
  try {
    return { id: id as string, namespace: validateNamespace(match[1]), localId: match[2]! };
  } catch (error) {
    if (error instanceof ValidationError) return null;
    throw error;
  }
}

/** Parses an id; anything that is not one of ours is, to the caller, a transaction not found. */
export function parseTransactionId(id: unknown): TransactionId {
  const txId = readTransactionId(id);
  if (!txId) throw new TransactionNotFoundError(String(id));
  return txId;
}
