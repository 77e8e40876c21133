import { ValidationError, type ReplayInput } from '@statehouse/core';

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

/** The replay a Replay request asks for (both services name its fields alike). */
export function replayOptionsOf(
  request: GrpcRequest,
  namespace: string,
  follow: boolean,
  signal: AbortSignal,
): ReplayInput {
  return {
    namespace,
    agentId: text(request.agent_id),
    ...(request.start_ts === undefined ? {} : { startTs: Number(request.start_ts) }),
    ...(request.end_ts === undefined ? {} : { endTs: Number(request.end_ts) }),
    ...(follow ? { follow } : {}),
    signal,
  };
}
