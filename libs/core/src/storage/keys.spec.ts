import { LONG_NAMESPACES, ODD_NAMESPACES } from '../../../../test/support/namespace-names';
import calculateSlot from 'cluster-key-slot';
import { validateNamespace } from '@statehouse/contract';
import { NamespaceKeys, namespaceTag } from './keys';

const LOCAL_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const OTHER_LOCAL_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

function allKeys(keys: NamespaceKeys): string[] {
  return [
    keys.clock,
    keys.log,
    keys.state,
    keys.index,
    keys.deadlines,
    keys.transaction(LOCAL_ID),
    keys.transaction(OTHER_LOCAL_ID),
  ];
}

/** The part of a key Redis Cluster hashes: the first `{...}` with something inside, else the whole key. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

const NAMESPACES = ['default', 'a', 'A.b_c-9', '-', '.', 'orders', 'x'.repeat(64)];

describe('NamespaceKeys', () => {
  it.each(NAMESPACES)(
    'gives every key of namespace %p the hash tag of the namespace',
    (namespace) => {
      for (const key of allKeys(new NamespaceKeys('sh', namespace))) {
        expect(key).toContain(`{${namespace}}`);
        expect(hashTag(key)).toBe(namespace);
      }
    },
  );

  it.each(NAMESPACES)('puts every key of namespace %p in one cluster slot', (namespace) => {
    const slots = new Set(
      allKeys(new NamespaceKeys('sh', namespace)).map((key) => calculateSlot(key)),
    );
    expect([...slots]).toEqual([calculateSlot(namespace)]);
  });

  it('gives every key of a namespace its own name', () => {
    const keys = allKeys(new NamespaceKeys('sh', 'default'));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('gives different namespaces different keys', () => {
    const keys = NAMESPACES.flatMap((namespace) => allKeys(new NamespaceKeys('sh', namespace)));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('gives different key prefixes different keys in the same slot', () => {
    const a = allKeys(new NamespaceKeys('sh', 'default'));
    const b = allKeys(new NamespaceKeys('other', 'default'));
    expect(a.filter((key) => b.includes(key))).toEqual([]);
    expect(new Set([...a, ...b].map((key) => calculateSlot(key))).size).toBe(1);
  });

  it('starts every key with the configured prefix', () => {
    for (const key of allKeys(new NamespaceKeys('myapp', 'default'))) {
      expect(key.startsWith('myapp:{default}:')).toBe(true);
    }
  });

  it('keeps namespaces that only differ in case apart', () => {
    const lower = new NamespaceKeys('sh', 'orders');
    const upper = new NamespaceKeys('sh', 'Orders');
    expect(lower.state).not.toBe(upper.state);
    expect(hashTag(upper.state)).toBe('Orders');
  });
});

/** Namespaces the daemon accepts and the old rule refused. */
const NEW_NAMESPACES = [...ODD_NAMESPACES, 'my~ns', ...LONG_NAMESPACES];

describe('NamespaceKeys of any valid namespace', () => {
  it.each([
    ['default', 'sh:{default}:state'],
    ['my-ns.v1', 'sh:{my-ns.v1}:state'],
    ['A_b', 'sh:{A_b}:state'],
    ['x'.repeat(64), `sh:{${'x'.repeat(64)}}:state`],
  ])('keeps the key names of namespace %p, as before any name was allowed', (namespace, key) => {
    const keys = new NamespaceKeys('sh', namespace);
    expect(keys.state).toBe(key);
    expect(keys.clock).toBe(key.replace(/state$/, 'clock'));
    expect(keys.transaction(LOCAL_ID)).toBe(key.replace(/state$/, `tx:${LOCAL_ID}`));
  });

  it.each([
    ['team:alpha', 'sh:{~7465616d3a616c706861}:state'],
    ['a{b', 'sh:{~617b62}:state'],
    ['日本語', 'sh:{~e697a5e69cace8aa9e}:state'],
  ])('gives namespace %p a tag of "~" and the hex of its UTF-8 bytes', (namespace, key) => {
    expect(new NamespaceKeys('sh', namespace).state).toBe(key);
  });

  it.each(NEW_NAMESPACES)('gives %p a tag without "{", "}" or ":"', (namespace) => {
    validateNamespace(namespace);
    const tag = namespaceTag(namespace);
    expect(tag).toMatch(/^~[0-9a-f]+$/);
    for (const key of allKeys(new NamespaceKeys('sh', namespace))) {
      expect(key.startsWith(`sh:{${tag}}:`)).toBe(true);
      expect(hashTag(key)).toBe(tag);
    }
  });

  it.each(NEW_NAMESPACES)('puts every key of namespace %p in one cluster slot', (namespace) => {
    const slots = new Set(
      allKeys(new NamespaceKeys('sh', namespace)).map((key) => calculateSlot(key)),
    );
    expect([...slots]).toEqual([calculateSlot(namespaceTag(namespace))]);
  });

  it('never gives two namespaces the same keys, old names and new alike', () => {
    const namespaces = [
      ...NAMESPACES,
      ...NEW_NAMESPACES,
      // Pairs that naive encodings confuse:
      'a{b',
      'a}b',
      'x:y',
      'x_y',
      'x%3Ay',
      '~7e',
      '~~',
      namespaceTag('team:alpha'), // an old-looking name spelled like a tag: '~' makes it new
      namespaceTag(namespaceTag('team:alpha')),
      'é',
      'e\u0301',
      'ab',
      'AB',
    ];
    const distinct = [...new Set(namespaces)];
    const keys = distinct.flatMap((namespace) => allKeys(new NamespaceKeys('sh', namespace)));
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(distinct.map(namespaceTag)).size).toBe(distinct.length);
  });
});
