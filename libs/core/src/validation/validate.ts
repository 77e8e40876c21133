import { ValidationError } from '../errors';

/** A JSON value as stored: plain objects, arrays, strings, finite numbers, booleans and null. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A record's value: the top level is always a plain object. */
export type JsonObject = { [key: string]: JsonValue };

// C0 controls, DEL and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
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

/**
 * Checks a record value against the contract and returns its JSON text. The top level must be a
 * plain object; inside, only plain objects, arrays, strings, finite numbers, booleans and null.
 */
export function serializeValue(value: unknown, maxBytes: number, field = 'value'): string {
  if (!isPlainObject(value)) {
    throw new ValidationError(field, `must be a plain JSON object (got ${describe(value)})`);
  }
  checkJson(value, field, new Set());
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

function checkJson(value: unknown, path: string, ancestors: Set<object>): void {
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
  ancestors.add(value);
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) {
      throw new ValidationError(path, 'must be a plain array');
    }
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw new ValidationError(`${path}[${i}]`, 'is a hole in a sparse array');
      checkJson(value[i], `${path}[${i}]`, ancestors);
    }
  } else if (isPlainObject(value)) {
    if (Object.getOwnPropertySymbols(value).length > 0) {
      throw new ValidationError(path, 'must not have symbol keys');
    }
    for (const [key, child] of Object.entries(value)) {
      checkJson(child, `${path}.${key}`, ancestors);
    }
  } else {
    throw new ValidationError(path, `must be a plain object or array (got ${describe(value)})`);
  }
  ancestors.delete(value);
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
