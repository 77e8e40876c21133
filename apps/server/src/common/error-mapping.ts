import { status as GrpcStatus } from '@grpc/grpc-js';
import { StatehouseError, TransactionError } from '@statehouse/core';

/** How an error reaches a client: gRPC status, HTTP status, the stable code and the message. */
export interface MappedError {
  readonly grpcStatus: GrpcStatus;
  readonly httpStatus: number;
  readonly code: string;
  readonly message: string;
  /** True for an error of ours that the client caused or should know of; false: internal. */
  readonly expected: boolean;
}

const BY_CODE: Record<string, [GrpcStatus, number]> = {
  VALIDATION_FAILED: [GrpcStatus.INVALID_ARGUMENT, 400],
  TRANSACTION_NOT_FOUND: [GrpcStatus.NOT_FOUND, 404],
  // 410, not 408: HTTP clients (got, ky) resend a 408 by themselves, and a timed-out transaction
  // stays timed out: resending is useless, and for a commit, confusing.
  TRANSACTION_TIMEOUT: [GrpcStatus.DEADLINE_EXCEEDED, 410],
  TRANSACTION_ALREADY_COMMITTED: [GrpcStatus.FAILED_PRECONDITION, 409],
  TRANSACTION_ALREADY_ABORTED: [GrpcStatus.FAILED_PRECONDITION, 409],
  TRANSACTION_READ_ONLY: [GrpcStatus.FAILED_PRECONDITION, 409],
  TRANSACTION_ERROR: [GrpcStatus.FAILED_PRECONDITION, 409],
  CONFLICT: [GrpcStatus.ABORTED, 409],
  VERSION_NOT_FOUND: [GrpcStatus.NOT_FOUND, 404],
  VERSION_COMPACTED: [GrpcStatus.OUT_OF_RANGE, 410],
  LIMIT_EXCEEDED: [GrpcStatus.RESOURCE_EXHAUSTED, 413],
  QUOTA_EXCEEDED: [GrpcStatus.RESOURCE_EXHAUSTED, 429],
  STORAGE_UNAVAILABLE: [GrpcStatus.UNAVAILABLE, 503],
  COMMIT_UNKNOWN: [GrpcStatus.UNAVAILABLE, 503],
  CLIENT_CLOSED: [GrpcStatus.UNAVAILABLE, 503],
  UNAUTHENTICATED: [GrpcStatus.UNAUTHENTICATED, 401],
  PERMISSION_DENIED: [GrpcStatus.PERMISSION_DENIED, 403],
  TOO_MANY_FOLLOWERS: [GrpcStatus.RESOURCE_EXHAUSTED, 429],
  SHUTTING_DOWN: [GrpcStatus.UNAVAILABLE, 503],
};

/** Maps any error to what a client sees; anything not ours is INTERNAL with a generic message. */
export function mapError(error: unknown): MappedError {
  if (error instanceof StatehouseError) {
    const [grpcStatus, httpStatus] = BY_CODE[error.code] ?? [GrpcStatus.INTERNAL, 500];
    return { grpcStatus, httpStatus, code: error.code, message: error.message, expected: true };
  }
  return {
    grpcStatus: GrpcStatus.INTERNAL,
    httpStatus: 500,
    code: 'INTERNAL',
    message: 'Internal error (logged by the server with the request id)',
    expected: false,
  };
}

/** A transaction refused because of what the request asked (a namespace it cannot switch). */
export function invalidNamespaceSwitch(
  txId: string,
  bound: string,
  asked: string,
): TransactionError {
  return new TransactionError(
    `Transaction ${txId} belongs to namespace ${JSON.stringify(bound)} (bound by its first write); this request names ${JSON.stringify(asked)}`,
    { code: 'VALIDATION_FAILED', txId },
  );
}
