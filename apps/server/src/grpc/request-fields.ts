import { ValidationError, type ReplayInput } from '@statehouse/core';

/** The request's `txn_id`, required (absent and '' alike: proto3 cannot tell them apart). */
export function txnIdOf(request: { readonly txn_id?: string }): string {
  const id = request.txn_id;
  if (typeof id !== 'string' || id === '') throw new ValidationError('txn_id', 'is required');
  return id;
}

/** The replay a Replay request asks for (both services name its fields alike). */
export function replayOptionsOf(
  request: { readonly agent_id?: string; readonly start_ts?: number; readonly end_ts?: number },
  namespace: string,
  follow: boolean,
  signal: AbortSignal,
): ReplayInput {
  return {
    namespace,
    agentId: request.agent_id ?? '',
    ...(request.start_ts === undefined ? {} : { startTs: request.start_ts }),
    ...(request.end_ts === undefined ? {} : { endTs: request.end_ts }),
    ...(follow ? { follow } : {}),
    signal,
  };
}
