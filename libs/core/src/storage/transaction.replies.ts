import type { ReplicationSettings } from './replication';
import { ScriptCode } from '../commands/script-code';
import {
  TransactionConflictError,
  TransactionError,
  TransactionNotFoundError,
  ValidationError,
} from '@statehouse/contract';
import {
  applyEvent,
  isTransactionState,
  rejectionFor,
  restoreMachineSnapshot,
  snapshotOf,
  type TransactionSnapshot,
  type TransactionState,
} from '../model/transaction.machine';
import type { TransactionId } from '../model/transaction-id';
import type { JsonObject, TransactionInfo } from '@statehouse/contract';
import {
  APPEND_MARK,
  APPENDED_KEY_SEPARATOR,
  APPENDED_LINE_SEPARATOR,
  CONDITION_MARK,
  MEMBERSHIP_MARK,
  SEPARATOR,
} from './marks';
import { parseStoredRecord, type StoredRecord } from './stored-value';

/** Replies of the transaction scripts: their shapes, and how refusals become errors. */

/** Settings of the repository, fixed per client. */
export interface RepositorySettings {
  readonly maxOperations: number;
  readonly maxBytes: number;
  /** Namespace quotas (held in Redis): open transactions, staged bytes. */
  readonly maxOpenPerNamespace: number;
  readonly maxStagedBytesPerNamespace: number;
  /** How long a finished transaction stays known. */
  readonly retentionMs: number;
  /** Most items in one grouped script call. */
  readonly maxBatch: number;
  /** `durability: 'replicated'`: replicas that must acknowledge each commit. */
  readonly replication: ReplicationSettings | undefined;
}

export type { TransactionInfo };

/** A transaction as inspected: its description, and its machine restored from Redis. */
export interface InspectedTransaction extends TransactionInfo {
  readonly machine: TransactionSnapshot;
}

/**
 * The machine of an inspected transaction, restored from its stored snapshot (older versions
 * migrated). Redis reports 'timedOut' for an open transaction past its deadline before the sweep
 * has applied it: the restored machine takes the TIMEOUT event then. A buffered transaction's
 * record keeps its final state alone (`stored` is ''): the machine of that state.
 */
export function inspectedMachine(
  reported: TransactionState,
  stored: string | undefined,
): TransactionSnapshot {
  if (!stored) return snapshotOf(reported);
  const restored = restoreMachineSnapshot(stored);
  if (restored.value !== reported && reported === 'timedOut') {
    return applyEvent(restored, 'TIMEOUT') ?? restored;
  }
  return restored;
}

export interface BeginResult {
  /** The deadline, ms on the Redis clock. */
  readonly deadline: number;
  /** Redis' clock when the transaction was created. */
  readonly now: number;
}

export type TimeoutOutcome =
  | { readonly outcome: 'timedOut'; readonly lateMs: number }
  | { readonly outcome: 'final'; readonly state: TransactionState }
  | { readonly outcome: 'notYet'; readonly remainingMs: number }
  | { readonly outcome: 'notFound' };

/** A record read inside a transaction: its own staged operation, or the committed record. */
export type TransactionRead =
  | {
      readonly source: 'staged';
      readonly value: JsonObject | null;
      readonly committed: StoredRecord | null;
    }
  | { readonly source: 'committed'; readonly committed: StoredRecord | null };

/** A staged operation as stored; an append has no key yet but its prefix. */
export interface StagedOperation {
  readonly agentId: string;
  readonly key: string | null;
  readonly prefix?: string;
  readonly json: string | null;
}

export interface CommitResult {
  readonly commitTs: number;
  readonly replayed: boolean;
  /** The keys allocated to the transaction's appends, by append id. */
  readonly appended: ReadonlyMap<string, string>;
}

/** "<append id> TAB <key>" lines, as the commit script reports them. */
const NOTHING_APPENDED: ReadonlyMap<string, string> = new Map();

export function parseAppended(reported: string): ReadonlyMap<string, string> {
  if (!reported) return NOTHING_APPENDED;
  const appended = new Map<string, string>();
  for (const line of reported.split(APPENDED_LINE_SEPARATOR)) {
    const tab = line.indexOf(APPENDED_KEY_SEPARATOR);
    appended.set(line.slice(0, tab), line.slice(tab + 1));
  }
  return appended;
}

/** The error for a refusal of a transaction script. */
export function transactionFailure(tx: TransactionId, code: ScriptCode, detail: unknown): Error {
  if (code === ScriptCode.NOT_FOUND) return new TransactionNotFoundError(tx.id);
  if (code === ScriptCode.CONFLICT && typeof detail === 'string') {
    if (detail.endsWith(MEMBERSHIP_MARK)) {
      return new TransactionConflictError(detail.slice(0, -1), null, tx.id);
    }
    const separator = detail.indexOf(SEPARATOR);
    return new TransactionConflictError(
      detail.slice(0, separator),
      detail.slice(separator + 1),
      tx.id,
    );
  }
  if (code === ScriptCode.STAGED_LOST) {
    return TransactionConflictError.stagedLost(tx.id, Number(detail));
  }
  if (code === ScriptCode.TIMEOUT) return TransactionError.forState('TRANSACTION_TIMEOUT', tx.id);
  if (code === ScriptCode.ID_TAKEN) {
    return new ValidationError(
      'id',
      `belongs to an open staged transaction (${tx.id}): a transaction sent whole needs an id of its own`,
    );
  }
  if (code === ScriptCode.NOT_OPEN && isTransactionState(detail) && detail !== 'open') {
    return TransactionError.forState(rejectionFor(detail), tx.id);
  }
  return new TransactionError(`Unexpected reply ${code} from Redis for transaction ${tx.id}`, {
    txId: tx.id,
  });
}

/** A staged operation as the transaction hash holds it: "<seq>:<w|d>:<json>" (no json for a delete). */
export function parseStagedEntry(entry: string): { seq: number; json: string | null } {
  const kind = entry.indexOf(':') + 1;
  return {
    seq: Number(entry.slice(0, kind - 1)),
    json: entry[kind] === 'w' ? entry.slice(kind + 2) : null,
  };
}

/** The operations staged in a transaction hash, in the order of their last staging. */
export function parseStagedOperations(fields: Record<string, string>): StagedOperation[] {
  const staged: Array<StagedOperation & { seq: number }> = [];
  for (const [field, entry] of Object.entries(fields)) {
    const separator = field.indexOf(SEPARATOR);
    if (separator < 0 || field.startsWith(CONDITION_MARK)) continue; // metadata, or a condition
    const { seq, json } = parseStagedEntry(entry);
    if (field.startsWith(APPEND_MARK)) {
      const [agentId, prefix] = field.slice(APPEND_MARK.length).split(SEPARATOR);
      staged.push({ seq, agentId: agentId!, key: null, prefix, json });
    } else {
      staged.push({
        seq,
        agentId: field.slice(0, separator),
        key: field.slice(separator + 1),
        json,
      });
    }
  }
  return staged
    .sort((a, b) => a.seq - b.seq)
    .map(({ agentId, key, prefix, json }) => ({
      agentId,
      key,
      json,
      ...(prefix === undefined ? {} : { prefix }),
    }));
}

/** A listing inside a transaction: the committed page, and the transaction's own operations. */
export function parseListing(
  agentId: string,
  page: string[],
  staged: string[],
): {
  committed: Array<{ key: string; stored: StoredRecord | null }>;
  staged: Map<string, JsonObject | null>;
} {
  const skip = agentId.length + 1;
  const committed: Array<{ key: string; stored: StoredRecord | null }> = [];
  for (let i = 0; i < page.length; i += 2) {
    committed.push({
      key: page[i]!.slice(skip),
      stored: page[i + 1] ? parseStoredRecord(page[i + 1]!) : null,
    });
  }
  const own = new Map<string, JsonObject | null>();
  for (let i = 0; i < staged.length; i += 2) {
    const { json } = parseStagedEntry(staged[i + 1]!);
    own.set(staged[i]!.slice(skip), json === null ? null : (JSON.parse(json) as JsonObject));
  }
  return { committed, staged: own };
}
