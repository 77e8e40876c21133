import { randomUUID } from 'node:crypto';
import { validateNamespace } from '../validation/validate';
import { TransactionNotFoundError } from '../errors';

/**
 * A transaction id names its namespace, so that any process can find the transaction from the id
 * alone: `<namespace>~<uuid>`. `~` is outside the namespace alphabet, and BullMQ job ids may not
 * contain `:`, so the id doubles as the timeout job's id.
 */
const ID_PATTERN =
  /^([A-Za-z0-9._-]{1,64})~([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export interface TransactionId {
  readonly id: string;
  readonly namespace: string;
  readonly localId: string;
}

export function newTransactionId(namespace: string): TransactionId {
  const localId = randomUUID();
  return { id: `${namespace}~${localId}`, namespace, localId };
}

/** Parses an id; anything that is not one of ours is, to the caller, a transaction not found. */
export function parseTransactionId(id: unknown): TransactionId {
  const match = typeof id === 'string' ? ID_PATTERN.exec(id) : null;
  if (!match) throw new TransactionNotFoundError(String(id));
  return { id: id as string, namespace: validateNamespace(match[1]), localId: match[2]! };
}
