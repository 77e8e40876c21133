import calculateSlot from 'cluster-key-slot';
import { ValidationError } from '../errors';
import { validateNamespace } from '../validation/validate';
import { NamespaceKeys } from './keys';

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

  it.each(['a}b', '{a', 'a}{b', ''])(
    'never sees a namespace that could break out of its tag (%p is rejected)',
    (namespace) => {
      expect(() => validateNamespace(namespace)).toThrow(ValidationError);
    },
  );
});
