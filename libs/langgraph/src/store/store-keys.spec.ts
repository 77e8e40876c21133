import fc from 'fast-check';
import { itemKey, namespacePrefix, parseItemKey } from './store-keys';

// The store's record keys: any namespace and key come back out unchanged, and a namespace
// prefix selects exactly the namespaces that start with it (never a label that merely starts
// with the same characters).
const label = fc.string({
  minLength: 1,
  maxLength: 6,
  unit: fc.constantFrom('a', '/', ':', '%', '2', 'F', 'é'),
});
const namespace = fc.array(label, { minLength: 1, maxLength: 4 });
const key = fc.string({ maxLength: 6, unit: fc.constantFrom('k', '/', ':', '%') });

it('parses back every namespace and key', () => {
  fc.assert(
    fc.property(namespace, key, (ns, k) => {
      expect(parseItemKey(itemKey(ns, k, 'key'))).toEqual({ namespace: ns, key: k });
    }),
  );
});

it('a prefix of labels is a string prefix of exactly the keys under it', () => {
  fc.assert(
    fc.property(namespace, namespace, key, (prefix, ns, k) => {
      const under = prefix.every((l, i) => ns[i] === l) && prefix.length <= ns.length;
      expect(itemKey(ns, k, 'key').startsWith(namespacePrefix(prefix))).toBe(under);
    }),
  );
});
