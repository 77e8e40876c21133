// The kinds of transaction both clients offer (buffered, read-only, lazy, staged), with what runs
// inside them (reads, listings, appends, mutations), checked the same way against the embedded
// Statehouse and the network StatehouseClient. Called next to describeConformance.
import { randomBytes } from 'node:crypto';
import {
  TransactionConflictError,
  TransactionError,
  ValidationError,
  type StatehouseApi,
} from '@statehouse/core';
import type { ConformanceTarget } from './conformance';

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

async function keysOf(client: StatehouseApi, agentId: string, atTs?: number): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { keys: string[]; cursor: string | null } = await client.listKeys({
      agentId,
      limit: 2,
      ...(cursor ? { cursor } : {}),
      ...(atTs === undefined ? {} : { atTs }),
    });
    keys.push(...page.keys);
    cursor = page.cursor;
  } while (cursor);
  return keys;
}

export function describeModesConformance(name: string, target: ConformanceTarget): void {
  describe(`transaction kinds conformance: ${name}`, () => {
    let client: StatehouseApi;
    let other: StatehouseApi;

    beforeEach(async () => {
      const ns = `m-${randomBytes(6).toString('hex')}`;
      client = await target.connect(ns);
      other = await target.connect(ns);
    });

    afterEach(async () => {
      await client.close();
      await other.close();
    });

    describe('buffered', () => {
      it('applies writes, deletes and appends together at commit, nothing before', async () => {
        await client.transaction(async (tx) => tx.write({ agentId: 'a', key: 'old', value: {} }));
        const tx = await client.beginTransaction({ buffered: true });
        expect(tx).toMatchObject({ buffered: true, readOnly: false, readTs: null, state: 'open' });
        await tx.write({ agentId: 'a', key: 'memory', value: { fact: 'x' } });
        await tx.delete({ agentId: 'a', key: 'old' });
        const first = await tx.append({ agentId: 'a', prefix: 'step:', value: { n: 1 } });
        const second = await tx.append({ agentId: 'a', prefix: 'step:', value: { n: 2 } });
        expect(first.key).toBeNull();
        expect(tx.mutations).toEqual([
          { type: 'write', agentId: 'a', key: 'memory', value: { fact: 'x' } },
          { type: 'delete', agentId: 'a', key: 'old' },
          { type: 'append', agentId: 'a', key: null, prefix: 'step:', value: { n: 1 } },
          { type: 'append', agentId: 'a', key: null, prefix: 'step:', value: { n: 2 } },
        ]);
        expect(await other.lastCommitTs()).toBe(1);
        expect((await other.getState({ agentId: 'a', key: 'memory' })).exists).toBe(false);
        expect(await tx.commit()).toBe(2);
        expect([first.key, second.key]).toEqual(['step:000000000001', 'step:000000000002']);
        expect(await keysOf(other, 'a')).toEqual([
          'memory',
          'step:000000000001',
          'step:000000000002',
        ]);
        const [event] = await collect(other.replay({ agentId: 'a', startTs: 2 }));
        expect(event).toMatchObject({ txId: tx.id, commitTs: 2 });
        expect(event!.operations.map((op) => op.key).sort()).toEqual(
          ['memory', 'old', 'step:000000000001', 'step:000000000002'].sort(),
        );
      });

      it('checks its reads at commit: a record changed since is a conflict', async () => {
        await client.transaction(async (tx) =>
          tx.write({ agentId: 'a', key: 'k', value: { v: 1 } }),
        );
        const tx = await client.beginTransaction({ buffered: true });
        expect(await tx.get({ agentId: 'a', key: 'k' })).toEqual({
          exists: true,
          value: { v: 1 },
          version: 1,
          commitTs: 1,
          staged: false,
        });
        await tx.write({ agentId: 'a', key: 'other', value: { copy: 1 } });
        expect(await tx.get({ agentId: 'a', key: 'other' })).toMatchObject({
          exists: true,
          value: { copy: 1 },
          staged: true,
        });
        await other.transaction(async (t) => t.write({ agentId: 'a', key: 'k', value: { v: 2 } }));
        await expect(tx.commit()).rejects.toBeInstanceOf(TransactionConflictError);
        expect((await other.getState({ agentId: 'a', key: 'other' })).exists).toBe(false);
        const create = await client.beginTransaction({ buffered: true });
        await create.write({ agentId: 'a', key: 'k', value: {}, ifVersion: 0 });
        await expect(create.commit()).rejects.toMatchObject({ code: 'CONFLICT' });
      });

      it('loses no increment under contention (client.transaction retries)', async () => {
        const increment = (): Promise<void> =>
          client.transaction(
            async (tx) => {
              const { value } = await tx.get({ agentId: 'a', key: 'counter' });
              await tx.write({
                agentId: 'a',
                key: 'counter',
                value: { n: ((value?.n as number | undefined) ?? 0) + 1 },
              });
            },
            { buffered: true, maxRetries: 200 },
          );
        await Promise.all(Array.from({ length: 16 }, increment));
        expect(await other.getState({ agentId: 'a', key: 'counter' })).toMatchObject({
          value: { n: 16 },
          version: 16,
        });
      });

      it('lists with its own operations merged, and a record created since is a conflict', async () => {
        await client.transaction(async (tx) => {
          for (const key of ['a1', 'a2', 'a3', 'b1']) {
            await tx.write({ agentId: 'x', key, value: { key } });
          }
        });
        const tx = await client.beginTransaction({ buffered: true });
        await tx.write({ agentId: 'x', key: 'a0', value: { own: true } });
        await tx.delete({ agentId: 'x', key: 'a2' });
        const keys: string[] = [];
        let cursor: string | null = null;
        do {
          const page: { keys: string[]; cursor: string | null } = await tx.listKeys({
            agentId: 'x',
            limit: 2,
            cursor,
          });
          keys.push(...page.keys);
          cursor = page.cursor;
        } while (cursor);
        expect(keys).toEqual(['a0', 'a1', 'a3', 'b1']);
        const scan = await tx.scanPrefix({ agentId: 'x', prefix: 'a' });
        expect(scan.entries.map(({ key, staged }) => [key, staged])).toEqual([
          ['a0', true],
          ['a1', false],
          ['a3', false],
        ]);
        expect(scan.entries[1]).toMatchObject({ value: { key: 'a1' }, version: 1, commitTs: 1 });
        await other.transaction(async (t) => t.write({ agentId: 'x', key: 'c9', value: {} }));
        await expect(tx.commit()).rejects.toBeInstanceOf(TransactionConflictError);
      });

      it('validates each operation at once, and times out on the client’s clock', async () => {
        const tx = await client.beginTransaction({ buffered: true, timeoutMs: 300 });
        await expect(tx.write({ agentId: '', key: 'k', value: {} })).rejects.toBeInstanceOf(
          ValidationError,
        );
        await expect(tx.write({ agentId: 'a', key: 'k', value: [1] })).rejects.toMatchObject({
          code: 'VALIDATION_FAILED',
        });
        await expect(
          tx.append({ agentId: 'a', prefix: 'p'.repeat(250), value: {} }),
        ).rejects.toMatchObject({
          code: 'VALIDATION_FAILED',
          message: expect.stringContaining('12 digits'),
        });
        await tx.write({ agentId: 'a', key: 'k', value: { ok: true } });
        await sleep(400);
        await expect(tx.commit()).rejects.toMatchObject({ message: 'Transaction timeout' });
        expect(tx.state).toBe('timedOut');
        expect((await other.getState({ agentId: 'a', key: 'k' })).exists).toBe(false);
      });
    });

    describe('read-only', () => {
      it('reads and lists one snapshot while others commit, and refuses writes', async () => {
        await client.transaction(async (tx) => {
          await tx.write({ agentId: 'a', key: 'k1', value: { v: 1 } });
          await tx.write({ agentId: 'a', key: 'k2', value: { v: 1 } });
        });
        const tx = await client.beginTransaction({ readOnly: true });
        expect(tx).toMatchObject({ readOnly: true, buffered: false, readTs: 1 });
        await other.transaction(async (t) => {
          await t.write({ agentId: 'a', key: 'k1', value: { v: 2 } });
          await t.delete({ agentId: 'a', key: 'k2' });
          await t.write({ agentId: 'a', key: 'k3', value: { v: 2 } });
        });
        expect(await tx.get({ agentId: 'a', key: 'k1' })).toEqual({
          exists: true,
          value: { v: 1 },
          version: 1,
          commitTs: 1,
          staged: false,
        });
        expect((await tx.get({ agentId: 'a', key: 'k3' })).exists).toBe(false);
        expect((await tx.listKeys({ agentId: 'a' })).keys).toEqual(['k1', 'k2']);
        const scan = await tx.scanPrefix({ agentId: 'a', prefix: 'k' });
        expect(scan.entries.map(({ key, value }) => [key, value])).toEqual([
          ['k1', { v: 1 }],
          ['k2', { v: 1 }],
        ]);
        await expect(tx.write({ agentId: 'a', key: 'k', value: {} })).rejects.toMatchObject({
          message: 'Transaction is read-only',
          code: 'TRANSACTION_READ_ONLY',
        });
        expect(await tx.commit()).toBe(1);
        expect(await other.lastCommitTs()).toBe(2);
      });

      it('reads at a chosen readTs, and refuses one after the last commit', async () => {
        for (let v = 1; v <= 3; v++) {
          await client.transaction(async (tx) =>
            tx.write({ agentId: 'a', key: 'k', value: { v } }),
          );
        }
        const tx = await client.beginTransaction({ readOnly: true, readTs: 2 });
        expect((await tx.get({ agentId: 'a', key: 'k' })).value).toEqual({ v: 2 });
        await expect(client.beginTransaction({ readOnly: true, readTs: 4 })).rejects.toBeInstanceOf(
          ValidationError,
        );
        await expect(client.beginTransaction({ readTs: 1 })).rejects.toMatchObject({
          code: 'VALIDATION_FAILED',
        });
      });

      it('runs a scoped read-only transaction', async () => {
        await client.transaction(async (tx) =>
          tx.write({ agentId: 'a', key: 'k', value: { v: 1 } }),
        );
        const seen = await client.transaction(
          async (tx) => {
            expect(tx.readOnly).toBe(true);
            return (await tx.get({ agentId: 'a', key: 'k' })).value;
          },
          { readOnly: true },
        );
        expect(seen).toEqual({ v: 1 });
      });
    });

    describe('getMany', () => {
      it.each([
        ['staged', {}],
        ['buffered', { buffered: true }],
        ['lazy', { lazy: true }],
      ])(
        'reads several records in order, its own operations over the committed, and checks them at commit (%s)',
        async (_kind, options) => {
          await client.transaction(async (tx) => {
            await tx.write({ agentId: 'a', key: 'x', value: { v: 1 } });
            await tx.write({ agentId: 'b', key: 'y', value: { v: 1 } });
          });
          const tx = await client.beginTransaction(options);
          await tx.write({ agentId: 'a', key: 'mine', value: { v: 'staged' } });
          const read = await tx.getMany([
            { agentId: 'b', key: 'y' },
            { agentId: 'a', key: 'missing' },
            { agentId: 'a', key: 'mine' },
            { agentId: 'a', key: 'x' },
          ]);
          expect(read).toEqual([
            { exists: true, value: { v: 1 }, version: 1, commitTs: 1, staged: false },
            { exists: false, value: null, version: 0, commitTs: 0, staged: false },
            expect.objectContaining({ exists: true, value: { v: 'staged' }, staged: true }),
            { exists: true, value: { v: 1 }, version: 1, commitTs: 1, staged: false },
          ]);
          expect(await tx.getMany([])).toEqual([]);
          // A record read through getMany and changed since: the commit is a conflict.
          await other.transaction(async (t) =>
            t.write({ agentId: 'b', key: 'y', value: { v: 2 } }),
          );
          await tx.write({ agentId: 'a', key: 'z', value: {} });
          await expect(tx.commit()).rejects.toBeInstanceOf(TransactionConflictError);
        },
      );

      it('begins a lazy transaction with a getMany as its first operation', async () => {
        await client.transaction(async (tx) =>
          tx.write({ agentId: 'a', key: 'x', value: { v: 1 } }),
        );
        const tx = await client.beginTransaction({ lazy: true, timeoutMs: 5000 });
        const read = await tx.getMany([
          { agentId: 'a', key: 'x' },
          { agentId: 'a', key: 'y' },
          { agentId: 'b', key: 'z' },
        ]);
        expect(read.map((r) => r.version)).toEqual([1, 0, 0]);
        await tx.write({
          agentId: 'a',
          key: 'y',
          value: { from: (read[0]!.value as { v: number }).v },
        });
        expect(await tx.commit()).toBe(2);
        expect(await other.getState({ agentId: 'a', key: 'y' })).toMatchObject({
          value: { from: 1 },
          version: 1,
        });
      });

      it('reads as of readTs in a read-only transaction', async () => {
        await client.transaction(async (tx) =>
          tx.write({ agentId: 'a', key: 'x', value: { v: 1 } }),
        );
        const snapshot = await client.beginTransaction({ readOnly: true });
        await client.transaction(async (tx) => {
          await tx.write({ agentId: 'a', key: 'x', value: { v: 2 } });
          await tx.write({ agentId: 'a', key: 'new', value: {} });
        });
        expect(
          await snapshot.getMany([
            { agentId: 'a', key: 'new' },
            { agentId: 'a', key: 'x' },
          ]),
        ).toEqual([
          { exists: false, value: null, version: 0, commitTs: 0, staged: false },
          { exists: true, value: { v: 1 }, version: 1, commitTs: 1, staged: false },
        ]);
      });

      it('refuses what is not a list of records, naming the one that is wrong', async () => {
        const tx = await client.beginTransaction({ buffered: true });
        await expect(tx.getMany({ agentId: 'a', key: 'k' } as never)).rejects.toThrow(
          /getMany argument: must be an array/,
        );
        await expect(
          tx.getMany([
            { agentId: 'a', key: 'k' },
            { agentId: 'a', key: '' },
          ]),
        ).rejects.toThrow(/records\[1\]\.key/);
        const many = Array.from({ length: 1001 }, (_, i) => ({ agentId: 'a', key: `k${i}` }));
        await expect(tx.getMany(many)).rejects.toBeInstanceOf(ValidationError);
        await expect(tx.getMany(many)).rejects.toThrow(/at most 1000 records/);
        // Still usable.
        expect(await tx.getMany([{ agentId: 'a', key: 'k' }])).toHaveLength(1);
        await tx.abort();
      });
    });

    describe('lazy', () => {
      it('begins at its first operation and commits as a staged transaction', async () => {
        const tx = await client.beginTransaction({ lazy: true, timeoutMs: 5000 });
        expect(await other.lastCommitTs()).toBe(0);
        await tx.write({ agentId: 'a', key: 'k', value: { v: 1 } });
        expect(typeof tx.id).toBe('string');
        const resumed = await other.resumeTransaction(tx.id);
        expect(resumed.state).toBe('open');
        expect(await tx.commit()).toBe(1);
        expect(await other.getState({ agentId: 'a', key: 'k' })).toMatchObject({ version: 1 });
        const untouched = await client.beginTransaction({ lazy: true });
        await untouched.abort();
        expect(untouched.state).toBe('aborted');
      });
    });

    describe('staged', () => {
      it('lists inside the transaction with its own operations, and lists its mutations', async () => {
        await client.transaction(async (tx) => {
          await tx.write({ agentId: 'x', key: 'k1', value: { v: 1 } });
          await tx.write({ agentId: 'x', key: 'k2', value: { v: 1 } });
        });
        const tx = await client.beginTransaction();
        expect(tx).toMatchObject({ buffered: false, readOnly: false, readTs: null });
        await tx.write({ agentId: 'x', key: 'k0', value: { v: 0 } });
        await tx.delete({ agentId: 'x', key: 'k2', ifVersion: 1 });
        expect((await tx.listKeys({ agentId: 'x' })).keys).toEqual(['k0', 'k1']);
        const scan = await tx.scanPrefix({ agentId: 'x', prefix: 'k' });
        expect(scan.entries.map(({ key, staged }) => [key, staged])).toEqual([
          ['k0', true],
          ['k1', false],
        ]);
        expect(tx.mutations).toEqual([
          { type: 'write', agentId: 'x', key: 'k0', value: { v: 0 } },
          { type: 'delete', agentId: 'x', key: 'k2', ifVersion: 1 },
        ]);
        await other.transaction(async (t) => t.write({ agentId: 'x', key: 'k5', value: {} }));
        await expect(tx.commit()).rejects.toBeInstanceOf(TransactionConflictError);
      });
    });

    it('appends in a staged transaction, the keys allocated at commit', async () => {
      const tx = await client.beginTransaction();
      const first = await tx.append({ agentId: 'a', prefix: 'log:', value: { n: 1 } });
      await tx.write({ agentId: 'a', key: 'k', value: {} });
      const second = await tx.append({ agentId: 'a', prefix: 'log:', value: { n: 2 } });
      expect(typeof first.id).toBe('string');
      expect(first.id).not.toBe(second.id);
      expect([first.key, second.key]).toEqual([null, null]);
      expect(tx.mutations.filter((m) => m.type === 'append')).toHaveLength(2);
      await expect(tx.append({ agentId: '', prefix: 'log:', value: {} })).rejects.toBeInstanceOf(
        ValidationError,
      );
      expect(await tx.commit()).toBe(1);
      expect([first.key, second.key]).toEqual(['log:000000000001', 'log:000000000002']);
      expect((await other.getState({ agentId: 'a', key: 'log:000000000002' })).value).toEqual({
        n: 2,
      });
    });

    it('lists keys and records as of a past commitTs', async () => {
      await client.transaction(async (tx) => {
        for (const key of ['a', 'b', 'c']) await tx.write({ agentId: 'x', key, value: { key } });
      });
      await client.transaction(async (tx) => {
        await tx.delete({ agentId: 'x', key: 'b' });
        await tx.write({ agentId: 'x', key: 'd', value: {} });
      });
      expect(await keysOf(client, 'x', 1)).toEqual(['a', 'b', 'c']);
      expect(await keysOf(client, 'x')).toEqual(['a', 'c', 'd']);
      const scan = await client.scanPrefix({ agentId: 'x', prefix: 'b', atTs: 1 });
      expect(scan.entries).toEqual([{ key: 'b', value: { key: 'b' }, version: 1, commitTs: 1 }]);
      await expect(client.listKeys({ agentId: 'x', atTs: -1 })).rejects.toBeInstanceOf(
        ValidationError,
      );
    });

    it('refuses an integer out of range or not whole, never wrapping or rounding it', async () => {
      const tx = await client.beginTransaction();
      for (const ifVersion of [-1, 1.5]) {
        await expect(
          tx.write({ agentId: 'a', key: 'k', value: {}, ifVersion }),
        ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'ifVersion' });
        await expect(tx.delete({ agentId: 'a', key: 'k', ifVersion })).rejects.toBeInstanceOf(
          ValidationError,
        );
      }
      await expect(
        client.getStateAtVersion({ agentId: 'a', key: 'k', version: -1 }),
      ).rejects.toMatchObject({ field: 'version', message: expect.stringContaining('(got -1)') });
      for (const limit of [-1, 0, 10_001]) {
        await expect(client.listKeys({ agentId: 'a', limit })).rejects.toMatchObject({
          field: 'limit',
          message: expect.stringContaining(`(got ${limit})`),
        });
        await expect(tx.listKeys({ agentId: 'a', limit })).rejects.toBeInstanceOf(ValidationError);
      }
      expect(() => client.replay({ agentId: 'a', startTs: -1 })).toThrow(ValidationError);
      expect(() => client.replay({ agentId: 'a', endTs: 2.5 })).toThrow(ValidationError);
      await expect(client.getState({ agentId: 'a', key: 'k', atTs: -1 })).rejects.toBeInstanceOf(
        ValidationError,
      );
      await tx.write({ agentId: 'a', key: 'k', value: { ok: true } });
      expect(await tx.commit()).toBe(1);
    });

    it('refuses a finished transaction’s operations in every kind', async () => {
      for (const options of [{}, { buffered: true }, { readOnly: true }] as const) {
        const tx = await client.beginTransaction(options);
        await tx.commit();
        await expect(tx.get({ agentId: 'a', key: 'k' })).rejects.toMatchObject({
          message: 'Transaction already committed',
        });
        await expect(tx.commit()).rejects.toBeInstanceOf(TransactionError);
      }
    });
  });
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
