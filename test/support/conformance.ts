// One conformance suite for every implementation of StatehouseApi: the embedded Statehouse
// (@statehouse/core) and the network StatehouseClient (@statehouse/client). Each test file calls
// `describeConformance` with a factory of connected clients on fresh namespaces.
import { randomBytes } from 'node:crypto';
import {
  TransactionConflictError,
  TransactionError,
  TransactionNotFoundError,
  ValidationError,
  VersionNotFoundError,
  type ReplayEvent,
  type StatehouseApi,
} from '@statehouse/core';

export interface ConformanceTarget {
  /** A client whose default namespace is `namespace`. */
  connect(namespace: string): Promise<StatehouseApi>;
}

async function collect<T>(iterable: AsyncIterable<T>, max = Infinity): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) {
    items.push(item);
    if (items.length >= max) break;
  }
  return items;
}

export function describeConformance(name: string, target: ConformanceTarget): void {
  describe(`StatehouseApi conformance: ${name}`, () => {
    let client: StatehouseApi;
    let other: StatehouseApi;
    let ns: string;

    beforeEach(async () => {
      ns = `c-${randomBytes(6).toString('hex')}`;
      client = await target.connect(ns);
      other = await target.connect(ns);
    });

    afterEach(async () => {
      await client.close();
      await other.close();
    });

    it('commits writes and deletes atomically, with commitTs and versions', async () => {
      const tx = await client.beginTransaction({ timeoutMs: 5000 });
      expect(tx.namespace).toBe(ns);
      expect(tx.state).toBe('open');
      await tx.write({ agentId: 'a', key: 'memory', value: { fact: 'x', n: 1 } });
      await tx.write({ agentId: 'a', key: 'tmp', value: { t: true } });
      await tx.delete({ agentId: 'a', key: 'tmp' });
      expect(await other.getState({ agentId: 'a', key: 'memory' })).toEqual({
        exists: false,
        value: null,
        version: 0,
        commitTs: 0,
      });
      expect(await tx.commit()).toBe(1);
      expect(tx.state).toBe('committed');
      expect(await other.getState({ agentId: 'a', key: 'memory' })).toEqual({
        exists: true,
        value: { fact: 'x', n: 1 },
        version: 1,
        commitTs: 1,
      });
      expect(await other.getState({ agentId: 'a', key: 'tmp' })).toMatchObject({
        exists: false,
        version: 1,
      });
      expect(await other.lastCommitTs()).toBe(1);
    });

    it('works in a namespace of any name, and refuses one that breaks the rule', async () => {
      // ':', '/', braces, '~', '%', spaces, non-ASCII: names the official daemon accepts.
      const named = `team:a/{b}~ 100% 日本語 🦜 ${ns}`;
      const tx = await client.beginTransaction({ namespace: named });
      expect(tx.namespace).toBe(named);
      expect(tx.id.startsWith(`${named}~`)).toBe(true);
      await tx.write({ agentId: 'a', key: 'step:1', value: { n: 1 } });
      await tx.write({ agentId: 'a', key: 'step:2', value: { n: 2 } });
      expect(await tx.commit()).toBe(1);
      const next = await client.beginTransaction({ namespace: named });
      const resumed = await other.resumeTransaction(next.id);
      expect(resumed.namespace).toBe(named);
      await resumed.delete({ agentId: 'a', key: 'step:2' });
      expect(await resumed.commit()).toBe(2);
      expect(await other.describeTransaction(next.id)).toMatchObject({
        namespace: named,
        state: 'committed',
        commitTs: 2,
      });
      const record = { namespace: named, agentId: 'a' };
      expect(await other.getState({ ...record, key: 'step:1' })).toEqual({
        exists: true,
        value: { n: 1 },
        version: 1,
        commitTs: 1,
      });
      expect((await other.listKeys(record)).keys).toEqual(['step:1']);
      expect((await other.scanPrefix({ ...record, prefix: 'step:' })).entries).toHaveLength(1);
      const events = await collect(other.replay(record));
      expect(events.map((event) => [event.txId, event.commitTs])).toEqual([
        [tx.id, 1],
        [next.id, 2],
      ]);
      expect(await other.lastCommitTs(named)).toBe(2);
      expect(await other.lastCommitTs()).toBe(0); // the client's own namespace is another
      for (const bad of ['a\u0000b', 'x'.repeat(257)]) {
        const refused = other.getState({ namespace: bad, agentId: 'a', key: 'k' });
        await expect(refused).rejects.toBeInstanceOf(ValidationError);
        await expect(refused).rejects.toThrow('Invalid namespace: ');
      }
    });

    it('refuses operations after commit and abort with the SDK’s messages', async () => {
      const tx = await client.beginTransaction();
      await tx.commit();
      await expect(tx.write({ agentId: 'a', key: 'k', value: {} })).rejects.toThrow(
        'Transaction already committed',
      );
      const aborted = await client.beginTransaction();
      await aborted.write({ agentId: 'a', key: 'k', value: { v: 1 } });
      await aborted.abort();
      await aborted.abort(); // a no-op
      await expect(aborted.commit()).rejects.toMatchObject({
        message: 'Transaction already aborted',
        code: 'TRANSACTION_ALREADY_ABORTED',
      });
      await expect(aborted.commit()).rejects.toBeInstanceOf(TransactionError);
      expect((await other.getState({ agentId: 'a', key: 'k' })).exists).toBe(false);
    });

    it('times out on the server', async () => {
      // Long enough that the write lands before the deadline on a loaded machine.
      const tx = await client.beginTransaction({ timeoutMs: 600 });
      await tx.write({ agentId: 'a', key: 'k', value: { v: 1 } });
      await new Promise((done) => setTimeout(done, 800));
      await expect(tx.commit()).rejects.toMatchObject({
        message: 'Transaction timeout',
        code: 'TRANSACTION_TIMEOUT',
      });
      expect(tx.state).toBe('timedOut');
    });

    it('continues a transaction from another client, and describes it', async () => {
      const tx = await client.beginTransaction();
      await tx.write({ agentId: 'a', key: 'k1', value: { v: 1 } });
      const same = await other.resumeTransaction(tx.id);
      await same.write({ agentId: 'a', key: 'k2', value: { v: 2 } });
      const commitTs = await same.commit();
      expect((await client.listKeys({ agentId: 'a' })).keys).toEqual(['k1', 'k2']);
      expect(await client.describeTransaction(tx.id)).toMatchObject({
        id: tx.id,
        namespace: ns,
        state: 'committed',
        commitTs,
      });
      await expect(
        client.resumeTransaction(`${ns}~00000000-0000-4000-8000-000000000000`),
      ).rejects.toBeInstanceOf(TransactionNotFoundError);
    });

    it('scoped transactions commit on return, abort on throw, and retry conflicts', async () => {
      expect(
        await client.transaction(async (tx) => {
          await tx.write({ agentId: 'a', key: 'counter', value: { n: 0 } });
          return 'done';
        }),
      ).toBe('done');
      await expect(
        client.transaction(async (tx) => {
          await tx.write({ agentId: 'a', key: 'counter', value: { n: 99 } });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      const increment = () =>
        client.transaction(
          async (tx) => {
            const { value } = await tx.get({ agentId: 'a', key: 'counter' });
            await tx.write({
              agentId: 'a',
              key: 'counter',
              value: { n: (value!.n as number) + 1 },
            });
          },
          { maxRetries: 100 },
        );
      await Promise.all(Array.from({ length: 12 }, increment));
      expect(await other.getState({ agentId: 'a', key: 'counter' })).toMatchObject({
        value: { n: 12 },
        version: 13,
      });
      {
        await using tx = await client.beginTransaction();
        await tx.write({ agentId: 'a', key: 'scoped', value: {} });
      } // leaving the block aborts it
      expect((await other.getState({ agentId: 'a', key: 'scoped' })).exists).toBe(false);
    });

    it('reads its own writes and reports a conflict on a changed read or ifVersion', async () => {
      await client.transaction(async (tx) => tx.write({ agentId: 'a', key: 'k', value: { v: 1 } }));
      const tx = await client.beginTransaction();
      expect(await tx.get({ agentId: 'a', key: 'k' })).toEqual({
        exists: true,
        value: { v: 1 },
        version: 1,
        commitTs: 1,
        staged: false,
      });
      await tx.write({ agentId: 'a', key: 'k', value: { v: 2 } });
      expect(await tx.get({ agentId: 'a', key: 'k' })).toMatchObject({
        value: { v: 2 },
        staged: true,
      });
      await other.transaction(async (t) => t.write({ agentId: 'a', key: 'k', value: { v: 3 } }));
      await expect(tx.commit()).rejects.toBeInstanceOf(TransactionConflictError);
      expect(tx.state).toBe('aborted');
      const create = await client.beginTransaction();
      await create.write({ agentId: 'a', key: 'k', value: {}, ifVersion: 0 });
      await expect(create.commit()).rejects.toMatchObject({ code: 'CONFLICT' });
    });

    it('validates input with ValidationError and keeps the transaction usable', async () => {
      const tx = await client.beginTransaction();
      await expect(tx.write({ agentId: '', key: 'k', value: {} })).rejects.toBeInstanceOf(
        ValidationError,
      );
      await expect(tx.write({ agentId: 'a', key: 'k', value: [1] })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await tx.write({ agentId: 'a', key: 'k', value: { ok: true } });
      expect(await tx.commit()).toBeGreaterThan(0);
      await expect(client.getState({ agentId: 'a', key: '' })).rejects.toBeInstanceOf(
        ValidationError,
      );
    });

    it('reads versions and points in time, and pages listings in byte order', async () => {
      for (const key of ['b', 'a', 'é', 'step:2', 'step:1']) {
        await client.transaction(async (tx) => tx.write({ agentId: 'x', key, value: { key } }));
      }
      await client.transaction(async (tx) =>
        tx.write({ agentId: 'x', key: 'a', value: { key: 'a2' } }),
      );
      expect(await client.getStateAtVersion({ agentId: 'x', key: 'a', version: 1 })).toMatchObject({
        value: { key: 'a' },
        commitTs: 2,
      });
      await expect(
        client.getStateAtVersion({ agentId: 'x', key: 'a', version: 7 }),
      ).rejects.toBeInstanceOf(VersionNotFoundError);
      expect(await client.getState({ agentId: 'x', key: 'a', atTs: 3 })).toMatchObject({
        version: 1,
      });
      const first = await client.listKeys({ agentId: 'x', limit: 2 });
      expect(first.keys).toEqual(['a', 'b']);
      const rest = await client.listKeys({ agentId: 'x', limit: 10, cursor: first.cursor });
      expect(rest).toEqual({ keys: ['step:1', 'step:2', 'é'], cursor: null });
      const scan = await client.scanPrefix({ agentId: 'x', prefix: 'step:' });
      expect(scan.entries.map((e) => [e.key, e.value, e.version])).toEqual([
        ['step:1', { key: 'step:1' }, 1],
        ['step:2', { key: 'step:2' }, 1],
      ]);
    });

    it('replays in commit order with inclusive bounds, and follows new commits', async () => {
      for (let i = 1; i <= 3; i++) {
        await client.transaction(async (tx) => {
          await tx.write({ agentId: 'r', key: 'k', value: { i } });
          await tx.write({ agentId: 'other', key: 'k', value: { i } });
        });
      }
      const events = await collect(client.replay({ agentId: 'r', startTs: 2, endTs: 3 }));
      expect(events.map((e) => [e.commitTs, e.operations])).toEqual([
        [2, [{ key: 'k', value: { i: 2 }, version: 2 }]],
        [3, [{ key: 'k', value: { i: 3 }, version: 3 }]],
      ]);
      const followed: ReplayEvent[] = [];
      const following = (async () => {
        for await (const event of client.replay({ agentId: 'r', startTs: 3, follow: true })) {
          followed.push(event);
          if (followed.length === 2) break;
        }
      })();
      await new Promise((done) => setTimeout(done, 100));
      await other.transaction(async (tx) => tx.delete({ agentId: 'r', key: 'k' }));
      await following;
      expect(followed.map((e) => e.commitTs)).toEqual([3, 4]);
      expect(followed[1]!.operations).toEqual([{ key: 'k', value: null, version: 4 }]);
    });
  });
}
