import { ValidationError } from '../errors/validation.error';
import { decodeCursor, encodeCursor } from './cursor';

function expectRejected(cursor: unknown, rule: RegExp): void {
  let thrown: unknown;
  try {
    decodeCursor(cursor);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ValidationError);
  const error = thrown as ValidationError;
  expect(error.code).toBe('VALIDATION_FAILED');
  expect(error.field).toBe('cursor');
  expect(error.message).toMatch(rule);
}

const base64url = (bytes: number[]): string => Buffer.from(bytes).toString('base64url');

describe('encodeCursor / decodeCursor', () => {
  it.each([
    'a',
    'step:1',
    'tool/search',
    'a b',
    '{x}',
    '*',
    'é',
    '😀',
    '👨\u200d👩\u200d👧',
    '\uff5a',
    '~~~', // base64 would hold '+'
    '???', // base64 would hold '/'
    '😀'.repeat(64), // 256 bytes, the longest key
  ])('round-trips %p', (key) => {
    expect(decodeCursor(encodeCursor(key))).toBe(key);
  });

  it('produces URL-safe text without padding', () => {
    for (const key of ['~~~', '???', 'a', 'ab', '😀', 'é'.repeat(100)]) {
      expect(encodeCursor(key)).toMatch(/^[A-Za-z0-9_-]+$/);
    }
  });

  it('gives different keys different cursors', () => {
    const keys = ['a', 'b', 'ab', 'a ', 'é', 'e\u0301', '😀'];
    expect(new Set(keys.map(encodeCursor)).size).toBe(keys.length);
  });
});

describe('decodeCursor rejects', () => {
  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an object', { cursor: 'YQ' }],
    ['an array', ['YQ']],
  ])('%s', (_label, cursor) => {
    expectRejected(cursor, /must be the cursor string returned by the previous page/);
  });

  it('the empty string', () => {
    expectRejected('', /must be the cursor string returned by the previous page/);
  });

  it.each([
    ['padding', `${encodeCursor('a')}==`],
    ['non-zero trailing bits', 'YR'],
    ['a single character', 'Y'],
    ["standard base64 '+'", Buffer.from('~~~').toString('base64')],
    ["standard base64 '/'", Buffer.from('???').toString('base64')],
    ['a space', 'Y Q'],
    ['a newline', `${encodeCursor('abc')}\n`],
    ['characters outside base64', '%%%%'],
    ['bytes that are not UTF-8', base64url([0xff, 0xfe])],
    ['an encoded lone surrogate', base64url([0xed, 0xa0, 0x80])],
    ['a truncated emoji', base64url([0xf0, 0x9f, 0x98])],
  ])('non-canonical cursors: %s', (_label, cursor) => {
    expectRejected(cursor, /is not a cursor returned by this API/);
  });

  it.each([
    ['a NUL', '\u0000', /control characters/],
    ['a newline', 'a\nb', /control characters/],
    ['DEL', '\u007f', /control characters/],
    ['NEL', '\u0085', /control characters/],
    ['257 bytes', '😀'.repeat(64) + 'a', /at most 256 UTF-8 bytes/],
  ])('cursors that decode to an invalid key: %s', (_label, key, rule) => {
    expectRejected(encodeCursor(key), rule);
  });
});
