import {
  commitUntilKnown,
  validateArgs,
  validateInteger,
  validateName,
  ValidationError,
  type CommitOperationsInput,
  type CommitOperationsResult,
  type DeleteInput,
  type SentOperation,
  type WriteInput,
} from '@statehouse/contract';
import type { AppendHandle } from '@statehouse/contract';
import type { TransactionStarter } from './transaction-starter';

const COMMIT_TOKEN = /^[A-Za-z0-9._-]{8,64}$/;

/** A caller's commit token (resumeTransaction, commitOperations): 8-64 of A-Z a-z 0-9 . _ - */
export function checkCommitToken(token: unknown): void {
  if (token !== undefined && (typeof token !== 'string' || !COMMIT_TOKEN.test(token))) {
    throw new ValidationError('commitToken', 'must be 8-64 characters of A-Z a-z 0-9 . _ -');
  }
}

/**
 * A buffered transaction sent whole (`client.commitOperations`): its operations are staged in a
 * buffered transaction with the sender's id and commit token, its reads' and listings'
 * conditions are added to that transaction's buffer, and it commits in one script call. A
 * sender that lost the answer sends the same id and token again and gets the first commitTs.
 * Anything invalid refuses the whole transaction before anything reaches Redis.
 */
export async function commitSent(
  starter: TransactionStarter,
  input: CommitOperationsInput,
  namespace: string,
): Promise<CommitOperationsResult> {
  const args = validateArgs<CommitOperationsInput>(input, 'commitOperations');
  checkCommitToken(args.commitToken);
  const operations = list<SentOperation>(args.operations, 'operations');
  const reads = list<{ agentId: unknown; key: unknown; version: unknown }>(args.reads, 'reads');
  const listings = list<{ agentId: unknown; membership: unknown }>(args.listings, 'listings');
  const { tx, buffer } = await starter.beginSent(args, namespace, args.commitToken);
  const appends: AppendHandle[] = [];
  try {
    // Reads first: an operation's ifVersion on the same record takes precedence, as in a
    // buffered transaction that read a record and then wrote it conditionally.
    reads.forEach((read, i) => {
      const field = `reads[${i}]`;
      buffer.read(
        validateName(read?.agentId, `${field}.agentId`),
        validateName(read?.key, `${field}.key`),
        validateInteger(read?.version, `${field}.version`, 0),
      );
    });
    listings.forEach((listing, i) => {
      const field = `listings[${i}]`;
      buffer.listed(
        validateName(listing?.agentId, `${field}.agentId`),
        validateInteger(listing?.membership, `${field}.membership`, 0),
      );
    });
    for (const [i, operation] of operations.entries()) {
      const op = (operation as { op?: unknown } | null)?.op;
      if (op === 'write') await tx.write(operation as WriteInput);
      else if (op === 'delete') await tx.delete(operation as DeleteInput);
      else if (op === 'append') {
        appends.push(await tx.append(operation as Extract<SentOperation, { op: 'append' }>));
      } else
        throw new ValidationError(`operations[${i}].op`, 'must be "write", "delete" or "append"');
    }
  } catch (error) {
    await tx.abort();
    throw error;
  }
  // As client.transaction: a commit whose outcome is unknown is retried (same token: never twice).
  const commitTs = await commitUntilKnown(() => tx.commit());
  return { commitTs, txId: tx.id, appendedKeys: appends.map((handle) => handle.key!) };
}

function list<T>(value: unknown, field: string): T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ValidationError(field, 'must be a list');
  return value as T[];
}
