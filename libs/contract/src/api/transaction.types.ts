import type { JsonObject } from '../validation/validate';

/** Inputs and results of a transaction's operations. */

export interface WriteInput {
  readonly agentId: string;
  readonly key: string;
  /** A plain JSON object (see the contract's value rules). */
  readonly value: object;
  /**
   * Commit only if the record then still has this version (0: only if it does not exist — a
   * create). Otherwise the commit fails with TransactionConflictError naming the record.
   */
  readonly ifVersion?: number;
}

export interface DeleteInput {
  readonly agentId: string;
  readonly key: string;
  /** As for write: commit only if the record then still has this version. */
  readonly ifVersion?: number;
}

export interface TransactionListInput {
  readonly agentId: string;
  /** Page size, 1 to 10000. Default 1000. */
  readonly limit?: number;
  /** The `cursor` of the previous page. */
  readonly cursor?: string | null;
}

export interface GetInput {
  readonly agentId: string;
  readonly key: string;
}

export interface AppendInput {
  readonly agentId: string;
  /** The allocated key is this prefix followed by 12 digits, so keys sort in append order. */
  readonly prefix: string;
  readonly value: object;
}

/** A staged append; its `key` is filled in when the transaction commits (Datastore's partial keys). */
export interface AppendHandle {
  /** Names this append in the commit's report of allocated keys (`tx.appendedKeys`). */
  readonly id: string;
  readonly agentId: string;
  readonly prefix: string;
  /** null until the commit allocated it. */
  readonly key: string | null;
}

/** A read inside a transaction. */
export interface TransactionReadResult {
  readonly exists: boolean;
  /** This transaction's staged value when `staged`, else the committed value. */
  readonly value: JsonObject | null;
  /** Version and commitTs of the committed record (0 when never written). */
  readonly version: number;
  readonly commitTs: number;
  /** True when the value is this transaction's own staged write or delete (read-your-writes). */
  readonly staged: boolean;
}

/** An operation staged in a transaction, as `tx.mutations` lists it. */
export interface Mutation {
  readonly type: 'write' | 'delete' | 'append';
  readonly agentId: string;
  /** The record's key; null for an append (its key is allocated at commit). */
  readonly key: string | null;
  /** For an append: the prefix of the key it will get. */
  readonly prefix?: string;
  /** The value written (a copy); undefined for a delete. */
  readonly value?: JsonObject;
  readonly ifVersion?: number;
}
