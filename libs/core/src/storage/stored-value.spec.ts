import { serializeValue, type JsonObject } from '@statehouse/contract';
import { parseLoggedOperation, parseStoredRecord } from './stored-value';

// The formats written by commands/commitTransaction-8.lua:
//   state hash:  version .. ' ' .. commitTs .. ' ' .. json   (a write)
//                version .. ' ' .. commitTs                   (a tombstone)
//   log stream:  version .. ':' .. json   (a write)
//                version .. ':'           (a delete)
const stored = (version: number, commitTs: number, json?: string): string =>
  json === undefined ? `${version} ${commitTs}` : `${version} ${commitTs} ${json}`;
const logged = (version: number, json?: string): string => `${version}:${json ?? ''}`;

const VALUES: Array<[string, JsonObject]> = [
  ['a simple object', { a: 1 }],
  ['the empty object', {}],
  ['spaces', { text: 'a b  c ', ' key with spaces ': ' ' }],
  ['colons', { time: '12:30:00', 'step:1': 'tool:search', ':': ':' }],
  ['spaces and colons together', { note: '1 2: 3 :4', nested: { 'a b:c': ['x y', 'z:w', ' : '] } }],
  [
    'integers, floats and nulls',
    { n: 1, big: Number.MAX_SAFE_INTEGER, f: 0.5, nothing: null, neg: -2 },
  ],
  ['emoji and escapes', { emoji: '😀', quote: '"', newline: 'a\nb', backslash: '\\' }],
];

describe('parseStoredRecord', () => {
  it('reads a write', () => {
    expect(parseStoredRecord('3 17 {"a":1}')).toEqual({
      version: 3,
      commitTs: 17,
      value: { a: 1 },
    });
  });

  it('reads a tombstone as version and commitTs without value', () => {
    expect(parseStoredRecord('4 18')).toEqual({ version: 4, commitTs: 18, value: null });
  });

  it('tells an empty object from a tombstone', () => {
    expect(parseStoredRecord('1 2 {}')).toEqual({ version: 1, commitTs: 2, value: {} });
  });

  it('reads large versions and commit timestamps', () => {
    expect(parseStoredRecord(`123456 ${Number.MAX_SAFE_INTEGER} {"a":1}`)).toEqual({
      version: 123456,
      commitTs: Number.MAX_SAFE_INTEGER,
      value: { a: 1 },
    });
    expect(parseStoredRecord(`123456 ${Number.MAX_SAFE_INTEGER}`)).toEqual({
      version: 123456,
      commitTs: Number.MAX_SAFE_INTEGER,
      value: null,
    });
  });

  it.each(VALUES)('reads back a value with %s', (_label, value) => {
    expect(parseStoredRecord(stored(7, 42, serializeValue(value, 1024 * 1024)))).toEqual({
      version: 7,
      commitTs: 42,
      value,
    });
  });

  it('keeps integers integers', () => {
    const record = parseStoredRecord(stored(1, 1, serializeValue({ n: 1.0, list: [2] }, 1024)));
    expect(Number.isInteger(record.version)).toBe(true);
    expect(Number.isInteger(record.commitTs)).toBe(true);
    expect(Number.isInteger((record.value as { n: number }).n)).toBe(true);
  });
});

describe('parseLoggedOperation', () => {
  it('reads a write', () => {
    expect(parseLoggedOperation('3:{"a":1}')).toEqual({ version: 3, value: { a: 1 } });
  });

  it('reads a delete as a null value', () => {
    expect(parseLoggedOperation('4:')).toEqual({ version: 4, value: null });
  });

  it('tells an empty object from a delete', () => {
    expect(parseLoggedOperation('1:{}')).toEqual({ version: 1, value: {} });
  });

  it('reads a large version', () => {
    expect(parseLoggedOperation('1234567:')).toEqual({ version: 1234567, value: null });
  });

  it.each(VALUES)('reads back a value with %s', (_label, value) => {
    expect(parseLoggedOperation(logged(12, serializeValue(value, 1024 * 1024)))).toEqual({
      version: 12,
      value,
    });
  });
});
