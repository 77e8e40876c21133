import { ValidationError } from '@statehouse/core';

/** Fields of a decoded gRPC request (proto-loader objects, absent fields undefined). */
export type GrpcRequest = Record<string, unknown>;

/** The request's `txn_id`, required. */
export function txnIdOf(request: GrpcRequest): string {
  const id = request.txn_id;
  if (typeof id !== 'string' || id === '') throw new ValidationError('txn_id', 'is required');
  return id;
}

/** A string field ('' when absent); the engine validates its content. */
export function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
