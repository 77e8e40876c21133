import { ValidationError, type JsonObject, type JsonValue } from '@statehouse/core';

/**
 * google.protobuf.Struct as @grpc/proto-loader gives and takes it (`oneofs: true`): Struct
 * `{ fields: { name: Value } }`, Value `{ kind, nullValue | numberValue | stringValue | boolValue |
 * structValue | listValue }`. Numbers travel as doubles; an integral one comes back an integer.
 */
export interface StructMessage {
  fields?: Record<string, ValueMessage>;
}

interface ValueMessage {
  kind?: string;
  nullValue?: unknown;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: StructMessage;
  listValue?: { values?: ValueMessage[] };
}

export function structToJson(
  struct: StructMessage | null | undefined,
  field = 'value',
): JsonObject {
  if (struct === null || struct === undefined) {
    throw new ValidationError(field, 'is required (a google.protobuf.Struct: a JSON object)');
  }
  const out: JsonObject = {};
  for (const [name, value] of Object.entries(struct.fields ?? {})) out[name] = valueToJson(value);
  return out;
}

function valueToJson(value: ValueMessage): JsonValue {
  switch (value.kind) {
    case 'numberValue':
      return value.numberValue ?? 0;
    case 'stringValue':
      return value.stringValue ?? '';
    case 'boolValue':
      return value.boolValue ?? false;
    case 'structValue':
      return structToJson(value.structValue ?? {});
    case 'listValue':
      return (value.listValue?.values ?? []).map(valueToJson);
    default:
      return null; // nullValue, or a Value with no kind set
  }
}

export function jsonToStruct(json: JsonObject): StructMessage {
  const fields: Record<string, ValueMessage> = {};
  for (const [name, value] of Object.entries(json)) fields[name] = jsonToValue(value);
  return { fields };
}

function jsonToValue(value: JsonValue): ValueMessage {
  if (value === null) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(jsonToValue) } };
  return { structValue: jsonToStruct(value) };
}
