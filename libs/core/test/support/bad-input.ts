import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { StatehouseError, type JsonObject } from '@statehouse/core';
import { expectNoStrayKeys as expectNoStrayKeysWith } from '../../../../test/support/stray-keys';

// Generators of good and bad input for the property tests, the contract's rules as an oracle that
// is independent of the library's validation code, and the check that nothing stray is left in
// Redis.

/** A string that must never appear in a Redis key name (agent ids and keys hold it). */
export const MARKER = 'qz-marker-7f3';

/** The contract's rule for agentIds, keys and (allowing '') prefixes. */
export function isValidName(value: unknown, allowEmpty = false): value is string {
  return (
    typeof value === 'string' &&
    (allowEmpty || value.length > 0) &&
    value.isWellFormed() &&
    !/\p{Cc}/u.test(value) &&
    Buffer.byteLength(value, 'utf8') <= 256
  );
}

/** An integer in [min, max]. */
export function isIntegerIn(value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** Valid names that are easy to get wrong: separators, braces, unicode, byte-order traps. */
export const TRICKY_NAMES = [
  'k',
  'step:1',
  'step:10',
  'step:2',
  'tool/search',
  '{ns}',
  '}',
  '{',
  'a:b/c{d}',
  'é',
  'e\u0301',
  '日本',
  '🦜',
  '\uffff',
  '\ue000',
  '\u00a0 ',
  '\u200b',
  '\u2028',
  '*?[a]',
  '__proto__',
  'constructor',
  `${MARKER}:x`,
  'x'.repeat(256),
  '🦜'.repeat(64),
];

/** Strings that break a name rule: empty, control characters, lone surrogates, over 256 bytes. */
export const INVALID_NAMES = [
  '',
  '\u0000',
  'a\u0000b',
  'a\nb',
  '\t',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u009f',
  '\ud800',
  'a\udc00',
  '\udbffx',
  'x'.repeat(257),
  'é'.repeat(129),
  '🦜'.repeat(64) + 'x',
];

/** Not strings at all. */
export const NON_STRINGS: unknown[] = [
  undefined,
  null,
  0,
  1,
  true,
  {},
  [],
  ['k'],
  { toString: 'x' },
];

/** Lengths near the 256-byte limit, ending in a one- to four-byte character. */
const nearLimit = fc
  .tuple(fc.integer({ min: 250, max: 256 }), fc.constantFrom('', 'é', '日', '🦜'))
  .map(([bytes, tail]) => 'x'.repeat(Math.max(0, bytes - Buffer.byteLength(tail))) + tail);

/** Any name-like input, valid or not. */
export const anyName: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(...TRICKY_NAMES), weight: 4 },
  { arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 6 }), weight: 1 },
  { arbitrary: fc.string({ unit: 'grapheme', minLength: 60, maxLength: 70 }), weight: 1 },
  { arbitrary: nearLimit, weight: 1 },
  { arbitrary: fc.constantFrom(...INVALID_NAMES), weight: 3 },
  { arbitrary: fc.constantFrom(...NON_STRINGS), weight: 1 },
);

/** Numbers where JSON, Lua and doubles disagree easily. */
const edgeNumbers = fc.constantFrom(
  0,
  -0,
  1,
  -1,
  2 ** 31,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 63),
  Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER,
  123456789012345680000,
  1e21,
  1e-7,
  0.1,
  5e-324,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
);

const jsonLeaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  edgeNumbers,
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.string({ unit: 'binary', maxLength: 6 }), // control characters and lone surrogates are fine in values
);

const { json: jsonTree } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    jsonLeaf,
    fc.array(tie('json'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 5 }), tie('json'), { maxKeys: 4 }),
  ),
}));

/** A valid value (plain JSON object), up to a few KB when `big`. */
export const plainObject: fc.Arbitrary<JsonObject> = fc.oneof(
  {
    arbitrary: fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), jsonTree, { maxKeys: 5 }),
    weight: 6,
  },
  {
    arbitrary: fc
      .constant(null)
      .map(() => JSON.parse('{"__proto__":{"x":1},"constructor":"c","":[[],{}]}') as JsonObject),
    weight: 1,
  },
  {
    arbitrary: fc.constant(null).map(() => Object.assign(Object.create(null) as object, { n: 1 })),
    weight: 1,
  },
  {
    arbitrary: fc.integer({ min: 1, max: 6000 }).map((n) => ({ big: 'é'.repeat(n) })),
    weight: 1,
  },
) as fc.Arbitrary<JsonObject>;

/** Leaves that are not JSON (each built fresh). */
const INVALID_LEAVES: Array<() => unknown> = [
  () => NaN,
  () => Infinity,
  () => -Infinity,
  () => 10n,
  () => undefined,
  () => () => 1,
  () => Symbol('s'),
  () => new Date(0),
  () => new Map([[1, 2]]),
  () =>
    new (class Point {
      x = 1;
    })(),
  () => [1, , 3], // eslint-disable-line no-sparse-arrays
  () => Object.assign(Object.create({ inherited: 1 }) as object, { a: 1 }),
  () => new Uint8Array(2),
  () => /re/,
  () => new Number(1),
  () => ({ [Symbol('k')]: 1 }),
];

/** Top-level values that are not a plain object (each built fresh). */
const INVALID_TOP: Array<() => unknown> = [
  () => null,
  () => undefined,
  () => [],
  () => [{ a: 1 }],
  () => 'text',
  () => 42,
  () => true,
  () => new Date(0),
  () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = { back: cycle };
    return cycle;
  },
  ...INVALID_LEAVES,
];

/** A value with its expected validity (`maxBytes`: the client's maxValueBytes). */
export interface ValueCase {
  readonly value: unknown;
  readonly valid: boolean;
}

export function anyValue(maxBytes: number): fc.Arbitrary<ValueCase> {
  const valid = plainObject.map((value) => ({
    value,
    valid: Buffer.byteLength(JSON.stringify(value), 'utf8') <= maxBytes,
  }));
  const invalidTop = fc
    .constantFrom(...INVALID_TOP)
    .map((make) => ({ value: make(), valid: false }));
  const invalidInside = fc
    .tuple(plainObject, fc.constantFrom(...INVALID_LEAVES), fc.string({ maxLength: 4 }), fc.nat(2))
    .map(([base, make, name, depth]) => {
      const leaf = make();
      const nested = depth === 0 ? leaf : depth === 1 ? [1, leaf] : { deep: [{ [name]: leaf }] };
      return { value: { ...base, bad: nested }, valid: false };
    });
  return fc.oneof(
    { arbitrary: valid, weight: 5 },
    { arbitrary: invalidTop, weight: 2 },
    { arbitrary: invalidInside, weight: 2 },
  );
}

/** How a stored value reads back: its JSON round trip (-0 is 0, no prototypes). */
export function asStored(value: unknown): JsonObject {
  return JSON.parse(JSON.stringify(value)) as JsonObject;
}

/** Byte-wise order of the UTF-8 encodings (the order of listings). */
export function utf8Order(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Every stable code of the library's errors. */
export const ERROR_CODES = new Set([
  'TRANSACTION_ERROR',
  'TRANSACTION_ALREADY_COMMITTED',
  'TRANSACTION_ALREADY_ABORTED',
  'TRANSACTION_TIMEOUT',
  'TRANSACTION_READ_ONLY',
  'TRANSACTION_NOT_FOUND',
  'VALIDATION_FAILED',
  'LIMIT_EXCEEDED',
  'QUOTA_EXCEEDED',
  'VERSION_NOT_FOUND',
  'VERSION_COMPACTED',
  'STORAGE_UNAVAILABLE',
  'COMMIT_UNKNOWN',
  'CONFLICT',
  'CLIENT_CLOSED',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
]);

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: StatehouseError };

/**
 * Runs a call (which may throw synchronously) and returns its result or its error; anything thrown
 * that is not one of the library's typed errors fails the property.
 */
export async function outcome<T>(call: () => Promise<T> | T): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    if (!(error instanceof StatehouseError)) {
      throw new Error(
        `untyped error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
    if (!ERROR_CODES.has(error.code) || error.name !== error.constructor.name || !error.message) {
      throw new Error(`malformed error: ${error.name} ${error.code} ${error.message}`);
    }
    return { ok: false, error };
  }
}

/** The namespace's keys are only its own kinds, and no key name holds this file's marker. */
export const expectNoStrayKeys = (redis: Redis, namespace: string, keyPrefix = 'sh') =>
  expectNoStrayKeysWith(redis, namespace, MARKER, keyPrefix);
