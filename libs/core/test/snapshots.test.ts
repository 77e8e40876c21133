import { Statehouse, TransactionError, ValidationError } from '@statehouse/core';
import { closeClients, connectClient, sleep } from './support/statehouse';

let client: Statehouse;

beforeEach(async () => {
  client = await connectClient();
});

afterAll(closeClients);

async function commit(
  ops: (tx: import('@statehouse/core').Transaction) => Promise<void>,
): Promise<number> {
  return client.transaction(async (tx) => {
    await ops(tx);
    return tx.commit();
  });
}

describe('getState({ atTs })', () => {
  it('reads the last version committed at or before a commitTs', async () => {
    const other = await commit((tx) => tx.write({ agentId: 'a', key: 'other', value: {} }));
    const ts1 = await commit((tx) => tx.write({ agentId: 'a', key: 'k', value: { v: 1 } }));
    await commit((tx) => tx.write({ agentId: 'a', key: 'other', value: { again: true } }));
    const ts2 = await commit((tx) => tx.write({ agentId: 'a', key: 'k', value: { v: 2 } }));
    const ts3 = await commit((tx) => tx.delete({ agentId: 'a', key: 'k' }));
    const ts4 = await commit((tx) => tx.write({ agentId: 'a', key: 'k', value: { v: 4 } }));
    const at = (atTs: number) => client.getState({ agentId: 'a', key: 'k', atTs });
    expect(await at(other)).toEqual({ exists: false, value: null, version: 0, commitTs: 0 });
    expect(await at(ts1)).toEqual({ exists: true, value: { v: 1 }, version: 1, commitTs: ts1 });
    expect(await at(ts2 - 1)).toEqual({ exists: true, value: { v: 1 }, version: 1, commitTs: ts1 });
    expect(await at(ts2)).toEqual({ exists: true, value: { v: 2 }, version: 2, commitTs: ts2 });
    expect(await at(ts3)).toEqual({ exists: false, value: null, version: 3, commitTs: ts3 });
    expect(await at(ts4)).toEqual({ exists: true, value: { v: 4 }, version: 4, commitTs: ts4 });
    expect(await at(0)).toEqual({ exists: false, value: null, version: 0, commitTs: 0 });
    const error = await at(ts4 + 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field: 'atTs' });
  });

  it('finds any of many versions', async () => {
    const stamps: number[] = [];
    for (let i = 1; i <= 40; i++) {
      stamps.push(await commit((tx) => tx.write({ agentId: 'a', key: 'counter', value: { i } })));
      await commit((tx) => tx.write({ agentId: 'b', key: 'noise', value: { i } }));
    }
    for (const [i, ts] of stamps.entries()) {
      expect(await client.getState({ agentId: 'a', key: 'counter', atTs: ts + 1 })).toMatchObject({
        value: { i: i + 1 },
        version: i + 1,
        commitTs: ts,
      });
    }
  });
});

describe('read-only transactions', () => {
  it('read one snapshot while others commit, and refuse writes', async () => {
    await commit((tx) => tx.write({ agentId: 'a', key: 'x', value: { v: 1 } }));
    const before = await commit((tx) => tx.write({ agentId: 'a', key: 'y', value: { v: 1 } }));
    const tx = await client.beginTransaction({ readOnly: true });
    expect(tx.readOnly).toBe(true);
    expect(tx.readTs).toBe(before);
    await commit(async (t) => {
      await t.write({ agentId: 'a', key: 'x', value: { v: 2 } });
      await t.delete({ agentId: 'a', key: 'y' });
      await t.write({ agentId: 'a', key: 'z', value: { new: true } });
    });
    expect(await tx.get({ agentId: 'a', key: 'x' })).toMatchObject({ value: { v: 1 }, version: 1 });
    expect(await tx.get({ agentId: 'a', key: 'y' })).toMatchObject({
      exists: true,
      value: { v: 1 },
    });
    expect(await tx.get({ agentId: 'a', key: 'z' })).toMatchObject({ exists: false, version: 0 });
    const refused = await tx.write({ agentId: 'a', key: 'x', value: {} }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TransactionError);
    expect(refused).toMatchObject({
      message: 'Transaction is read-only',
      code: 'TRANSACTION_READ_ONLY',
    });
    await expect(tx.delete({ agentId: 'a', key: 'x' })).rejects.toMatchObject({
      code: 'TRANSACTION_READ_ONLY',
    });
    expect(await tx.commit()).toBe(before);
    await expect(tx.get({ agentId: 'a', key: 'x' })).rejects.toMatchObject({
      message: 'Transaction already committed',
    });
  });

  it('read at an earlier readTs, and refuse a readTs not reached yet or without readOnly', async () => {
    const first = await commit((tx) => tx.write({ agentId: 'a', key: 'x', value: { v: 1 } }));
    await commit((tx) => tx.write({ agentId: 'a', key: 'x', value: { v: 2 } }));
    const value = await client.transaction(
      async (tx) => (await tx.get({ agentId: 'a', key: 'x' })).value,
      { readOnly: true, readTs: first },
    );
    expect(value).toEqual({ v: 1 });
    await expect(client.beginTransaction({ readOnly: true, readTs: 99 })).rejects.toMatchObject({
      field: 'readTs',
    });
    await expect(client.beginTransaction({ readTs: first })).rejects.toMatchObject({
      field: 'readTs',
    });
    await expect(
      client.beginTransaction({ readOnly: 'yes' as unknown as boolean }),
    ).rejects.toMatchObject({
      field: 'readOnly',
    });
  });

  it('time out like any transaction', async () => {
    const tx = await client.beginTransaction({ readOnly: true, timeoutMs: 50 });
    await sleep(80);
    await expect(tx.get({ agentId: 'a', key: 'x' })).rejects.toMatchObject({
      message: 'Transaction timeout',
    });
    expect(tx.state).toBe('timedOut');
    await expect(tx.abort()).resolves.toBeUndefined();
  });
});

describe('listings in read-only transactions', () => {
  it('list the agent’s records as they were at the snapshot, with their values then', async () => {
    const before = await commit(async (tx) => {
      for (const key of ['a', 'b', 'c'])
        await tx.write({ agentId: 'agent', key, value: { key, v: 1 } });
    });
    const snapshot = await client.beginTransaction({ readOnly: true });
    await commit(async (tx) => {
      await tx.delete({ agentId: 'agent', key: 'b' });
      await tx.write({ agentId: 'agent', key: 'a', value: { key: 'a', v: 2 } });
      await tx.write({ agentId: 'agent', key: 'd', value: { key: 'd', v: 2 } });
    });
    expect(await snapshot.listKeys({ agentId: 'agent' })).toEqual({
      keys: ['a', 'b', 'c'],
      cursor: null,
    });
    expect((await snapshot.scanPrefix({ agentId: 'agent', prefix: '' })).entries).toEqual([
      { key: 'a', value: { key: 'a', v: 1 }, version: 1, commitTs: before, staged: false },
      { key: 'b', value: { key: 'b', v: 1 }, version: 1, commitTs: before, staged: false },
      { key: 'c', value: { key: 'c', v: 1 }, version: 1, commitTs: before, staged: false },
    ]);
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const page: { keys: string[]; cursor: string | null } = await snapshot.listKeys({
        agentId: 'agent',
        limit: 2,
        cursor,
      });
      pages.push(page.keys);
      cursor = page.cursor;
    } while (cursor !== null);
    expect(pages.flat()).toEqual(['a', 'b', 'c']);
    const now = await client.beginTransaction({ readOnly: true });
    expect((await now.listKeys({ agentId: 'agent' })).keys).toEqual(['a', 'c', 'd']);
    const earlier = await client.beginTransaction({ readOnly: true, readTs: before - 1 });
    expect((await earlier.listKeys({ agentId: 'agent' })).keys).toEqual([]);
  });
});
