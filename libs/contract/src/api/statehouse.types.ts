import type { TransactionState } from './transaction-state';
import type { JsonObject } from '../validation/validate';

/** Inputs and results of the Statehouse client API. */
export interface BeginOptions {
  /** Server-side timeout. Default: the client's `defaultTimeoutMs` (30000). */
  readonly timeoutMs?: number;
  readonly namespace?: string;
  /** How long to wait for a free slot when the client has `maxOpenTransactions` open. Default: the client's (2000). */
  readonly maxWaitMs?: number;
  /** A read-only transaction: reads from one snapshot; writes throw "Transaction is read-only". */
  readonly readOnly?: boolean;
  /** With readOnly: the commitTs to read at (Datastore's read_time). Default: the last commit. */
  readonly readTs?: number;
  /**
   * Begin in Redis only at the first operation (Datastore's begin_later): no round trip now, and
   * `tx.id` is null until then. The timeout counts from that first operation.
   */
  readonly lazy?: boolean;
  /**
   * Keep the transaction's writes, deletes, appends and read conditions in this client and send
   * them all with the commit, in one script call (Datastore's way; the fastest way to write).
   * Nothing is in Redis before the commit: the transaction cannot be resumed in another process,
   * and its timeout is kept on this client's clock. Reads inside it still read Redis.
   */
  readonly buffered?: boolean;
  /**
   * A staged transaction whose begin and writes go to Redis without waiting for each answer: a
   * write returns once sent, and a refusal (timeout, limit, quota) is thrown by the next read,
   * listing, `flush()` or commit, which wait for everything sent (the transaction is then
   * aborted). About two durable round trips in all when it stays in this process. Its id is known
   * at once; call `await tx.flush()` before handing it to another process.
   */
  readonly pipelined?: boolean;
  /**
   * Begin the transaction with this id (`<namespace>~<uuid>`), or, if it exists already, continue
   * it as it is: a begin that can be retried safely, and ids chosen by a caller (the gRPC server
   * binds one to a namespace at its first write). Not with lazy or buffered.
   */
  readonly id?: string;
  /**
   * The transaction is handed out and finished elsewhere (a server returns its id to a remote
   * client): it does not count against this client's `maxOpenTransactions`, whose slots are
   * freed only when a transaction ends through this client or passes its deadline.
   */
  readonly detached?: boolean;
}

export interface ResumeOptions {
  /** No round trip: assume the transaction is open; its first operation finds out. */
  readonly lazy?: boolean;
  /**
   * With lazy: the commit token of this handle's commit (8-64 of A-Z a-z 0-9 . _ -). A commit with
   * the token of an earlier successful commit returns that commitTs instead of "already
   * committed": how a server makes its clients' commit retries safe.
   */
  readonly commitToken?: string;
}

export interface TransactionOptions extends BeginOptions {
  /**
   * How many times `client.transaction` runs the callback again after a conflict. Default 5. (A
   * commit whose outcome is unknown is not run again: the same transaction's commit is retried
   * for up to about 5 s, which never applies it twice.)
   */
  readonly maxRetries?: number;
}

export interface RecordRef {
  readonly agentId: string;
  readonly key: string;
  readonly namespace?: string;
}

export interface StateResult {
  readonly exists: boolean;
  readonly value: JsonObject | null;
  /** 0 when the record was never written; a tombstone keeps its version. */
  readonly version: number;
  readonly commitTs: number;
}

export interface ListKeysInput {
  readonly agentId: string;
  readonly namespace?: string;
  /** Page size, 1 to 10000. Default 1000. */
  readonly limit?: number;
  /** The `cursor` of the previous page. */
  readonly cursor?: string | null;
  /**
   * The listing as of this commitTs (as `getState`'s atTs). Such a page may hold fewer than
   * `limit` entries: continue while `cursor` is not null.
   */
  readonly atTs?: number;
}

export interface ScanPrefixInput extends ListKeysInput {
  readonly prefix: string;
}

export interface StateEntry {
  readonly key: string;
  readonly value: JsonObject;
  readonly version: number;
  readonly commitTs: number;
}

export interface ReplayInput {
  readonly agentId: string;
  readonly namespace?: string;
  /** First commitTs to deliver (inclusive). Default 1. */
  readonly startTs?: number;
  /** Last commitTs to deliver (inclusive). Default: no end. */
  readonly endTs?: number;
  /** After the history, keep delivering new commits until the loop breaks or the client closes. */
  readonly follow?: boolean;
  /** Ends the replay when aborted, at once (also while a follower waits for a commit). */
  readonly signal?: AbortSignal;
  /**
   * Start at the namespace's compaction horizon when `startTs` is below it (the history before
   * was removed by its retention policy), rather than fail with VersionCompactedError. The first
   * event then carries `horizon`.
   */
  readonly fromHorizon?: boolean;
}

export interface ReplayOperation {
  readonly key: string;
  /** null: the record was deleted. */
  readonly value: JsonObject | null;
  readonly version: number;
}

export interface ReplayEvent {
  readonly txId: string;
  readonly commitTs: number;
  readonly operations: ReplayOperation[];
  /**
   * On the first event of a `fromHorizon` replay that started above the `startTs` asked for: the
   * compaction horizon it started at (the history before it was removed).
   */
  readonly horizon?: number;
  /**
   * When it committed: ms since the epoch on Redis' clock (absent for commits logged before
   * commits carried their time).
   */
  readonly time?: number;
}

/**
 * What a namespace's compaction removes (each rule optional; none: keep everything, the default).
 * The latest version of every live record is never removed.
 */
export interface RetentionPolicy {
  /** Keep at most this many versions of each record (its latest among them). At least 1. */
  readonly maxVersionsPerKey?: number;
  /** Remove a version once the version after it is older than this (ms). */
  readonly maxAgeMs?: number;
  /** Remove a deleted record (its tombstone and every version) once deleted this long ago (ms). */
  readonly deletedRecordTtlMs?: number;
}

export interface SetRetentionInput extends RetentionPolicy {
  readonly namespace?: string;
}

export interface RetentionInfo {
  readonly namespace: string;
  /** The policy in force: the namespace's own, else the client's (server's) default. */
  readonly policy: RetentionPolicy;
  /** 'namespace': set for it with setRetention; 'default': the configured default policy. */
  readonly source: 'namespace' | 'default';
  /** The compaction horizon: reads as of an earlier commitTs and replays from one are refused. */
  readonly compactedTs: number;
  /** What compaction removed in this namespace so far. */
  readonly removed: CompactionCounts;
}

export interface CompactionCounts {
  /** Versions removed from the version index. */
  readonly versions: number;
  /** Commits removed from the log (and from the replay index). */
  readonly logEntries: number;
  /** Deleted records removed whole (tombstone included), by deletedRecordTtlMs. */
  readonly deletedRecords: number;
}

export interface CompactionResult {
  readonly namespace: string;
  /** What this run removed. */
  readonly removed: CompactionCounts;
  /** The horizon after the run. */
  readonly compactedTs: number;
  /** Script calls it took (each bounded), and the longest one, ms as seen by the client. */
  readonly steps: number;
  readonly longestStepMs: number;
}

/** What a transaction's record says of it. */
export interface TransactionInfo {
  readonly state: TransactionState;
  readonly deadline: number;
  readonly createdAt: number;
  readonly finishedAt: number | null;
  readonly commitTs: number | null;
}

export interface TransactionDescription extends TransactionInfo {
  readonly id: string;
  readonly namespace: string;
}

/** One operation of a transaction sent whole (`commitOperations`). */
export type SentOperation =
  | {
      readonly op: 'write';
      readonly agentId: string;
      readonly key: string;
      readonly value: object;
      readonly ifVersion?: number;
    }
  | {
      readonly op: 'delete';
      readonly agentId: string;
      readonly key: string;
      readonly ifVersion?: number;
    }
  | {
      readonly op: 'append';
      readonly agentId: string;
      readonly prefix: string;
      readonly value: object;
    };

/**
 * A buffered transaction sent whole: its operations and the conditions its reads set, applied
 * atomically in one script call (how the network client commits a buffered transaction).
 */
export interface CommitOperationsInput {
  /**
   * The transaction's id, `<namespace>~<uuid>`, chosen by the sender: with `commitToken`, sending
   * it again after a lost answer returns the first attempt's commitTs instead of applying twice.
   * Default: a new id in `namespace`.
   */
  readonly id?: string;
  readonly namespace?: string;
  /** 8-64 characters of A-Z a-z 0-9 . _ - (default: a new one: no safe resend). */
  readonly commitToken?: string;
  /** Checked like beginTransaction's (the operations are applied at once). */
  readonly timeoutMs?: number;
  readonly operations: ReadonlyArray<SentOperation>;
  /**
   * The versions its reads saw (0: the record did not exist): the commit fails with
   * TransactionConflictError if one of these records changed since. An operation's `ifVersion`
   * takes precedence over a read of the same record.
   */
  readonly reads?: ReadonlyArray<{
    readonly agentId: string;
    readonly key: string;
    readonly version: number;
  }>;
  /**
   * The membership counts its listings saw (`membership` of a listing page): the commit fails
   * with TransactionConflictError if a record of the agent was created or deleted since.
   */
  readonly listings?: ReadonlyArray<{ readonly agentId: string; readonly membership: number }>;
}

export interface CommitOperationsResult {
  readonly commitTs: number;
  readonly txId: string;
  /** The keys allocated to the transaction's appends, in the order of its operations. */
  readonly appendedKeys: string[];
}
