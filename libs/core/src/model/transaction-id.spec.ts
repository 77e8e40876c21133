import { TransactionError, TransactionNotFoundError } from '@statehouse/contract';
import { newTransactionId, parseTransactionId } from './transaction-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const A_UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';

function expectNotFound(id: unknown): void {
  let thrown: unknown;
  try {
    parseTransactionId(id);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(TransactionNotFoundError);
  expect(thrown).toBeInstanceOf(TransactionError);
  expect((thrown as TransactionNotFoundError).code).toBe('TRANSACTION_NOT_FOUND');
  expect((thrown as Error).message).toContain('Transaction not found');
}

describe('newTransactionId', () => {
  it('names its namespace and a fresh UUID', () => {
    const tx = newTransactionId('orders');
    expect(tx.namespace).toBe('orders');
    expect(tx.localId).toMatch(UUID);
    expect(tx.id).toBe(`orders~${tx.localId}`);
  });

  it('never repeats an id', () => {
    const ids = new Set(Array.from({ length: 2000 }, () => newTransactionId('default').id));
    expect(ids.size).toBe(2000);
  });

  it('issues different ids in different namespaces', () => {
    const a = newTransactionId('a');
    const b = newTransactionId('b');
    expect(a.localId).not.toBe(b.localId);
    expect(a.id).not.toBe(b.id);
  });

  it('holds the namespace as it is, whatever its characters', () => {
    const tx = newTransactionId('team:alpha/日本語 ~');
    expect(tx.id).toBe(`team:alpha/日本語 ~~${tx.localId}`);
  });
});

describe('parseTransactionId', () => {
  it.each([
    'default',
    'a',
    'A.b_c-9',
    '-',
    '...',
    'x'.repeat(64),
    'team:alpha',
    'prod/eu',
    'my namespace',
    ' default',
    '日本語',
    '🦜',
    'a{b}',
    '~',
    'a~b',
    `x~${A_UUID}`, // a namespace that itself looks like an id
    '100%',
    'x'.repeat(256),
  ])('round-trips an id of namespace %p', (namespace) => {
    const tx = newTransactionId(namespace);
    expect(parseTransactionId(tx.id)).toEqual(tx);
  });

  it('reads a namespace holding "~" from the right', () => {
    expect(parseTransactionId(`a~b~${A_UUID}`)).toEqual({
      id: `a~b~${A_UUID}`,
      namespace: 'a~b',
      localId: A_UUID,
    });
    expect(parseTransactionId(`default~~${A_UUID}`).namespace).toBe('default~');
  });

  it('extracts the namespace and the local id', () => {
    expect(parseTransactionId(`my.ns_1-x~${A_UUID}`)).toEqual({
      id: `my.ns_1-x~${A_UUID}`,
      namespace: 'my.ns_1-x',
      localId: A_UUID,
    });
  });

  it.each<[string, unknown]>([
    ['an empty string', ''],
    ['a bare UUID', A_UUID],
    ['no local id', 'default~'],
    ['no namespace', `~${A_UUID}`],
    ["':' as separator", `default:${A_UUID}`],
    ["'-' as separator", `default-${A_UUID}`],
    ["'/' as separator", `default/${A_UUID}`],
    ['a namespace with a control character', `my\tns~${A_UUID}`],
    ['a 257-byte namespace', `${'x'.repeat(257)}~${A_UUID}`],
    ['a namespace with a lone surrogate', `\ud83d~${A_UUID}`],
    ['a truncated UUID', `default~${A_UUID.slice(0, -1)}`],
    ['a UUID with a character too many', `default~${A_UUID}0`],
    ['a UUID without dashes', `default~${A_UUID.replace(/-/g, '')}`],
    ['a UUID with a non-hex character', `default~${A_UUID.replace('f', 'g')}`],
    ['a UUID in upper case (never issued)', `default~${A_UUID.toUpperCase()}`],
    ['a trailing newline', `default~${A_UUID}\n`],
    ['a UUID followed by a namespace', `${A_UUID}~default`],
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an object', { id: `default~${A_UUID}` }],
  ])('rejects %s as a transaction not found', (_label, id) => {
    expectNotFound(id);
  });

  it('names the id it could not find', () => {
    expect(() => parseTransactionId('nope')).toThrow('"nope"');
  });
});
