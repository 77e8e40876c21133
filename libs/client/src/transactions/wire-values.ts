import {
  MAX_PAGE,
  serializeValue,
  validateInteger,
  type JsonObject,
  type TransactionListInput,
} from '@statehouse/contract';
import type { ExtRequest } from '../proto';

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
