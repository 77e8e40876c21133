import {
  LimitExceededError,
  Statehouse,
  TransactionConflictError,
  TransactionNotFoundError,
  ValidationError,
} from '@statehouse/core';
import { closeClients, collect, connectClient, sleep } from './support/statehouse';

// Buffered transactions (`beginTransaction({ buffered: true })`): operations and read conditions
// stay in the client and go to Redis with the commit, in one script call.

let client: Statehouse;
let other: Statehouse;

beforeEach(async () => {
  client = await connectClient();
  other = await connectClient({ namespace: client.namespace });
});

afterAll(closeClients);

const put = (key: string, value: object): Promise<number> =>
  other.transaction(async (tx) => {
    await tx.write({ agentId: 'a', key, value });
    return tx.commit();
  });

describe('a buffered transaction', () => {
  it('keeps everything in the client until the commit applies it all at once', async () => {
    const tx = await client.beginTransaction({ buffered: true });
    expect(tx.buffered).toBe(true);
    expect(tx.id).toMatch(new RegExp(`^${client.namespace}~`));
    await tx.write({ agentId: 'a', key: 'k1', value: { n: 1 } });
    await tx.write({ agentId: 'a', key: 'k2', value: { n: 2 } });
    await tx.delete({ agentId: 'a', key: 'k2' });
    const step = await tx.append({ agentId: 'a', prefix: 'step:', value: { s: 1 } });

    // Nothing is in Redis yet: not the transaction, not its writes.
    await expect(other.describeTransaction(tx.id)).rejects.toBeInstanceOf(TransactionNotFoundError);
    await expect(other.resumeTransaction(tx.id)).rejects.toBeInstanceOf(TransactionNotFoundError);
    expect(await other.getState({ agentId: 'a', key: 'k1' })).toMatchObject({ exists: false });
    expect(tx.mutations.map((m) => [m.type, m.key])).toEqual([
      ['write', 'k1'],
      ['delete', 'k2'],
      ['append', null],
    ]);

    const commitTs = await tx.commit();
    expect(tx.state).toBe('committed');
    expect(step.key).toBe('step:000000000001');
    expect(await other.getState({ agentId: 'a', key: 'k1' })).toEqual({
      exists: true,
      value: { n: 1 },
      version: 1,
      commitTs,
    });
    expect(await other.getState({ agentId: 'a', key: 'k2' })).toMatchObject({
      exists: false,
      version: 1,
    });
    expect(await collect(other.replay({ agentId: 'a' }))).toEqual([
      {
        txId: tx.id,
        commitTs,
        time: expect.any(Number),
        operations: [
          { key: 'k1', value: { n: 1 }, version: 1 },
          { key: 'k2', value: null, version: 1 },
          { key: 'step:000000000001', value: { s: 1 }, version: 1 },
        ],
      },
    ]);
    expect(await other.describeTransaction(tx.id)).toMatchObject({ state: 'committed', commitTs });
    expect((await other.resumeTransaction(tx.id)).state).toBe('committed');
    await expect(tx.write({ agentId: 'a', key: 'k3', value: {} })).rejects.toMatchObject({
      message: 'Transaction already committed',
    });
  });

  it('commits an empty transaction with a new commitTs and no replay event', async () => {
    const before = await put('k', { v: 1 });
    const tx = await client.beginTransaction({ buffered: true });
    expect(await tx.commit()).toBe(before + 1);
    expect(await collect(other.replay({ agentId: 'a' }))).toHaveLength(1);
  });

  it('aborts without a round trip, and leaving an `await using` block aborts', async () => {
    const tx = await client.beginTransaction({ buffered: true });
    await tx.write({ agentId: 'a', key: 'k', value: { v: 1 } });
    await tx.abort();
    await tx.abort(); // a no-op
    expect(tx.state).toBe('aborted');
    await expect(tx.commit()).rejects.toMatchObject({ message: 'Transaction already aborted' });
    {
      await using scoped = await client.beginTransaction({ buffered: true });
      await scoped.write({ agentId: 'a', key: 'k', value: { v: 2 } });
    }
    expect(await other.getState({ agentId: 'a', key: 'k' })).toMatchObject({
      exists: false,
      version: 0,
    });
    expect(client.openTransactions).toBe(0);
  });

  it('times out on the client’s clock', async () => {
    const tx = await client.beginTransaction({ buffered: true, timeoutMs: 50 });
    await tx.write({ agentId: 'a', key: 'k', value: { v: 1 } });
    await sleep(80);
    await expect(tx.commit()).rejects.toMatchObject({ message: 'Transaction timeout' });
    expect(tx.state).toBe('timedOut');
    expect(await other.getState({ agentId: 'a', key: 'k' })).toMatchObject({ exists: false });
  });

  it('enforces the operation and byte limits as it stages, and stays usable', async () => {
    const small = await connectClient({ maxOperationsPerTransaction: 2, maxTransactionBytes: 200 });
    const tx = await small.beginTransaction({ buffered: true });
    await tx.write({ agentId: 'a', key: 'k1', value: { v: 1 } });
    await tx.write({ agentId: 'a', key: 'k2', value: { v: 1 } });
    await tx.write({ agentId: 'a', key: 'k2', value: { v: 2 } }); // same record: no new operation
    await expect(tx.write({ agentId: 'a', key: 'k3', value: {} })).rejects.toMatchObject({
      code: 'LIMIT_EXCEEDED',
      limit: 'maxOperationsPerTransaction',
    });
    await expect(
      tx.write({ agentId: 'a', key: 'k1', value: { text: 'x'.repeat(300) } }),
    ).rejects.toBeInstanceOf(LimitExceededError);
    await tx.commit();
    expect(await small.getState({ agentId: 'a', key: 'k2' })).toMatchObject({ value: { v: 2 } });
    expect(await small.getState({ agentId: 'a', key: 'k1' })).toMatchObject({ value: { v: 1 } });
  });

  it('refuses bad options with a ValidationError', async () => {
    await expect(
      client.beginTransaction({ buffered: true, readOnly: true }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      client.beginTransaction({ buffered: 'yes' as unknown as boolean }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'buffered' });
  });
});

describe('reads and conflicts in a buffered transaction', () => {
  it('reads its own writes, and a record read then changed by another commit is a conflict', async () => {
    await put('k', { v: 1 });
    const tx = await client.beginTransaction({ buffered: true });
    expect(await tx.get({ agentId: 'a', key: 'k' })).toMatchObject({
      value: { v: 1 },
      version: 1,
      staged: false,
    });
    await tx.write({ agentId: 'a', key: 'k', value: { v: 10 } });
    expect(await tx.get({ agentId: 'a', key: 'k' })).toMatchObject({
      value: { v: 10 },
      version: 1,
      staged: true,
    });
    await put('k', { v: 2 });
    const error = (await tx.commit().catch((e: unknown) => e)) as TransactionConflictError;
    expect(error).toBeInstanceOf(TransactionConflictError);
    expect(error).toMatchObject({ code: 'CONFLICT', agentId: 'a', key: 'k' });
    expect(tx.state).toBe('aborted');
    expect(await other.getState({ agentId: 'a', key: 'k' })).toMatchObject({ value: { v: 2 } });
    expect(await other.describeTransaction(tx.id)).toMatchObject({ state: 'aborted' });
  });

  it('makes a listing a condition: another transaction creating a record is a conflict', async () => {
    await put('k1', { v: 1 });
    const tx = await client.beginTransaction({ buffered: true });
    await tx.write({ agentId: 'a', key: 'k0', value: { v: 0 } });
    await tx.delete({ agentId: 'a', key: 'k1' });
    expect(await tx.listKeys({ agentId: 'a' })).toEqual({ keys: ['k0'], cursor: null });
    await put('k2', { v: 2 });
    await expect(tx.commit()).rejects.toMatchObject({ code: 'CONFLICT', key: null });
    expect(await other.listKeys({ agentId: 'a' })).toEqual({ keys: ['k1', 'k2'], cursor: null });
  });

  it('checks ifVersion at commit (0: create only)', async () => {
    await put('k', { v: 1 });
    const create = await client.beginTransaction({ buffered: true });
    await create.write({ agentId: 'a', key: 'k', value: { v: 9 }, ifVersion: 0 });
    await expect(create.commit()).rejects.toMatchObject({ code: 'CONFLICT', key: 'k' });
    const update = await client.beginTransaction({ buffered: true });
    await update.write({ agentId: 'a', key: 'k', value: { v: 2 }, ifVersion: 1 });
    await update.commit();
    expect(await other.getState({ agentId: 'a', key: 'k' })).toMatchObject({
      value: { v: 2 },
      version: 2,
    });
  });

  it('loses no update under concurrent read-modify-write, mixed with staged transactions', async () => {
    await put('counter', { n: 0 });
    const increment = (buffered: boolean) =>
      client.transaction(
        async (tx) => {
          const { value } = await tx.get({ agentId: 'a', key: 'counter' });
          await tx.write({ agentId: 'a', key: 'counter', value: { n: (value!.n as number) + 1 } });
        },
        { buffered, maxRetries: 200 },
      );
    await Promise.all(Array.from({ length: 60 }, (_, i) => increment(i % 3 !== 0)));
    expect(await other.getState({ agentId: 'a', key: 'counter' })).toMatchObject({
      value: { n: 60 },
      version: 61,
    });
    const events = await collect(other.replay({ agentId: 'a' }));
    expect(events.map((e) => e.operations[0]!.version)).toEqual(
      Array.from({ length: 61 }, (_, i) => i + 1),
    );
  });
});

describe('finished buffered transactions', () => {
  it('stay known for the retention, then later commits forget them', async () => {
    const short = await connectClient({ finishedTransactionRetentionMs: 1000 });
    const tx = await short.beginTransaction({ buffered: true });
    await tx.commit();
    expect(await short.describeTransaction(tx.id)).toMatchObject({ state: 'committed' });
    await sleep(1200);
    const next = await short.beginTransaction({ buffered: true });
    await next.commit();
    await expect(short.describeTransaction(tx.id)).rejects.toBeInstanceOf(TransactionNotFoundError);
    expect(await short.describeTransaction(next.id)).toMatchObject({ state: 'committed' });
  });
});
