import {
  LimitExceededError,
  MAX_VALUE_DEPTH,
  tooDeep,
  ValidationError,
  type JsonObject,
  type JsonValue,
} from '@statehouse/core';
import type { Struct, Struct__Output } from './generated/google/protobuf/Struct';
import type { Value, Value__Output } from './generated/google/protobuf/Value';

/*
 * google.protobuf.Struct as @grpc/proto-loader gives (`Struct__Output`) and takes (`Struct`) it
 * (`oneofs: true`): Struct `{ fields: { name: Value } }`, Value `{ kind, nullValue | numberValue |
 * stringValue | boolValue | structValue | listValue }`. Numbers travel as doubles; an integral one
 * comes back an integer.
 *
 * Both directions walk without recursion and stop at MAX_VALUE_DEPTH levels (what the Python SDK
 * can decode), and build objects with defineProperty, so a field named `__proto__` stays a field.
 */

/** A container being filled: where its children go, and the path to it (for errors). */
interface Pending<From, To> {
  readonly from: From;
  readonly into: To;
  readonly path: string;
}

/** A request's Struct as a JSON object; ValidationError when it is absent or too deep. */
export function structToJson(
  struct: Struct__Output | null | undefined,
  field = 'value',
): JsonObject {
  if (struct === null || struct === undefined) {
    throw new ValidationError(field, 'is required (a google.protobuf.Struct: a JSON object)');
  }
  const root: JsonObject = {};
  // Depth-first with an explicit stack; `depth` of each entry is its level (root: 1).
  const stack: Array<
    Pending<Value__Output[] | Struct__Output, JsonValue[] | JsonObject> & {
      depth: number;
    }
  > = [{ from: struct, into: root, path: field, depth: 1 }];
  while (stack.length > 0) {
    const { from, into, path, depth } = stack.pop()!;
    const entries: Array<[string, Value__Output, string]> = Array.isArray(from)
      ? from.map((value, i) => [String(i), value, `${path}[${i}]`])
      : Object.entries(from.fields ?? {}).map(([name, value]) => [name, value, `${path}.${name}`]);
    for (const [name, value, childPath] of entries) {
      let child: JsonValue;
      switch (value.kind) {
        case 'numberValue':
          child = value.numberValue ?? 0;
          break;
        case 'stringValue':
          child = value.stringValue ?? '';
          break;
        case 'boolValue':
          child = value.boolValue ?? false;
          break;
        case 'structValue':
        case 'listValue': {
          if (depth === MAX_VALUE_DEPTH) throw tooDeep(field, childPath);
          const list = value.kind === 'listValue';
          child = list ? [] : {};
          stack.push({
            from: list ? (value.listValue?.values ?? []) : (value.structValue ?? {}),
            into: child,
            path: childPath,
            depth: depth + 1,
          });
          break;
        }
        default:
          child = null; // nullValue, or a Value with no kind set
      }
      if (Array.isArray(into)) into.push(child);
      else define(into, name, child);
    }
  }
  return root;
}

/**
 * A stored value as a Struct. One nested deeper than MAX_VALUE_DEPTH (stored before the limit
 * existed) is refused with LIMIT_EXCEEDED: statehouse.v1 clients could not decode it; HTTP and
 * statehouse_ts.v1 serve it.
 */
export function jsonToStruct(json: JsonObject): Struct {
  const root: Struct = { fields: {} };
  const stack: Array<
    Pending<JsonValue[] | JsonObject, Value[] | Struct> & {
      depth: number;
    }
  > = [{ from: json, into: root, path: 'value', depth: 1 }];
  while (stack.length > 0) {
    const { from, into, depth } = stack.pop()!;
    const entries: Array<[string, JsonValue]> = Array.isArray(from)
      ? from.map((value, i) => [String(i), value])
      : Object.entries(from);
    for (const [name, value] of entries) {
      let child: Value;
      if (value === null) child = { nullValue: 'NULL_VALUE' };
      else if (typeof value === 'number') child = { numberValue: value };
      else if (typeof value === 'string') child = { stringValue: value };
      else if (typeof value === 'boolean') child = { boolValue: value };
      else {
        if (depth === MAX_VALUE_DEPTH) {
          throw new LimitExceededError(
            'value depth',
            MAX_VALUE_DEPTH,
            undefined,
            'this record was stored nested deeper, before the limit existed: statehouse.v1 ' +
              'cannot carry it; read it over HTTP or statehouse_ts.v1, or rewrite it shallower',
          );
        }
        if (Array.isArray(value)) {
          const values: Value[] = [];
          child = { listValue: { values } };
          stack.push({ from: value, into: values, path: '', depth: depth + 1 });
        } else {
          const struct: Struct = { fields: {} };
          child = { structValue: struct };
          stack.push({ from: value, into: struct, path: '', depth: depth + 1 });
        }
      }
      if (Array.isArray(into)) into.push(child);
      else define(into.fields!, name, child);
    }
  }
  return root;
}

/** `object[name] = value`, also for `__proto__` (an assignment would set the prototype instead). */
function define<T>(object: Record<string, T>, name: string, value: T): void {
  Object.defineProperty(object, name, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
