import type { RetentionPolicy } from '../api/statehouse.types';
import { ValidationError } from '../errors';

/** A JSON value as stored: plain objects, arrays, strings, finite numbers, booleans and null. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A record's value: the top level is always a plain object. */
export type JsonObject = { [key: string]: JsonValue };

// C0 controls, DEL and C1 controls (U+0000-U+001F, U+007F-U+009F: General Category Cc), spelled as
// a property: control bytes are written out only in storage/marks.ts (marks.spec.ts).
const CONTROL_CHARACTER = /\p{Cc}/u;
export const MAX_NAME_BYTES = 256;

/**
 * The namespace rule, the same as the official daemon's and as agentId's: any non-empty Unicode
 * name without control characters, at most 256 UTF-8 bytes (`team:alpha`, `prod/eu`, `日本語`).
 * The single definition: the engine, the server's requests, its `--namespace` and `--tokens`, and
 * transaction ids all check a namespace here. Redis key names carry it encoded (storage/keys.ts).
 */
export function validateNamespace(value: unknown, field = 'namespace'): string {
  return validateName(value, field);
}

/** agentId, key and prefix rules: non-empty Unicode without control characters, at most 256 UTF-8 bytes. */
export function validateName(
  value: unknown,
  field: string,
  options: { allowEmpty?: boolean } = {},
): string {
  if (typeof value !== 'string') {
    throw new ValidationError(field, `must be a string (got ${describe(value)})`);
  }
  if (value.length === 0 && !options.allowEmpty) {
    throw new ValidationError(field, 'must not be empty');
  }
  if (!value.isWellFormed()) {
    throw new ValidationError(field, 'must be well-formed Unicode (it holds a lone surrogate)');
  }
  if (CONTROL_CHARACTER.test(value)) {
    throw new ValidationError(field, 'must not contain control characters');
  }
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_NAME_BYTES) {
    throw new ValidationError(
      field,
      `must be at most ${MAX_NAME_BYTES} UTF-8 bytes (got ${bytes})`,
    );
  }
  return value;
}

export function validateInteger(
  value: unknown,
  field: string,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    throw new ValidationError(field, `must be an integer ${range} (got ${describe(value)})`);
  }
  return value;
}

export function validateBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') {
    throw new ValidationError(field, `must be true or false (got ${describe(value)})`);
  }
  return value;
}

/** Requires a plain object argument, naming the call when it is not. */
export function validateArgs<T extends object>(value: unknown, call: string): T {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError(`${call} argument`, `must be an object (got ${describe(value)})`);
  }
  return value as T;
}

/** The most records one getMany reads. */
export const MAX_GET_MANY = 1000;

/**
 * The records of a getMany, checked: an array of `{ agentId, key }` (at most MAX_GET_MANY), each
 * named as `get` names it (`records[2].key`).
 */
export function validateRecordRefs(
  value: unknown,
): Array<{ readonly agentId: string; readonly key: string }> {
  if (!Array.isArray(value)) {
    throw new ValidationError(
      'getMany argument',
      `must be an array of { agentId, key } (got ${describe(value)})`,
    );
  }
  if (value.length > MAX_GET_MANY) {
    throw new ValidationError(
      'getMany argument',
      `must name at most ${MAX_GET_MANY} records (got ${value.length}); read them in several calls`,
    );
  }
  return value.map((ref: unknown, i) => {
    const args = validateArgs<{ agentId: unknown; key: unknown }>(ref, `records[${i}]`);
    return {
      agentId: validateName(args.agentId, `records[${i}].agentId`),
      key: validateName(args.key, `records[${i}].key`),
    };
  });
}

/**
 * How deep a record value may nest: the value itself is level 1, each object or array inside it one
 * level more (`{ a: { b: [1] } }` is 3 deep). Measured, not chosen: the Statehouse Python SDK
 * (protobuf's C++ decoder, recursion limit 100; a Struct level costs three messages: Struct, map
 * entry, Value) reads a statehouse.v1 GetState answer up to 33 levels deep and refuses 34, and
 * protobufjs (limit 100, map entries not counted) encodes 50. 32 levels are served to every
 * client of every API.
 */
export const MAX_VALUE_DEPTH = 32;

/**
 * Checks a record value against the contract and returns its JSON text. The top level must be a
 * plain object; inside, only plain objects, arrays, strings, finite numbers, booleans and null,
 * nested at most MAX_VALUE_DEPTH levels.
 */
export function serializeValue(value: unknown, maxBytes: number, field = 'value'): string {
  if (!isPlainObject(value)) {
    throw new ValidationError(field, `must be a plain JSON object (got ${describe(value)})`);
  }
  checkJson(value, field);
  const json = JSON.stringify(value);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxBytes) {
    throw new ValidationError(
      field,
      `must be at most ${maxBytes} bytes serialized (got ${bytes}; raise maxValueBytes to allow more)`,
    );
  }
  return json;
}

/** The ValidationError of a value nested deeper than `max` levels (`path`: where it went deeper). */
export function tooDeep(field: string, path: string, max = MAX_VALUE_DEPTH): ValidationError {
  return new ValidationError(
    field,
    `must be nested at most ${max} levels deep (objects and arrays; the ${field} itself is ` +
      `level 1), but ${shortPath(path)} is level ${max + 1}`,
  );
}

/** A path for a message: its start and its end when it is long (keys can be long). */
function shortPath(path: string): string {
  return path.length <= 200 ? path : `${path.slice(0, 60)}…${path.slice(-120)}`;
}

/** An object or array being checked: its path and the next of its children to visit. */
interface Frame {
  readonly container: object;
  readonly path: string;
  /** The keys of an object; null for an array (its indexes). */
  readonly keys: string[] | null;
  readonly size: number;
  next: number;
}

/**
 * The value's rules, without recursion (a value nested thousands deep must get a ValidationError,
 * not a stack overflow): an explicit stack of the containers on the path from the root.
 */
function checkJson(root: object, field: string): void {
  const ancestors = new Set<object>();
  const stack: Frame[] = [];
  const visit = (value: unknown, path: string): void => {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return;
      case 'number':
        if (!Number.isFinite(value)) {
          throw new ValidationError(path, `must be a finite number (got ${String(value)})`);
        }
        return;
      case 'object':
        break;
      default:
        throw new ValidationError(path, `is not JSON (got ${describe(value)})`);
    }
    if (value === null) return;
    if (ancestors.has(value)) {
      throw new ValidationError(path, 'refers back to itself (cycles cannot be stored as JSON)');
    }
    if (stack.length === MAX_VALUE_DEPTH) throw tooDeep(field, path);
    let keys: string[] | null = null;
    let size: number;
    if (Array.isArray(value)) {
      if (Object.getPrototypeOf(value) !== Array.prototype) {
        throw new ValidationError(path, 'must be a plain array');
      }
      size = value.length;
    } else if (isPlainObject(value)) {
      if (Object.getOwnPropertySymbols(value).length > 0) {
        throw new ValidationError(path, 'must not have symbol keys');
      }
      keys = Object.keys(value);
      size = keys.length;
    } else {
      throw new ValidationError(path, `must be a plain object or array (got ${describe(value)})`);
    }
    ancestors.add(value);
    stack.push({ container: value, path, keys, size, next: 0 });
  };
  visit(root, field);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.next === frame.size) {
      ancestors.delete(frame.container);
      stack.pop();
      continue;
    }
    const i = frame.next++;
    if (frame.keys === null) {
      const array = frame.container as unknown[];
      if (!(i in array))
        throw new ValidationError(`${frame.path}[${i}]`, 'is a hole in a sparse array');
      visit(array[i], `${frame.path}[${i}]`);
    } else {
      const key = frame.keys[i]!;
      visit((frame.container as Record<string, unknown>)[key], `${frame.path}.${key}`);
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A short description of a value for error messages, never its whole content. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'bigint':
      return 'a BigInt';
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default: {
      const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)
        ?.constructor?.name;
      return name && name !== 'Object' ? `an instance of ${name}` : 'an object';
    }
  }
}

/**
 * A retention policy's rules, checked: maxVersionsPerKey at least 1 (the latest version always
 * stays), maxAgeMs at least 1, deletedRecordTtlMs at least 0. Absent rules stay absent.
 */
export function validateRetention(value: unknown, field: string): RetentionPolicy {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError(
      field,
      'must be an object { maxVersionsPerKey?, maxAgeMs?, deletedRecordTtlMs? }',
    );
  }
  const given = value as Record<string, unknown>;
  const policy: { -readonly [K in keyof RetentionPolicy]: number } = {};
  const rules = { maxVersionsPerKey: 1, maxAgeMs: 1, deletedRecordTtlMs: 0 } as const;
  for (const [rule, min] of Object.entries(rules) as Array<[keyof RetentionPolicy, number]>) {
    if (given[rule] !== undefined && given[rule] !== null) {
      policy[rule] = validateInteger(given[rule], field === '' ? rule : `${field}.${rule}`, min);
    }
  }
  return policy;
}
