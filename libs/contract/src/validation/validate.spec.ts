import { StatehouseError, TransactionError, ValidationError } from '../errors';
import {
  MAX_NAME_BYTES,
  MAX_VALUE_DEPTH,
  serializeValue,
  validateArgs,
  validateBoolean,
  validateInteger,
  validateName,
  validateNamespace,
} from './validate';

/** Runs `fn`, requires a ValidationError as the contract describes it, and returns it. */
function validationError(fn: () => unknown): ValidationError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ValidationError);
  const error = thrown as ValidationError;
  expect(error).toBeInstanceOf(TransactionError);
  expect(error).toBeInstanceOf(StatehouseError);
  expect(error.name).toBe('ValidationError');
  expect(error.code).toBe('VALIDATION_FAILED');
  expect(error.message).toContain(error.field);
  expect(error.message).toContain(error.rule);
  return error;
}

function expectRejected(fn: () => unknown, field: string, rule: RegExp): void {
  const error = validationError(fn);
  expect(error.field).toBe(field);
  expect(error.message).toMatch(rule);
}

const MIB = 1024 * 1024;
const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

class Point {
  constructor(
    readonly x = 1,
    readonly y = 2,
  ) {}
}

describe('validateNamespace', () => {
  it.each([
    'default',
    'a',
    'A-Z.a_z-0.9',
    '-',
    '.',
    '_',
    '0',
    'x'.repeat(64),
    // Refused before, accepted by the official daemon:
    'team:alpha',
    'prod/eu',
    'my namespace',
    ' ',
    '日本語',
    'café',
    '🦜',
    'a{b',
    'a}b',
    '{x}',
    '~',
    'my~ns',
    '100%',
    '*',
    'x'.repeat(65),
    'x'.repeat(MAX_NAME_BYTES),
    '日'.repeat(85), // 255 bytes
  ])('accepts %p', (namespace) => {
    expect(validateNamespace(namespace)).toBe(namespace);
  });

  it.each<[string, unknown, RegExp]>([
    ['the empty string', '', /must not be empty/],
    ['a NUL', 'ns\u0000', /must not contain control characters/],
    ['a trailing newline', 'ns\n', /must not contain control characters/],
    ['a tab', 'my\tns', /must not contain control characters/],
    ['DEL', 'ns\u007f', /must not contain control characters/],
    ['a C1 control', 'ns\u0085', /must not contain control characters/],
    ['257 UTF-8 bytes', 'x'.repeat(257), /at most 256 UTF-8 bytes \(got 257\)/],
    ['258 UTF-8 bytes in 86 characters', '日'.repeat(86), /at most 256 UTF-8 bytes \(got 258\)/],
    ['a lone high surrogate', 'ns\ud83d', /well-formed Unicode \(it holds a lone surrogate\)/],
    ['a lone low surrogate', '\ude00ns', /well-formed Unicode/],
    ['undefined', undefined, /must be a string \(got undefined\)/],
    ['null', null, /must be a string/],
    ['a number', 42, /must be a string/],
    ['an array', ['ns'], /must be a string/],
    ['an object', { namespace: 'ns' }, /must be a string/],
  ])('rejects %s, naming the rule', (_label, namespace, rule) => {
    expectRejected(() => validateNamespace(namespace), 'namespace', rule);
  });

  it('names the field it was given', () => {
    expectRejected(
      () => validateNamespace('', 'options.namespace'),
      'options.namespace',
      /must not be empty/,
    );
  });

  it.each(['team:alpha', '', 'a\u0000', 'x'.repeat(257), '\ud800'])(
    'applies the rule of agentId to %p',
    (name) => {
      const ruleOf = (check: () => unknown): unknown => {
        try {
          return check();
        } catch (error) {
          return (error as ValidationError).rule;
        }
      };
      expect(ruleOf(() => validateNamespace(name, 'x'))).toBe(
        ruleOf(() => validateName(name, 'x')),
      );
    },
  );
});

describe('validateName (agentId, key)', () => {
  it.each([
    'a',
    'step:1',
    'tool/search',
    ':',
    '/',
    '{tag}',
    '}{',
    '*',
    'a b',
    ' ',
    '  padded  ',
    '😀',
    'é',
    'e\u0301',
    '中文',
    '\u00a0', // no-break space: the first character after the C1 controls
    '~', // the last character before DEL
    '👨\u200d👩\u200d👧', // a ZWJ sequence: format characters are not control characters
  ])('accepts %p', (name) => {
    expect(validateName(name, 'key')).toBe(name);
  });

  it.each([
    ['64 emoji', '😀'.repeat(64)],
    ['256 ASCII characters', 'a'.repeat(256)],
    ['128 two-byte characters', 'é'.repeat(128)],
    ['85 three-byte characters and one ASCII', '€'.repeat(85) + 'a'],
  ])('accepts exactly 256 UTF-8 bytes: %s', (_label, name) => {
    expect(bytes(name)).toBe(MAX_NAME_BYTES);
    expect(validateName(name, 'agentId')).toBe(name);
  });

  it.each([
    ['64 emoji and one ASCII', '😀'.repeat(64) + 'a'],
    ['257 ASCII characters', 'a'.repeat(257)],
    ['128 two-byte characters and one ASCII', 'é'.repeat(128) + 'a'],
    ['85 three-byte characters and two ASCII', '€'.repeat(85) + 'ab'],
  ])('rejects 257 UTF-8 bytes: %s', (_label, name) => {
    expect(bytes(name)).toBe(MAX_NAME_BYTES + 1);
    expectRejected(
      () => validateName(name, 'agentId'),
      'agentId',
      /at most 256 UTF-8 bytes \(got 257\)/,
    );
  });

  it('counts bytes, not UTF-16 code units (65 emoji are 130 code units but 260 bytes)', () => {
    expectRejected(
      () => validateName('😀'.repeat(65), 'key'),
      'key',
      /at most 256 UTF-8 bytes \(got 260\)/,
    );
  });

  it('rejects the empty string', () => {
    expectRejected(() => validateName('', 'key'), 'key', /must not be empty/);
  });

  it('accepts the empty string only where allowed (a prefix)', () => {
    expect(validateName('', 'prefix', { allowEmpty: true })).toBe('');
  });

  it.each([
    ['NUL', '\u0000'],
    ['NUL inside', 'a\u0000b'],
    ['SOH', '\u0001'],
    ['tab', 'a\tb'],
    ['line feed', 'a\nb'],
    ['carriage return', 'a\rb'],
    ['escape', '\u001b[31m'],
    ['unit separator', '\u001f'],
    ['DEL', '\u007f'],
    ['first C1 control', '\u0080'],
    ['NEL', 'a\u0085b'],
    ['last C1 control', '\u009f'],
  ])('rejects a control character: %s', (_label, name) => {
    expectRejected(() => validateName(name, 'key'), 'key', /must not contain control characters/);
  });

  it('rejects control characters also where the empty string is allowed', () => {
    expectRejected(
      () => validateName('\n', 'prefix', { allowEmpty: true }),
      'prefix',
      /control characters/,
    );
  });

  it.each([
    ['a lone high surrogate', '\ud83d'],
    ['a lone low surrogate', '\ude00'],
    ['a lone surrogate inside', 'a\ud83db'],
    ['a reversed pair', '\ude00\ud83d'],
    ['half an emoji', '😀'.slice(0, 1)],
  ])('rejects %s', (_label, name) => {
    expectRejected(() => validateName(name, 'agentId'), 'agentId', /well-formed Unicode/);
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['a number', 1],
    ['a boolean', true],
    ['an array', ['a']],
    ['an object', { key: 'a' }],
  ])('rejects %s', (_label, name) => {
    expectRejected(() => validateName(name, 'key'), 'key', /must be a string/);
  });
});

describe('validateInteger', () => {
  it.each([
    [1, 1, 10],
    [10, 1, 10],
    [5, 1, 10],
    [0, 0, 0],
    [-3, -5, 5],
  ])('accepts %p in [%p, %p]', (value, min, max) => {
    expect(validateInteger(value, 'limit', min, max)).toBe(value);
  });

  it('has no upper bound but the largest safe integer by default', () => {
    expect(validateInteger(Number.MAX_SAFE_INTEGER, 'startTs', 0)).toBe(Number.MAX_SAFE_INTEGER);
    expectRejected(
      () => validateInteger(2 ** 53, 'startTs', 0),
      'startTs',
      /must be an integer at least 0/,
    );
  });

  it.each<[string, unknown]>([
    ['below the minimum', 0],
    ['above the maximum', 11],
    ['a fraction', 1.5],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['a numeric string', '5'],
    ['a BigInt', 5n],
    ['null', null],
    ['undefined', undefined],
  ])('rejects %s', (_label, value) => {
    expectRejected(
      () => validateInteger(value, 'limit', 1, 10),
      'limit',
      /must be an integer from 1 to 10/,
    );
  });

  it('says "at least" when there is no maximum', () => {
    expectRejected(
      () => validateInteger(0, 'timeoutMs', 1),
      'timeoutMs',
      /must be an integer at least 1 \(got 0\)/,
    );
  });
});

describe('validateBoolean', () => {
  it.each([true, false])('accepts %p', (value) => {
    expect(validateBoolean(value, 'follow')).toBe(value);
  });

  it.each<[unknown]>([['true'], [1], [0], [null], [undefined]])('rejects %p', (value) => {
    expectRejected(() => validateBoolean(value, 'follow'), 'follow', /must be true or false/);
  });
});

describe('validateArgs', () => {
  it('returns the argument object itself', () => {
    const args = { agentId: 'a', key: 'k' };
    expect(validateArgs(args, 'getState')).toBe(args);
    expect(validateArgs({}, 'getState')).toEqual({});
  });

  it.each<[string, unknown, RegExp]>([
    ['undefined', undefined, /got undefined/],
    ['null', null, /got null/],
    ['a string', 'agent', /got "agent"/],
    ['a number', 42, /got 42/],
    ['an array', [{ agentId: 'a' }], /got an array/],
  ])('rejects %s, naming the call', (_label, value, got) => {
    const error = validationError(() => validateArgs(value, 'write'));
    expect(error.field).toBe('write argument');
    expect(error.message).toMatch(/must be an object/);
    expect(error.message).toMatch(got);
  });
});

describe('serializeValue', () => {
  describe('top level', () => {
    it.each<[string, unknown, string]>([
      ['an array', [1, 2], 'an array'],
      ['null', null, 'null'],
      ['a string', 'text', '"text"'],
      ['a number', 42, '42'],
      ['a boolean', true, 'true'],
      ['undefined', undefined, 'undefined'],
      ['a class instance', new Point(), 'an instance of Point'],
      ['a Map', new Map([['a', 1]]), 'an instance of Map'],
      ['a Set', new Set([1]), 'an instance of Set'],
      ['a Date', new Date(0), 'an instance of Date'],
      ['a function', () => ({}), 'a function'],
    ])('rejects %s', (_label, value, got) => {
      const error = validationError(() => serializeValue(value, MIB));
      expect(error.field).toBe('value');
      expect(error.message).toMatch(/must be a plain JSON object/);
      expect(error.message).toContain(`got ${got}`);
    });

    it('names the field it was given', () => {
      expectRejected(
        () => serializeValue([], MIB, 'operations[3].value'),
        'operations[3].value',
        /plain JSON object/,
      );
    });

    it('accepts the empty object', () => {
      expect(serializeValue({}, MIB)).toBe('{}');
    });

    it('accepts an object without prototype', () => {
      const bare = Object.create(null) as Record<string, unknown>;
      bare.a = 1;
      const inner = Object.create(null) as Record<string, unknown>;
      inner.b = 'x';
      bare.inner = inner;
      expect(serializeValue(bare, MIB)).toBe('{"a":1,"inner":{"b":"x"}}');
    });
  });

  it('accepts nested objects, arrays and primitives, returning their JSON', () => {
    const value = {
      text: 'hello: world / {x}',
      float: 1.5,
      negative: -3,
      yes: true,
      no: false,
      nothing: null,
      list: [1, 'a', null, true, [], {}, [[2]]],
      deep: { deeper: { deepest: [{ k: 'v' }] } },
      emoji: '😀',
      '': 'empty key',
    };
    const json = serializeValue(value, MIB);
    expect(JSON.parse(json)).toEqual(value);
    expect(json).toBe(JSON.stringify(value));
  });

  it('keeps integers integers', () => {
    const json = serializeValue(
      { one: 1.0, two: 2, max: Number.MAX_SAFE_INTEGER, list: [3.0], neg: -7 },
      MIB,
    );
    expect(json).toBe('{"one":1,"two":2,"max":9007199254740991,"list":[3],"neg":-7}');
    const parsed = JSON.parse(json) as { one: number; max: number };
    expect(Number.isInteger(parsed.one)).toBe(true);
    expect(parsed.max).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { k: 1 };
    expect(serializeValue({ a: shared, b: [shared, shared] }, MIB)).toBe(
      '{"a":{"k":1},"b":[{"k":1},{"k":1}]}',
    );
  });

  describe('nested values', () => {
    const sym = Symbol('s');
    const sparse: number[] = [1, 2];
    sparse[3] = 4; // index 2 is a hole
    class MyArray extends Array<number> {}

    it.each<[string, Record<string, unknown>, string, RegExp]>([
      ['undefined', { a: undefined }, 'value.a', /is not JSON \(got undefined\)/],
      [
        'undefined in an array',
        { items: [1, 2, undefined] },
        'value.items[2]',
        /is not JSON \(got undefined\)/,
      ],
      ['a function', { f: () => 1 }, 'value.f', /is not JSON \(got a function\)/],
      ['a symbol value', { s: sym }, 'value.s', /is not JSON \(got a symbol\)/],
      ['a BigInt', { n: 10n }, 'value.n', /is not JSON \(got a BigInt\)/],
      ['a deep BigInt', { a: { b: [{ c: 1n }] } }, 'value.a.b[0].c', /BigInt/],
      ['NaN', { n: NaN }, 'value.n', /must be a finite number \(got NaN\)/],
      ['Infinity', { n: Infinity }, 'value.n', /must be a finite number \(got Infinity\)/],
      [
        '-Infinity',
        { list: [-Infinity] },
        'value.list[0]',
        /must be a finite number \(got -Infinity\)/,
      ],
      [
        'a class instance',
        { p: new Point() },
        'value.p',
        /must be a plain object or array \(got an instance of Point\)/,
      ],
      [
        'a Date',
        { at: new Date(0) },
        'value.at',
        /plain object or array \(got an instance of Date\)/,
      ],
      ['a Map', { m: new Map() }, 'value.m', /plain object or array \(got an instance of Map\)/],
      ['a Set', { s: new Set() }, 'value.s', /plain object or array \(got an instance of Set\)/],
      ['a RegExp', { r: /x/ }, 'value.r', /plain object or array/],
      ['a typed array', { b: new Uint8Array(2) }, 'value.b', /plain object or array/],
      ['a boxed string', { s: new String('x') }, 'value.s', /plain object or array/],
      ['an Array subclass', { a: MyArray.from([1]) }, 'value.a', /must be a plain array/],
      ['a sparse-array hole', { items: sparse }, 'value.items[2]', /is a hole in a sparse array/],
      ['an array of holes', { items: new Array(2) }, 'value.items[0]', /hole/],
      ['a symbol key at the top', { [sym]: 1 }, 'value', /must not have symbol keys/],
      ['a nested symbol key', { a: { [sym]: 1 } }, 'value.a', /must not have symbol keys/],
    ])('rejects %s', (_label, value, field, rule) => {
      expectRejected(() => serializeValue(value, MIB), field, rule);
    });

    it('rejects an object that refers to itself', () => {
      const node: Record<string, unknown> = { name: 'root' };
      node.self = node;
      expectRejected(() => serializeValue(node, MIB), 'value.self', /refers back to itself/);
    });

    it('rejects an array that contains itself', () => {
      const list: unknown[] = [];
      list.push(1, list);
      expectRejected(() => serializeValue({ list }, MIB), 'value.list[1]', /refers back to itself/);
    });

    it('rejects a deep cycle', () => {
      const a: Record<string, unknown> = {};
      const b: Record<string, unknown> = { c: [{ back: a }] };
      a.b = b;
      expectRejected(
        () => serializeValue({ a }, MIB),
        'value.a.b.c[0].back',
        /refers back to itself/,
      );
    });
  });

  describe('size limit', () => {
    // `{"a":"…"}` is 8 bytes plus the string's UTF-8 bytes.
    it.each([
      ['ASCII', 'x'.repeat(12)],
      ['two-byte characters', 'é'.repeat(6)],
      ['emoji', '😀'.repeat(3)],
    ])('accepts a value of exactly the limit: %s', (_label, text) => {
      const json = serializeValue({ a: text }, 20);
      expect(bytes(json)).toBe(20);
    });

    it.each([
      ['ASCII', 'x'.repeat(13)],
      ['two-byte characters', 'é'.repeat(6) + 'x'],
      ['emoji', '😀'.repeat(3) + 'x'],
    ])('rejects a value one byte over the limit: %s', (_label, text) => {
      expectRejected(
        () => serializeValue({ a: text }, 20),
        'value',
        /must be at most 20 bytes serialized \(got 21; raise maxValueBytes to allow more\)/,
      );
    });

    it('counts UTF-8 bytes, not UTF-16 code units', () => {
      // 15 code units, 22 bytes.
      const value = { a: 'é'.repeat(7) };
      expect(JSON.stringify(value)).toHaveLength(15);
      expectRejected(() => serializeValue(value, 20), 'value', /got 22/);
    });

    it('holds the default of 1 MiB exactly', () => {
      expect(bytes(serializeValue({ a: 'x'.repeat(MIB - 8) }, MIB))).toBe(MIB);
      expectRejected(
        () => serializeValue({ a: 'x'.repeat(MIB - 7) }, MIB),
        'value',
        /at most 1048576 bytes/,
      );
    });
  });

  describe('nesting depth', () => {
    /** `{ a: { a: ... { leaf } } }`: `depth` objects, built without recursion. */
    const nested = (depth: number, leaf: unknown = 1): Record<string, unknown> => {
      let value: Record<string, unknown> = { leaf };
      for (let i = 1; i < depth; i++) value = { a: value };
      return value;
    };

    it(`accepts ${MAX_VALUE_DEPTH} levels, objects and arrays alike`, () => {
      expect(JSON.parse(serializeValue(nested(MAX_VALUE_DEPTH), MIB))).toEqual(
        nested(MAX_VALUE_DEPTH),
      );
      let list: unknown[] = [];
      for (let i = 2; i < MAX_VALUE_DEPTH; i++) list = [list];
      expect(() => serializeValue({ list }, MIB)).not.toThrow();
    });

    it(`refuses level ${MAX_VALUE_DEPTH + 1}, naming the path where it went deeper`, () => {
      const error = validationError(() => serializeValue(nested(MAX_VALUE_DEPTH + 1), MIB));
      expect(error.field).toBe('value');
      expect(error.rule).toContain(`at most ${MAX_VALUE_DEPTH} levels deep`);
      expect(error.rule).toContain(`value${'.a'.repeat(MAX_VALUE_DEPTH)} is level 33`);
      let list: unknown[] = [];
      for (let i = 1; i < MAX_VALUE_DEPTH; i++) list = [list];
      expectRejected(
        () => serializeValue({ list }, MIB),
        'value',
        /value\.list(\[0\]){31} is level 33/,
      );
    });

    it('refuses a value nested 200,000 deep with a ValidationError, not a stack overflow', () => {
      const error = validationError(() => serializeValue(nested(200_000), MIB));
      expect(error.field).toBe('value');
      expect(error.rule.length).toBeLessThan(400); // the path is shortened
    });
  });
});
