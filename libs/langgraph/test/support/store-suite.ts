import { InMemoryStore, type Item, type Operation } from '@langchain/langgraph-checkpoint';
import { ValidationError, type StatehouseApi } from '@statehouse/contract';
import { StatehouseStore, VectorSearchUnsupportedError } from '@statehouse/langgraph';
import { uniqueNamespace } from '../../../core/test/support/statehouse';

// StatehouseStore against LangGraph's InMemoryStore: every operation runs on both and must give
// the same answer. Items are put in key order, so InMemoryStore's insertion order is also ours.
// Run on the embedded engine (statehouse-store.test.ts) and on the network client through a
// server process (test/e2e/langgraph/network-client.test.ts).

const plain = (item: Item | null) =>
  item && { namespace: item.namespace, key: item.key, value: item.value };

async function putBoth(
  pair: { ours: StatehouseStore; reference: InMemoryStore },
  items: Array<[string[], string, Record<string, unknown>]>,
): Promise<void> {
  for (const [namespace, key, value] of items) {
    await pair.ours.put(namespace, key, value);
    await pair.reference.put(namespace, key, value);
  }
}

const DOCS: Array<[string[], string, Record<string, unknown>]> = [
  [['docs'], 'a', { kind: 'note', rank: 1, tags: 'x' }],
  [['docs'], 'b', { kind: 'todo', rank: 5 }],
  [['docs', 'alice'], 'c', { kind: 'note', rank: 3 }],
  [['docs', 'alice', 'old'], 'd', { kind: 'note', rank: 9 }],
  [['docs', 'bob'], 'e', { kind: 'todo', rank: 2 }],
  [['docsx'], 'f', { kind: 'note', rank: 4 }],
  [['prefs', 'alice'], 'theme', { dark: true }],
];

/** The store suite on the clients `connect` gives (the caller closes them). */
export function describeStoreSuite(name: string, connect: () => Promise<StatehouseApi>): void {
  async function stores(): Promise<{ ours: StatehouseStore; reference: InMemoryStore }> {
    return {
      ours: new StatehouseStore(await connect(), { namespace: uniqueNamespace('lg-store') }),
      reference: new InMemoryStore(),
    };
  }

  describe(`StatehouseStore on ${name}`, () => {
    describe('get / put / delete', () => {
      it('reads what was put, with namespace, key and timestamps; a missing item is null', async () => {
        const pair = await stores();
        await putBoth(pair, DOCS);
        for (const [namespace, key] of DOCS) {
          expect(plain(await pair.ours.get(namespace, key))).toEqual(
            plain(await pair.reference.get(namespace, key)),
          );
        }
        expect(await pair.ours.get(['docs'], 'nope')).toBeNull();
        expect(await pair.ours.get(['nope'], 'a')).toBeNull();
        const item = (await pair.ours.get(['docs'], 'a'))!;
        expect(item.createdAt).toBeInstanceOf(Date);
        expect(item.updatedAt.getTime()).toBe(item.createdAt.getTime());
      });

      it('an update keeps createdAt and moves updatedAt; a delete removes the item', async () => {
        const { ours } = await stores();
        await ours.put(['u'], 'k', { v: 1 });
        const first = (await ours.get(['u'], 'k'))!;
        await new Promise((done) => setTimeout(done, 5));
        await ours.put(['u'], 'k', { v: 2 });
        const second = (await ours.get(['u'], 'k'))!;
        expect(second.value).toEqual({ v: 2 });
        expect(second.createdAt).toEqual(first.createdAt);
        expect(second.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime());
        await ours.delete(['u'], 'k');
        expect(await ours.get(['u'], 'k')).toBeNull();
        await ours.delete(['u'], 'k'); // deleting a missing item is a no-op, as in InMemoryStore
      });

      it('keeps labels and keys with "/", "%" and unicode apart', async () => {
        const pair = await stores();
        await putBoth(pair, [
          [['a/b'], 'k', { n: 1 }],
          [['a', 'b'], 'k', { n: 2 }],
          [['a%2Fb'], 'k', { n: 3 }],
          [['日本'], 'k/:x', { n: 4 }],
        ]);
        for (const ns of [['a/b'], ['a', 'b'], ['a%2Fb'], ['日本']]) {
          const key = ns[0] === '日本' ? 'k/:x' : 'k';
          expect(plain(await pair.ours.get(ns, key))).toEqual(
            plain(await pair.reference.get(ns, key)),
          );
        }
        expect((await pair.ours.search(['a'])).map((i) => i.value)).toEqual([{ n: 2 }]);
      });
    });

    describe('search', () => {
      const cases: Array<[string, string[], Parameters<InMemoryStore['search']>[1]]> = [
        ['everything', [], { limit: 100 }],
        [
          'a namespace prefix (not a string prefix: docsx is not under docs)',
          ['docs'],
          { limit: 100 },
        ],
        ['a deeper prefix', ['docs', 'alice'], {}],
        ['an exact namespace with no children', ['prefs', 'alice'], {}],
        ['an unknown prefix', ['nothing'], {}],
        ['an equality filter', ['docs'], { filter: { kind: 'note' } }],
        ['$gt / $lte', [], { filter: { rank: { $gt: 2, $lte: 5 } } }],
        [
          '$in / $nin / $ne',
          [],
          { filter: { kind: { $in: ['todo'] }, rank: { $nin: [2], $ne: 3 } } },
        ],
        ['$eq and a missing field', [], { filter: { tags: { $eq: 'x' } } }],
        ['the default limit (10) and offset', [], { offset: 2 }],
        ['limit and offset', ['docs'], { limit: 2, offset: 1 }],
        ['an offset past the end', ['docs'], { offset: 50 }],
        ['limit 0', [], { limit: 0 }],
      ];
      it.each(cases)('%s: as InMemoryStore', async (_, prefix, options) => {
        const pair = await stores();
        await putBoth(pair, DOCS);
        const ours = await pair.ours.search(prefix, options);
        const reference = await pair.reference.search(prefix, options);
        expect(ours.map(plain)).toEqual(reference.map(plain));
        expect(ours.every((item) => item.score === undefined)).toBe(true);
      });

      it('ignores a query, as InMemoryStore without an index (no vector search)', async () => {
        const pair = await stores();
        await putBoth(pair, DOCS);
        const options = { query: 'notes about alice', limit: 3 };
        expect((await pair.ours.search(['docs'], options)).map(plain)).toEqual(
          (await pair.reference.search(['docs'], options)).map(plain),
        );
      });
    });

    describe('listNamespaces', () => {
      const cases: Array<[string, Parameters<InMemoryStore['listNamespaces']>[0]]> = [
        ['all', {}],
        ['a prefix', { prefix: ['docs'] }],
        ['a suffix', { suffix: ['alice'] }],
        ['a wildcard prefix', { prefix: ['*', 'alice'] }],
        ['a wildcard suffix', { suffix: ['alice', '*'] }],
        ['prefix and suffix', { prefix: ['docs'], suffix: ['old'] }],
        ['maxDepth 1', { maxDepth: 1 }],
        ['maxDepth 2 under a prefix', { prefix: ['docs'], maxDepth: 2 }],
        ['limit and offset', { limit: 2, offset: 1 }],
        ['a prefix longer than any namespace', { prefix: ['docs', 'alice', 'old', 'x'] }],
      ];
      it.each(cases)('%s: as InMemoryStore', async (_, options) => {
        const pair = await stores();
        await putBoth(pair, DOCS);
        expect(await pair.ours.listNamespaces(options)).toEqual(
          await pair.reference.listNamespaces(options),
        );
      });

      it('drops a namespace once its last item is deleted (InMemoryStore keeps it listed)', async () => {
        const { ours } = await stores();
        await ours.put(['tmp', 'x'], 'k', { v: 1 });
        await ours.put(['keep'], 'k', { v: 1 });
        await ours.delete(['tmp', 'x'], 'k');
        expect(await ours.listNamespaces()).toEqual([['keep']]);
      });
    });

    describe('batch', () => {
      it('answers reads from the state before the batch and applies the puts together', async () => {
        const pair = await stores();
        await putBoth(pair, DOCS);
        const operations: Operation[] = [
          { namespace: ['docs'], key: 'a', value: { kind: 'changed' } },
          { namespace: ['docs'], key: 'a' },
          { namespacePrefix: ['docs'], limit: 2, offset: 0 },
          { namespace: ['new', 'ns'], key: 'n', value: { v: 1 } },
          { namespace: ['new', 'ns'], key: 'n', value: { v: 2 } }, // the last put of an item wins
          { namespace: ['docs'], key: 'b', value: null },
          { matchConditions: [{ matchType: 'prefix', path: ['new'] }], limit: 10, offset: 0 },
        ];
        const ours = (await pair.ours.batch(operations)) as unknown[];
        await pair.reference.batch(operations);
        // A snapshot from before the batch (InMemoryStore hands out its live objects instead, so
        // its answers show later puts to existing items but not new ones: we do not copy that).
        expect(ours[0]).toBeNull();
        expect(plain(ours[1] as Item)).toEqual({
          namespace: ['docs'],
          key: 'a',
          value: DOCS[0]![2],
        });
        expect((ours[2] as Item[]).map((item) => item.value)).toEqual([DOCS[0]![2], DOCS[1]![2]]);
        expect(ours[6]).toEqual([]);
        // Afterwards the store is what InMemoryStore holds.
        for (const [ns, key] of [
          [['docs'], 'a'],
          [['docs'], 'b'],
          [['new', 'ns'], 'n'],
        ] as const) {
          expect(plain(await pair.ours.get([...ns], key))).toEqual(
            plain(await pair.reference.get([...ns], key)),
          );
        }
        expect(await pair.ours.listNamespaces()).toEqual(await pair.reference.listNamespaces());
      });

      it('applies nothing when one operation is bad', async () => {
        const { ours } = await stores();
        const bad: Operation[] = [
          { namespace: ['ok'], key: 'k', value: { v: 1 } },
          { namespace: ['bad', ''], key: 'k', value: { v: 1 } },
        ];
        await expect(ours.batch(bad)).rejects.toThrow(ValidationError);
        const unencodable: Operation[] = [
          { namespace: ['ok'], key: 'k', value: { v: 1 } },
          { namespace: ['ok'], key: 'j', value: { big: 10n } },
        ];
        await expect(ours.batch(unencodable)).rejects.toMatchObject({
          code: 'VALIDATION_FAILED',
          field: 'operations[1].value.big',
        });
        expect(await ours.get(['ok'], 'k')).toBeNull();
        expect(await ours.listNamespaces()).toEqual([]);
      });
    });

    describe('bad input', () => {
      const bad: Array<[string, (s: StatehouseStore) => Promise<unknown>, string]> = [
        ['an empty label', (s) => s.put(['a', ''], 'k', { v: 1 }), 'namespace[1]'],
        [
          'a control character in a label',
          (s) => s.put(['a\u0007'], 'k', { v: 1 }),
          'namespace[0]',
        ],
        ['a newline in a label', (s) => s.get(['ok', 'x\ny'], 'k'), 'namespace[1]'],
        ['a period in a label', (s) => s.put(['a.b'], 'k', { v: 1 }), 'namespace[0]'],
        ['an empty namespace', (s) => s.put([], 'k', { v: 1 }), 'namespace'],
        [
          "the reserved root 'langgraph'",
          (s) => s.put(['langgraph'], 'k', { v: 1 }),
          'namespace[0]',
        ],
        [
          'a control character in a key',
          (s) => s.put(['a'], 'k\u0000', { v: 1 }),
          'operations[0].key',
        ],
        [
          'a value that is not an object',
          (s) => s.put(['a'], 'k', [1] as never),
          'operations[0].value',
        ],
        ['a search prefix with an empty label', (s) => s.search(['a', '']), 'namespacePrefix[1]'],
        [
          'a listNamespaces prefix with a control character',
          (s) => s.listNamespaces({ prefix: ['\t'] }),
          'prefix[0]',
        ],
        ['a negative search limit', (s) => s.search(['a'], { limit: -1 }), 'operations[0].limit'],
      ];
      it.each(bad)('%s: a ValidationError naming it, nothing written', async (_, call, field) => {
        const { ours } = await stores();
        const error = await call(ours).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ValidationError);
        expect(error).toMatchObject({ code: 'VALIDATION_FAILED', field });
        expect(await ours.listNamespaces()).toEqual([]);
      });

      it('refuses an index configuration, and a put asking for fields to be indexed', async () => {
        const client = await connect();
        const index = { dims: 3, embeddings: {} };
        expect(() => new StatehouseStore(client, { index } as never)).toThrow(
          VectorSearchUnsupportedError,
        );
        expect(() => new StatehouseStore(client, { index } as never)).toThrow(/no vector search/);
        const { ours } = await stores();
        await expect(ours.put(['a'], 'k', { text: 'x' }, ['text'])).rejects.toBeInstanceOf(
          VectorSearchUnsupportedError,
        );
        await ours.put(['a'], 'k', { text: 'x' }, false); // index: false asks for nothing: fine
        expect((await ours.get(['a'], 'k'))!.value).toEqual({ text: 'x' });
      });
    });

    it('two clients on the same Redis share the store', async () => {
      const namespace = uniqueNamespace('lg-store');
      const writer = new StatehouseStore(await connect(), { namespace });
      const reader = new StatehouseStore(await connect(), { namespace });
      await writer.put(['users', 'u1'], 'profile', { name: 'Ada' });
      expect((await reader.get(['users', 'u1'], 'profile'))!.value).toEqual({ name: 'Ada' });
      expect(await reader.listNamespaces({ prefix: ['users'] })).toEqual([['users', 'u1']]);
    });
  });
}
