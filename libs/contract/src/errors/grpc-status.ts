/**
 * The gRPC status codes our errors map to, by the numbers of the gRPC specification
 * (grpc/doc/statuscodes.md), which @grpc/grpc-js's `status` enum also uses: the contract names
 * them without depending on a gRPC library (error-codes.spec.ts checks they agree).
 */
export const GrpcStatus = {
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export type GrpcStatusCode = (typeof GrpcStatus)[keyof typeof GrpcStatus];
