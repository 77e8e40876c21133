import { status as GrpcStatus } from '@grpc/grpc-js';
import { errorCodeEntry, StatehouseError, TransactionError } from '@statehouse/contract';

/** How an error reaches a client: gRPC status, HTTP status, the stable code and the message. */
export interface MappedError {
  readonly grpcStatus: GrpcStatus;
  readonly httpStatus: number;
  readonly code: string;
  readonly message: string;
  /** True for an error of ours that the client caused or should know of; false: internal. */
  readonly expected: boolean;
}

/** Maps any error to what a client sees; anything not ours is INTERNAL with a generic message. */
export function mapError(error: unknown): MappedError {
  if (error instanceof StatehouseError) {
    // The contract's one table (ERROR_CODES) names both statuses of every code.
    const entry = errorCodeEntry(error.code);
    return {
      grpcStatus: entry?.grpcStatus ?? GrpcStatus.INTERNAL,
      httpStatus: entry?.httpStatus ?? 500,
      code: error.code,
      message: error.message,
      expected: true,
    };
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
