import type { JsonObject, Mutation } from '@statehouse/contract';

export type { Mutation };

/** A staged operation not yet turned into a Mutation (its value still serialized). */
export interface PendingMutation {
  readonly type: Mutation['type'];
  readonly agentId: string;
  readonly key: string | null;
  readonly json: string | null;
  readonly ifVersion?: number;
  readonly prefix?: string;
}

/** A frozen Mutation; `json` is the serialized value of a write. */
export function mutation(
  type: Mutation['type'],
  agentId: string,
  key: string | null,
  json: string | null,
  ifVersion?: number,
  prefix?: string,
): Mutation {
  return Object.freeze({
    type,
    agentId,
    key,
    ...(prefix === undefined ? {} : { prefix }),
    ...(json === null ? {} : { value: deepFreeze(JSON.parse(json) as JsonObject) }),
    ...(ifVersion === undefined ? {} : { ifVersion }),
  });
}

/** Freezes a parsed value and everything in it, without recursion (a value's depth is the user's). */
function deepFreeze<T>(value: T): T {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const next = stack.pop();
    if (next !== null && typeof next === 'object') {
      for (const child of Object.values(next)) stack.push(child);
      Object.freeze(next);
    }
  }
  return value;
}
