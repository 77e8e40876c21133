import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { LimitExceededError, Statehouse, type Transaction } from '@statehouse/core';
import { closeClients, connectClient, redisUrl, sleep } from './support/statehouse';

let client: Statehouse;

beforeEach(async () => {
  client = await connectClient();
});

afterAll(closeClients);

describe('tx.mutations', () => {
  it('lists the staged operations, last one per record, read-only and detached from the caller', async () => {
    const tx = await client.beginTransaction();
    const value = { n: 1, list: [1, 2] };
    await tx.write({ agentId: 'a', key: 'x', value });
    await tx.write({ agentId: 'a', key: 'y', value: { n: 2 }, ifVersion: 0 });
    await tx.delete({ agentId: 'a', key: 'x' });
    await tx.write({ agentId: 'a', key: 'z', value });
    value.n = 99; // the caller's object changing later does not change what was staged
    expect(tx.mutations).toEqual([
      { type: 'write', agentId: 'a', key: 'y', value: { n: 2 }, ifVersion: 0 },
      { type: 'delete', agentId: 'a', key: 'x' },
      { type: 'write', agentId: 'a', key: 'z', value: { n: 1, list: [1, 2] } },
    ]);
    expect(Object.isFrozen(tx.mutations)).toBe(true);
    expect(() => {
      (tx.mutations[2]!.value as { n: number }).n = 5;
    }).toThrow(TypeError);
    const resumed = await client.resumeTransaction(tx.id);
    expect(resumed.mutations.map((m) => [m.type, m.key])).toEqual([
      ['write', 'y'],
      ['delete', 'x'],
      ['write', 'z'],
    ]);
    await tx.commit();
    expect((await client.getState({ agentId: 'a', key: 'z' })).value).toEqual({
      n: 1,
      list: [1, 2],
    });
  });

  it('does not list an operation that was refused', async () => {
    const tx = await client.beginTransaction();
    await tx.write({ agentId: 'a', key: 'ok', value: {} });
    await expect(tx.write({ agentId: 'a', key: 'bad', value: { n: NaN } })).rejects.toThrow();
    expect(tx.mutations.map((m) => m.key)).toEqual(['ok']);
    await tx.abort();
  });
});

describe('Statehouse.currentTransaction', () => {
  it('is the transaction of the enclosing callback, through awaits, timers and parallel work', async () => {
    expect(Statehouse.currentTransaction()).toBeUndefined();
    const seen: Array<[string, string | undefined]> = [];
    const run = (label: string) =>
      client.transaction(async (tx) => {
        await sleep(5);
        const inTimer = await new Promise<Transaction | undefined>((done) =>
          setTimeout(() => done(Statehouse.currentTransaction()), 5),
        );
        const [inParallel] = await Promise.all([
          Promise.resolve().then(() => Statehouse.currentTransaction()),
        ]);
        expect(inTimer).toBe(tx);
        expect(inParallel).toBe(tx);
        seen.push([label, Statehouse.currentTransaction()?.id === tx.id ? 'own' : 'other']);
        await Statehouse.currentTransaction()!.write({ agentId: 'a', key: label, value: {} });
      });
    await Promise.all([run('one'), run('two')]);
    expect(seen.sort()).toEqual([
      ['one', 'own'],
      ['two', 'own'],
    ]);
    expect(Statehouse.currentTransaction()).toBeUndefined();
    expect((await client.listKeys({ agentId: 'a' })).keys).toEqual(['one', 'two']);
  });
});

describe('backpressure', () => {
  it('makes beginTransaction wait for a free slot, then fail clearly after maxWaitMs', async () => {
    const small = await connectClient({ maxOpenTransactions: 2, maxWaitMs: 300 });
    const first = await small.beginTransaction();
    const second = await small.beginTransaction();
    expect(small.openTransactions).toBe(2);

    const third = small.beginTransaction(); // waits
    await sleep(50);
    await first.commit(); // frees a slot: the waiting begin gets it
    const begun = await third;
    expect(begun.state).toBe('open');

    const started = Date.now();
    const error = await small.beginTransaction().catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(error).toBeInstanceOf(LimitExceededError);
    expect(error).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'maxOpenTransactions', max: 2 });
    expect((error as Error).message).toContain('maxWaitMs');

    await expect(small.beginTransaction({ maxWaitMs: 0 })).rejects.toBeInstanceOf(
      LimitExceededError,
    );
    await second.abort();
    await begun.abort();
    expect(small.openTransactions).toBe(0);
  });

  it('frees the slot of a transaction that ended elsewhere, at its deadline at the latest', async () => {
    const small = await connectClient({ maxOpenTransactions: 1, maxWaitMs: 3000 });
    await small.beginTransaction({ timeoutMs: 100 }); // never finished through this client
    const next = await small.beginTransaction();
    expect(next.state).toBe('open');
    await next.abort();
  });
});

describe('lazy begin', () => {
  it('touches Redis only at the first operation; tx.id is null until then', async () => {
    const admin = new Redis(redisUrl());
    try {
      const deadlines = `sh:{${client.namespace}}:deadlines`;
      const tx = await client.beginTransaction({ lazy: true, timeoutMs: 5000 });
      expect(tx.id).toBeNull();
      expect(tx.namespace).toBe(client.namespace);
      expect(await admin.zcard(deadlines)).toBe(0);
      await tx.write({ agentId: 'a', key: 'k', value: { lazy: true } });
      expect(tx.id).toMatch(new RegExp(`^${client.namespace}~`));
      expect(await admin.zcard(deadlines)).toBe(1);
      expect((await client.describeTransaction(tx.id!)).state).toBe('open');
      const commitTs = await tx.commit();
      expect(await client.getState({ agentId: 'a', key: 'k' })).toMatchObject({
        value: { lazy: true },
        commitTs,
      });
    } finally {
      await admin.quit();
    }
  });

  it('commits an untouched lazy transaction as an empty one, and aborts it without a round trip', async () => {
    const empty = await client.beginTransaction({ lazy: true });
    expect(await empty.commit()).toBe(1);
    const untouched = await client.beginTransaction({ lazy: true });
    await untouched.abort();
    expect(untouched.state).toBe('aborted');
    expect(untouched.id).toBeNull();
    expect(client.openTransactions).toBe(0);
    await expect(untouched.write({ agentId: 'a', key: 'k', value: {} })).rejects.toMatchObject({
      message: 'Transaction already aborted',
    });
    await expect(
      client.transaction(() => Promise.resolve(1), { lazy: true }),
    ).rejects.toMatchObject({
      field: 'lazy',
    });
  });
});

describe('beginTransaction({ id })', () => {
  it('begins with the chosen id, and a second begin of it continues the same transaction', async () => {
    const id = `${client.namespace}~${randomUUID()}`;
    const first = await client.beginTransaction({ id, timeoutMs: 60_000 });
    expect(first.id).toBe(id);
    await first.write({ agentId: 'a', key: 'k1', value: { v: 1 } });
    const again = await client.beginTransaction({ id, timeoutMs: 5 }); // keeps it as it is
    await again.write({ agentId: 'a', key: 'k2', value: { v: 2 } });
    const { deadline, createdAt } = await client.describeTransaction(id);
    expect(deadline - createdAt).toBe(60_000);
    await again.commit();
    expect((await client.listKeys({ agentId: 'a' })).keys).toEqual(['k1', 'k2']);
    const late = await client.beginTransaction({ id });
    await expect(late.write({ agentId: 'a', key: 'k3', value: {} })).rejects.toMatchObject({
      message: 'Transaction already committed',
    });
  });

  it('keeps a finished transaction with a chosen id until its deadline plus the retention: a begin within its timeout finds it', async () => {
    const short = await connectClient({ finishedTransactionRetentionMs: 1000 });
    const id = `${short.namespace}~${randomUUID()}`;
    const tx = await short.beginTransaction({ id, timeoutMs: 60_000 });
    await tx.write({ agentId: 'a', key: 'k', value: { v: 1 } });
    await tx.commit();
    await sleep(1500); // past the retention, well within the timeout
    const again = await short.beginTransaction({ id });
    await expect(again.write({ agentId: 'a', key: 'k2', value: {} })).rejects.toMatchObject({
      message: 'Transaction already committed',
    });
    await expect(again.commit()).rejects.toMatchObject({ code: 'TRANSACTION_ALREADY_COMMITTED' });
    expect((await short.listKeys({ agentId: 'a' })).keys).toEqual(['k']);
  });

  it('refuses an id that is not "<namespace>~<uuid>", or names another namespace', async () => {
    await expect(client.beginTransaction({ id: 'nope' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'id',
    });
    await expect(
      client.beginTransaction({ id: `a~${randomUUID()}`, namespace: 'b' }),
    ).rejects.toMatchObject({ field: 'namespace' });
    await expect(
      client.beginTransaction({ id: `a~${randomUUID()}`, buffered: true }),
    ).rejects.toMatchObject({ field: 'id' });
  });
});

describe('resumeTransaction(id, { lazy: true })', () => {
  it('makes no round trip, and its first operation learns the stored state', async () => {
    const tx = await client.beginTransaction();
    await tx.write({ agentId: 'a', key: 'k', value: { v: 1 } });
    const lazy = await client.resumeTransaction(tx.id, { lazy: true });
    expect(lazy.state).toBe('open');
    expect(lazy.mutations).toEqual([]);
    await lazy.write({ agentId: 'a', key: 'k2', value: { v: 2 } });
    await tx.commit();
    const late = await client.resumeTransaction(tx.id, { lazy: true });
    await expect(late.commit()).rejects.toMatchObject({ message: 'Transaction already committed' });
    expect(late.state).toBe('committed');
    expect((await client.listKeys({ agentId: 'a' })).keys).toEqual(['k', 'k2']);
  });
});
