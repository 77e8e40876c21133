import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { expectNoStrayKeys as expectNoStrayKeysWith } from '../../../../test/support/stray-keys';

// Generated input for the server's property tests, and the check that nothing stray is left in
// Redis afterwards.

/** A string that must never appear in a Redis key name (agent ids and keys hold it). */
export const MARKER = 'qz-marker-5a1';

/** Stands for the run's namespace in generated input. */
export const HERE = '<this namespace>';

/** Valid names that are easy to get wrong: separators, braces, unicode, byte-order traps. */
const TRICKY_NAMES = [
  'k',
  'step:1',
  'tool/search',
  '{ns}',
  '}',
  'a:b/c{d}',
  'é',
  '🦜',
  '\uffff',
  '%2F',
  '..',
  '?&=#',
  '__proto__',
  `${MARKER}:x`,
  'x'.repeat(256),
];

/** Strings that break a name rule: empty, control characters, lone surrogates, over 256 bytes. */
const INVALID_NAMES = ['', '\u0000', 'a\nb', '\u007f', '\u0085', '\ud800', 'x'.repeat(257)];

/** Any name, valid or not, as a JSON value. */
export const anyName: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(...TRICKY_NAMES), weight: 12 },
  { arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 6 }), weight: 1 },
  { arbitrary: fc.constantFrom(...INVALID_NAMES), weight: 1 },
  { arbitrary: fc.constantFrom(null, 0, true, [], {}, ['k']), weight: 1 },
);

/** A namespace: the run's own, or an invalid one (never another valid one: no keys elsewhere). */
export const anyNamespace: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constant(HERE), weight: 12 },
  // '' is the server's default namespace; the others break the rule. (No lone surrogate: a URL or
  // protobuf carries it as U+FFFD, a valid namespace elsewhere.)
  fc.constantFrom('', 'a\u0000b', 'a\nb', '\u0085', 'é'.repeat(129), 7, null, ['n']),
);

/** Integers, valid or not, as JSON values. */
export const anyInteger: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 8 }), weight: 4 },
  fc.integer({ min: -2, max: 0 }),
  fc.constantFrom(0, 1.5, 1e300, -1, 2 ** 53, 2 ** 64, '3', null, [], {}, true),
);

/** Timeouts, valid (long: they do not fire during a run) or not. */
export const anyTimeout: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.integer({ min: 60_000, max: 600_000 }), weight: 4 },
  fc.constantFrom(0, -1, 1.5, 3_600_001, 1e300, 2 ** 64, '1000', null, [], {}),
);

/** JSON values for `value` fields: plain objects (valid) and everything else. */
export const anyJsonValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    arbitrary: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 3 })),
    weight: 4,
  },
  {
    arbitrary: fc.constantFrom(
      { i: 2 ** 53 + 2, f: 0.1, e: 1e300, n: -0 },
      { nested: [[[[[[[[[[{}]]]]]]]]]] },
      { s: '\ud800 lone' },
    ),
    weight: 1,
  },
  { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 },
  { arbitrary: fc.constantFrom(undefined, [], [{}], null, 'text', 3), weight: 1 },
  {
    arbitrary: fc.integer({ min: 1, max: 1200 }).map((kb) => ({ big: 'x'.repeat(kb * 1024) })),
    weight: 1,
  },
);

/** The namespace's keys are only its own kinds, and no key name holds this file's marker. */
export const expectNoStrayKeys = (redis: Redis, namespace: string) =>
  expectNoStrayKeysWith(redis, namespace, MARKER);
