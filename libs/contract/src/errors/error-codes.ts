import type { TransactionState } from '../api/transaction-state';
import { ClientClosedError } from './client-closed.error';
import { CommitUnknownError } from './commit-unknown.error';
import { GrpcStatus, type GrpcStatusCode } from './grpc-status';
import { LimitExceededError } from './limit-exceeded.error';
import { NamespaceNotEmptyError } from './namespace-not-empty.error';
import { PermissionDeniedError } from './permission-denied.error';
import { QuotaExceededError } from './quota-exceeded.error';
import { ShuttingDownError } from './shutting-down.error';
import type { StatehouseError, StatehouseErrorCode } from './statehouse.error';
import { SnapshotFormatError } from './snapshot-format.error';
import { StorageUnavailableError } from './storage-unavailable.error';
import { TimeoutSweepError } from './timeout-sweep.error';
import { TooManyFollowersError } from './too-many-followers.error';
import { TransactionConflictError } from './transaction-conflict.error';
import { TransactionNotFoundError } from './transaction-not-found.error';
import { TransactionError } from './transaction.error';
import { UnauthenticatedError } from './unauthenticated.error';
import { ValidationError } from './validation.error';
import { VersionCompactedError } from './version-compacted.error';
import { VersionNotFoundError } from './version-not-found.error';

/** What one stable error code means, wherever it is thrown, sent or received. */
export interface ErrorCodeEntry {
  /** The class thrown for it, by the engine and (rebuilt from the code) by the network client. */
  readonly class: abstract new (...args: never[]) => StatehouseError;
  /** How the server answers it over gRPC (with the code in the `statehouse-code` trailer). */
  readonly grpcStatus: GrpcStatusCode;
  /** How the server answers it over HTTP. */
  readonly httpStatus: number;
  /** The state a transaction that refused an operation with it is known to be in, if any. */
  readonly state?: TransactionState;
}

/**
 * The one table of error codes: code → class → gRPC status → HTTP status → transaction state.
 * The engine (a transaction learning its state from a refusal), the server (error-mapping.ts,
 * wire-transactions.ts) and the network client (remote-errors.ts, remote-transaction.ts) all read it.
 */
export const ERROR_CODES: Readonly<Record<StatehouseErrorCode, ErrorCodeEntry>> = {
  VALIDATION_FAILED: {
    class: ValidationError,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
    httpStatus: 400,
  },
  TRANSACTION_NOT_FOUND: {
    class: TransactionNotFoundError,
    grpcStatus: GrpcStatus.NOT_FOUND,
    httpStatus: 404,
  },
  // 410, not 408: HTTP clients (got, ky) resend a 408 by themselves, and a timed-out transaction
  // stays timed out: resending is useless, and for a commit, confusing.
  TRANSACTION_TIMEOUT: {
    class: TransactionError,
    grpcStatus: GrpcStatus.DEADLINE_EXCEEDED,
    httpStatus: 410,
    state: 'timedOut',
  },
  TRANSACTION_ALREADY_COMMITTED: {
    class: TransactionError,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    httpStatus: 409,
    state: 'committed',
  },
  TRANSACTION_ALREADY_ABORTED: {
    class: TransactionError,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    httpStatus: 409,
    state: 'aborted',
  },
  TRANSACTION_READ_ONLY: {
    class: TransactionError,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    httpStatus: 409,
  },
  TRANSACTION_ERROR: {
    class: TransactionError,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    httpStatus: 409,
  },
  // A conflict aborts the transaction: nothing was applied.
  CONFLICT: {
    class: TransactionConflictError,
    grpcStatus: GrpcStatus.ABORTED,
    httpStatus: 409,
    state: 'aborted',
  },
  VERSION_NOT_FOUND: {
    class: VersionNotFoundError,
    grpcStatus: GrpcStatus.NOT_FOUND,
    httpStatus: 404,
  },
  VERSION_COMPACTED: {
    class: VersionCompactedError,
    grpcStatus: GrpcStatus.OUT_OF_RANGE,
    httpStatus: 410,
  },
  LIMIT_EXCEEDED: {
    class: LimitExceededError,
    grpcStatus: GrpcStatus.RESOURCE_EXHAUSTED,
    httpStatus: 413,
  },
  QUOTA_EXCEEDED: {
    class: QuotaExceededError,
    grpcStatus: GrpcStatus.RESOURCE_EXHAUSTED,
    httpStatus: 429,
  },
  STORAGE_UNAVAILABLE: {
    class: StorageUnavailableError,
    grpcStatus: GrpcStatus.UNAVAILABLE,
    httpStatus: 503,
  },
  COMMIT_UNKNOWN: {
    class: CommitUnknownError,
    grpcStatus: GrpcStatus.UNAVAILABLE,
    httpStatus: 503,
  },
  CLIENT_CLOSED: {
    class: ClientClosedError,
    grpcStatus: GrpcStatus.UNAVAILABLE,
    httpStatus: 503,
  },
  UNAUTHENTICATED: {
    class: UnauthenticatedError,
    grpcStatus: GrpcStatus.UNAUTHENTICATED,
    httpStatus: 401,
  },
  PERMISSION_DENIED: {
    class: PermissionDeniedError,
    grpcStatus: GrpcStatus.PERMISSION_DENIED,
    httpStatus: 403,
  },
  TOO_MANY_FOLLOWERS: {
    class: TooManyFollowersError,
    grpcStatus: GrpcStatus.RESOURCE_EXHAUSTED,
    httpStatus: 429,
  },
  SHUTTING_DOWN: {
    class: ShuttingDownError,
    grpcStatus: GrpcStatus.UNAVAILABLE,
    httpStatus: 503,
  },
  NAMESPACE_NOT_EMPTY: {
    class: NamespaceNotEmptyError,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    httpStatus: 409,
  },
  SNAPSHOT_INVALID: {
    class: SnapshotFormatError,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
    httpStatus: 400,
  },
  // Reported to onError only, never answered to a caller; here so that every code has its row.
  TIMEOUT_SWEEP_FAILED: {
    class: TimeoutSweepError,
    grpcStatus: GrpcStatus.INTERNAL,
    httpStatus: 500,
  },
};

/** The table's entry for a code, or undefined for a code it does not know (a newer server's). */
export function errorCodeEntry(code: string | undefined): ErrorCodeEntry | undefined {
  return code !== undefined && Object.hasOwn(ERROR_CODES, code)
    ? ERROR_CODES[code as StatehouseErrorCode]
    : undefined;
}

/** The state a transaction is known to be in after a refusal with this code, if the code says. */
export function stateOfCode(code: string | undefined): TransactionState | undefined {
  return errorCodeEntry(code)?.state;
}
