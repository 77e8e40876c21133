/** Return codes of the Lua scripts (the first element of every reply). Failures are negative. */
export enum ScriptCode {
  OK = 0,
  /** Nothing to do: already in the asked-for state (an idempotent retry). */
  NOOP = 1,
  /** Not yet: the timeout job fired before the deadline. */
  LATER = 2,
  NOT_FOUND = -1,
  NOT_OPEN = -2,
  TIMEOUT = -3,
  TOO_MANY_OPERATIONS = -4,
  TOO_MANY_BYTES = -5,
  ID_TAKEN = -6,
  VERSION_NOT_FOUND = -7,
  VERSION_COMPACTED = -8,
  /** Something the transaction read (or wrote with ifVersion) changed before its commit. */
  CONFLICT = -9,
  /** A point-in-time read asked for a commitTs the namespace has not reached. */
  FUTURE = -10,
  /** The namespace has maxOpenTransactionsPerNamespace transactions open already. */
  QUOTA_OPEN_TRANSACTIONS = -11,
  /** Staging this would pass the namespace's maxStagedBytesPerNamespace. */
  QUOTA_STAGED_BYTES = -12,
  /**
   * The commit found a different number of stagings than the client made: a Redis failover lost
   * some before they reached a replica. Nothing applied, the transaction is aborted.
   */
  STAGED_LOST = -13,
  /**
   * The namespace was written before its agent list existed, and the list's one-time backfill
   * (backfillAgents) has not finished: run it, then list again.
   */
  AGENTS_NOT_INDEXED = -14,
  /** A snapshot import into a namespace that holds other data (or another snapshot's import). */
  NAMESPACE_NOT_EMPTY = -15,
  /** A snapshot's operation whose version is not above its record's previous one. */
  SNAPSHOT_BAD_VERSION = -16,
}
