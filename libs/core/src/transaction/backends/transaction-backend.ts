import { TransactionStateEntry } from '@statehouse/contract';
// Internal to @statehouse/core: nothing in transaction/backends/ is exported from index.ts
// (layers.spec.ts holds it). What a Transaction delegates to, one backend per kind of transaction.
import { stateOfCode, TransactionError, type TransactionReadResult } from '@statehouse/contract';
import type { TransactionEventType, TransactionState } from '../../model/transaction.machine';
import type { TransactionId } from '../../model/transaction-id';
import type { RecordRepository } from '../../storage/record.repository';
import type { CommitResult, TransactionRepository } from '../../storage/transaction.repository';

/** What a transaction needs from the client that created it. */
export interface TransactionContext {
  readonly repository: TransactionRepository;
  /** Committed records, for the reads of read-only and buffered transactions. */
  readonly records: RecordRepository;
  readonly maxValueBytes: number;
  /** Throws when the client is closed. */
  assertOpen(): void;
}

/** A page a transaction's listing asks for (validated). */
export interface ListPage {
  readonly agentId: string;
  readonly prefix: string;
  readonly after: string | undefined;
  readonly limit: number;
  readonly withValues: boolean;
}

export interface Listing {
  entries: TransactionStateEntry[];
  cursor: string | null;
}

/** Tells the Transaction the state a refusal from Redis implies; it applies it to its machine. */
export type LearnState = (state: TransactionState) => void;

/**
 * Where a transaction's operations go: `StagedBackend` (each one stored in Redis before it
 * resolves), `BufferedBackend` (kept in the client, sent with the commit in one script call) or
 * `SnapshotBackend` (read-only, reads as of one commitTs). The Transaction in front of them
 * validates arguments and owns the machine; a backend does the operation, and reports what a
 * refusal from Redis says about the state through its `LearnState`.
 *
 * Staging and commits are the hot path: a method that has nothing to wait for returns a value,
 * not a promise (`undefined`, a CommitResult, a state), so the Transaction awaits only real I/O.
 */
export interface TransactionBackend {
  /** Null for a lazy staged transaction until its first operation begins it. */
  readonly txId: TransactionId | null;
  readonly readOnly: boolean;
  readonly buffered: boolean;
  /** The commitTs a read-only transaction reads at; null otherwise. */
  readonly readTs: number | null;
  /**
   * Date.now() after which this object itself declares the transaction timed out before `event`;
   * undefined when Redis keeps the deadline.
   */
  clientDeadline(event: TransactionEventType): number | undefined;
  /** Throws the typed error of an event an open transaction of this kind never accepts. */
  assertAccepts(event: TransactionEventType): void;
  get(agentId: string, key: string): Promise<TransactionReadResult>;
  list(page: ListPage): Promise<Listing>;
  /** A write (`json`) or delete (`json` null) of a record. */
  stage(
    agentId: string,
    key: string,
    json: string | null,
    ifVersion: number | undefined,
  ): Promise<void> | undefined;
  append(
    agentId: string,
    prefix: string,
    appendId: string,
    json: string,
  ): Promise<void> | undefined;
  commit(token: string): Promise<CommitResult> | CommitResult;
  /** The state after the abort. */
  abort(): Promise<TransactionState> | TransactionState;
}

/** Hands the state a refusal implies (if any) to `learn`, and returns the error to rethrow. */
export function learnFrom(error: unknown, learn: LearnState): unknown {
  if (error instanceof TransactionError) {
    const learned = stateOfCode(error.code);
    if (learned) learn(learned);
  }
  return error;
}
