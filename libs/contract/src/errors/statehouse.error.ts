/** Stable, machine-readable codes of every error the library throws. */
export type StatehouseErrorCode =
  | 'TRANSACTION_ERROR'
  | 'TRANSACTION_ALREADY_COMMITTED'
  | 'TRANSACTION_ALREADY_ABORTED'
  | 'TRANSACTION_TIMEOUT'
  | 'TRANSACTION_READ_ONLY'
  | 'TRANSACTION_NOT_FOUND'
  | 'VALIDATION_FAILED'
  | 'LIMIT_EXCEEDED'
  | 'QUOTA_EXCEEDED'
  | 'VERSION_NOT_FOUND'
  | 'VERSION_COMPACTED'
  | 'STORAGE_UNAVAILABLE'
  | 'COMMIT_UNKNOWN'
  | 'CONFLICT'
  | 'CLIENT_CLOSED'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'TOO_MANY_FOLLOWERS'
  | 'SHUTTING_DOWN'
  | 'TIMEOUT_SWEEP_FAILED'
  | 'NAMESPACE_NOT_EMPTY'
  | 'SNAPSHOT_INVALID';

/** The root of every error thrown by Statehouse. `code` is stable across releases. */
export abstract class StatehouseError extends Error {
  abstract readonly code: StatehouseErrorCode;

  protected constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
