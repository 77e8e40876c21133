import {
  MAX_PAGE,
  serializeValue,
  validateInteger,
  type GetInput,
  type JsonObject,
  type TransactionListInput,
  type TransactionReadResult,
} from '@statehouse/contract';
import type { ExtRequest, ExtResponse } from '../proto';
import type { Rpc } from '../statehouse-client';

type WireState = ExtResponse<'GetState'>;

/**
 * A value as JSON text, checked here as the engine checks it (plain JSON, no cycles, at most
 * MAX_VALUE_DEPTH levels): a bad value fails with the engine's ValidationError naming its field,
 * instead of JSON.stringify's stack overflow or TypeError. Its size is the server's to judge.
 */
export function serialize(value: unknown): string {
  return serializeValue(value, Number.MAX_SAFE_INTEGER);
}

/** A record's `value_json` as answered ("null" or empty when absent). */
export function parseRecordValue(json: string | undefined): JsonObject | null {
  return json ? (JSON.parse(json) as JsonObject | null) : null;
}

/** The fields of a listing request (the server checks them). */
export function pageRequest(
  namespace: string,
  input: TransactionListInput,
): ExtRequest<'ListKeys'> {
  return {
    namespace,
    agent_id: input?.agentId,
    ...(input?.limit === undefined
      ? {}
      : { limit: validateInteger(input.limit, 'limit', 1, MAX_PAGE) }),
    ...(input?.cursor ? { cursor: input.cursor } : {}),
  };
}

/** A committed record as a transaction's read answers it (nothing of its own staged). */
export function committedRead(state: WireState): TransactionReadResult {
  return {
    exists: state.exists === true,
    value: parseRecordValue(state.value_json),
    version: Number(state.version ?? 0),
    commitTs: Number(state.commit_ts ?? 0),
    staged: false,
  };
}

/** Several committed records in one GetStates call (as of `atTs` if given), in the order asked. */
export async function getStates(
  rpc: Rpc,
  namespace: string,
  refs: readonly GetInput[],
  atTs?: number,
): Promise<WireState[]> {
  const { states } = await rpc('GetStates', {
    namespace,
    records: refs.map(({ agentId, key }) => ({ agent_id: agentId, key })),
    ...(atTs === undefined ? {} : { at_ts: atTs }),
  });
  return refs.map((_, i) => states?.[i] ?? {});
}
