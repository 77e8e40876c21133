import {
  LimitExceededError,
  Statehouse,
  StatehouseError,
  TransactionError,
  TransactionNotFoundError,
  ValidationError,
} from '@statehouse/core';
import { closeClients, collect, connectClient, eventually } from './support/statehouse';

let client: Statehouse;

beforeEach(async () => {
  client = await connectClient();
});

afterAll(closeClients);

describe('seed examples', () => {
  it('commits a single write that every reader then sees', async () => {
    const tx = await client.beginTransaction({ timeoutMs: 5000 });
    expect(tx.state).toBe('open');
    expect(tx.namespace).toBe(client.namespace);
    await tx.write({ agentId: 'my-agent', key: 'memory', value: { fact: 'Some information' } });

    const before = await client.getState({ agentId: 'my-agent', key: 'memory' });
    expect(before).toEqual({ exists: false, value: null, version: 0, commitTs: 0 });

    const commitTs = await tx.commit();
    expect(commitTs).toBe(1);
    expect(tx.state).toBe('committed');
    expect(await client.getState({ agentId: 'my-agent', key: 'memory' })).toEqual({
      exists: true,
      value: { fact: 'Some information' },
      version: 1,
      commitTs: 1,
    });
  });

  it('applies several writes and a delete as one event', async () => {
    await client.transaction(async (tx) => {
      await tx.write({ agentId: 'agent', key: 'temp:scratch', value: { draft: true } });
    });
    const tx = await client.beginTransaction();
    await tx.write({ agentId: 'agent', key: 'plan', value: { steps: ['a', 'b'] } });
    await tx.write({ agentId: 'agent', key: 'step:1', value: { done: true, n: 7 } });
    await tx.delete({ agentId: 'agent', key: 'temp:scratch' });
    const commitTs = await tx.commit();

    expect((await client.listKeys({ agentId: 'agent' })).keys).toEqual(['plan', 'step:1']);
    expect(await client.getState({ agentId: 'agent', key: 'temp:scratch' })).toEqual({
      exists: false,
      value: null,
      version: 2,
      commitTs,
    });
    const events = await collect(client.replay({ agentId: 'agent' }));
    expect(events).toHaveLength(2);
    expect(events[1]).toEqual({
      txId: tx.id,
      commitTs,
      time: expect.any(Number), // when it committed (ms, Redis' clock)
      operations: [
        { key: 'plan', value: { steps: ['a', 'b'] }, version: 1 },
        { key: 'step:1', value: { done: true, n: 7 }, version: 1 },
        { key: 'temp:scratch', value: null, version: 2 },
      ],
    });
  });

  it('the scoped form commits when the callback returns and returns its result', async () => {
    const result = await client.transaction(async (tx) => {
      await tx.write({ agentId: 'a', key: 'k', value: { v: 1 } });
      return 42;
    });
    expect(result).toBe(42);
    expect((await client.getState({ agentId: 'a', key: 'k' })).value).toEqual({ v: 1 });
  });

  it('the scoped form aborts on throw, rethrows the same error and leaves state unchanged', async () => {
    await client.transaction(async (tx) => tx.write({ agentId: 'a', key: 'k', value: { v: 1 } }));
    const failure = new Error('tool call failed');
    let seen: string | undefined;
    await expect(
      client.transaction(async (tx) => {
        seen = tx.id;
        await tx.write({ agentId: 'a', key: 'k', value: { v: 2 } });
        await tx.write({ agentId: 'a', key: 'other', value: { v: 3 } });
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect((await client.describeTransaction(seen!)).state).toBe('aborted');
    expect(await client.getState({ agentId: 'a', key: 'k' })).toMatchObject({
      value: { v: 1 },
      version: 1,
    });
    expect((await client.getState({ agentId: 'a', key: 'other' })).exists).toBe(false);
    expect(await client.lastCommitTs()).toBe(1);
  });

  it('times out a transaction after 5 seconds on the server and discards its writes', async () => {
    const tx = await client.beginTransaction({ timeoutMs: 5000 });
    await tx.write({ agentId: 'a', key: 'k', value: { v: 1 } });
    const { deadline, createdAt } = await client.describeTransaction(tx.id);
    expect(deadline - createdAt).toBe(5000);
    await new Promise((done) => setTimeout(done, 5300));
    expect((await client.describeTransaction(tx.id)).state).toBe('timedOut'); // by the deadline
    // The timeout job (any process's worker, BullMQ's promotion lag) records when it ran.
    await eventually(
      async () => (await client.describeTransaction(tx.id)).finishedAt !== null,
      15_000,
    );
    const described = await client.describeTransaction(tx.id);
    expect(described.finishedAt).toBeGreaterThanOrEqual(deadline);
    await expect(tx.write({ agentId: 'a', key: 'k2', value: {} })).rejects.toThrow(
      new TransactionError('Transaction timeout'),
    );
    await expect(tx.commit()).rejects.toMatchObject({
      message: 'Transaction timeout',
      code: 'TRANSACTION_TIMEOUT',
    });
    expect((await client.getState({ agentId: 'a', key: 'k' })).exists).toBe(false);
  }, 30_000);
});

describe('staging', () => {
  it('keeps the last operation on a key and logs one operation per key', async () => {
    const tx = await client.beginTransaction();
    await tx.write({ agentId: 'a', key: 'k', value: { n: 1 } });
    await tx.write({ agentId: 'a', key: 'k', value: { n: 2 } });
    await tx.delete({ agentId: 'a', key: 'gone' });
    await tx.write({ agentId: 'a', key: 'gone', value: { back: true } });
    await tx.commit();
    const [event] = await collect(client.replay({ agentId: 'a' }));
    expect(event!.operations).toEqual([
      { key: 'k', value: { n: 2 }, version: 1 },
      { key: 'gone', value: { back: true }, version: 1 },
    ]);
  });

  it('shows nothing to readers before commit', async () => {
    const tx = await client.beginTransaction();
    await tx.write({ agentId: 'a', key: 'k', value: { n: 1 } });
    expect((await client.getState({ agentId: 'a', key: 'k' })).exists).toBe(false);
    expect((await client.listKeys({ agentId: 'a' })).keys).toEqual([]);
    expect((await client.scanPrefix({ agentId: 'a', prefix: '' })).entries).toEqual([]);
    expect(await collect(client.replay({ agentId: 'a' }))).toEqual([]);
    await tx.abort();
  });

  it('commits an empty transaction with a new commitTs and no replay event', async () => {
    await client.transaction(async (tx) => tx.write({ agentId: 'a', key: 'k', value: {} }));
    const tx = await client.beginTransaction();
    expect(await tx.commit()).toBe(2);
    expect(await client.lastCommitTs()).toBe(2);
    expect(await collect(client.replay({ agentId: 'a' }))).toHaveLength(1);
  });

  it('gives strictly increasing commitTs and versions that count every write and delete', async () => {
    const stamps: number[] = [];
    for (let i = 0; i < 5; i++) {
      stamps.push(
        await client.transaction(async (tx) => {
          if (i === 2) await tx.delete({ agentId: 'a', key: 'k' });
          else await tx.write({ agentId: 'a', key: 'k', value: { i } });
          return tx.commit();
        }),
      );
    }
    expect(stamps).toEqual([1, 2, 3, 4, 5]);
    expect(await client.getState({ agentId: 'a', key: 'k' })).toEqual({
      exists: true,
      value: { i: 4 },
      version: 5,
      commitTs: 5,
    });
  });
});

describe('abort', () => {
  it('discards staged operations', async () => {
    const tx = await client.beginTransaction();
    await tx.write({ agentId: 'a', key: 'k', value: { n: 1 } });
    await tx.abort();
    expect(tx.state).toBe('aborted');
    expect((await client.getState({ agentId: 'a', key: 'k' })).exists).toBe(false);
    expect(await client.lastCommitTs()).toBe(0);
  });

  it('is a no-op the second time, also from another object of the same transaction', async () => {
    const tx = await client.beginTransaction();
    await tx.abort();
    await expect(tx.abort()).resolves.toBeUndefined();
    const again = await client.resumeTransaction(tx.id);
    expect(again.state).toBe('aborted');
    await expect(again.abort()).resolves.toBeUndefined();
  });

  it('is a no-op after the timeout', async () => {
    const tx = await client.beginTransaction({ timeoutMs: 50 });
    await new Promise((done) => setTimeout(done, 120));
    await expect(tx.abort()).resolves.toBeUndefined();
    expect(tx.state).toBe('timedOut');
  });
});

describe('errors', () => {
  it('refuses every operation after commit with "Transaction already committed"', async () => {
    const tx = await client.beginTransaction();
    await tx.commit();
    const expected = {
      message: 'Transaction already committed',
      code: 'TRANSACTION_ALREADY_COMMITTED',
    };
    await expect(tx.write({ agentId: 'a', key: 'k', value: {} })).rejects.toMatchObject(expected);
    await expect(tx.delete({ agentId: 'a', key: 'k' })).rejects.toMatchObject(expected);
    await expect(tx.commit()).rejects.toMatchObject(expected);
    await expect(tx.abort()).rejects.toMatchObject(expected);
    // Another process that resumes it learns the same from Redis.
    const resumed = await client.resumeTransaction(tx.id);
    await expect(resumed.write({ agentId: 'a', key: 'k', value: {} })).rejects.toMatchObject(
      expected,
    );
  });

  it('refuses every operation but abort after abort with "Transaction already aborted"', async () => {
    const tx = await client.beginTransaction();
    const other = await client.resumeTransaction(tx.id);
    await tx.abort();
    const expected = {
      message: 'Transaction already aborted',
      code: 'TRANSACTION_ALREADY_ABORTED',
    };
    await expect(other.write({ agentId: 'a', key: 'k', value: {} })).rejects.toMatchObject(
      expected,
    );
    await expect(other.commit()).rejects.toMatchObject(expected);
    await expect(tx.delete({ agentId: 'a', key: 'k' })).rejects.toMatchObject(expected);
    await expect(tx.commit()).rejects.toMatchObject(expected);
  });

  it('raises typed errors in one hierarchy', async () => {
    const tx = await client.beginTransaction();
    await tx.commit();
    const error = await tx.commit().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionError);
    expect(error).toBeInstanceOf(StatehouseError);
    expect(error).toBeInstanceOf(Error);
    expect((error as TransactionError).name).toBe('TransactionError');
    expect((error as TransactionError).txId).toBe(tx.id);
  });

  it('raises TransactionNotFoundError for unknown and malformed ids', async () => {
    const unknownId = `${client.namespace}~00000000-0000-4000-8000-000000000000`;
    await expect(client.resumeTransaction(unknownId)).rejects.toBeInstanceOf(
      TransactionNotFoundError,
    );
    await expect(client.resumeTransaction('not-a-transaction')).rejects.toMatchObject({
      code: 'TRANSACTION_NOT_FOUND',
    });
    await expect(client.resumeTransaction(42 as unknown as string)).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('rejects invalid input with a ValidationError naming the field, and the transaction stays usable', async () => {
    const tx = await client.beginTransaction();
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => tx.write({ agentId: '', key: 'k', value: {} }), 'agentId'],
      [() => tx.write({ agentId: 'a', key: 'bad\nkey', value: {} }), 'key'],
      [() => tx.write({ agentId: 'a', key: 'k', value: [] }), 'value'],
      [() => tx.write({ agentId: 'a', key: 'k', value: { n: NaN } }), 'value.n'],
      [() => tx.write({ agentId: 'a', key: 'k', value: { big: 10n } }), 'value.big'],
      [() => tx.delete({ agentId: 'a'.repeat(257), key: 'k' }), 'agentId'],
      [
        () => tx.write(undefined as unknown as { agentId: string; key: string; value: object }),
        'write argument',
      ],
    ];
    for (const [call, field] of cases) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ code: 'VALIDATION_FAILED', field });
    }
    await expect(client.beginTransaction({ timeoutMs: 0 })).rejects.toMatchObject({
      field: 'timeoutMs',
    });
    await expect(client.beginTransaction({ timeoutMs: 600_001 })).rejects.toMatchObject({
      field: 'timeoutMs',
    });
    await expect(client.beginTransaction({ namespace: 'x'.repeat(257) })).rejects.toMatchObject({
      field: 'namespace',
    });

    await tx.write({ agentId: 'a', key: 'k', value: { ok: true } });
    await tx.commit();
    expect((await client.getState({ agentId: 'a', key: 'k' })).value).toEqual({ ok: true });
  });

  it('enforces the value size and operation limits without staging anything', async () => {
    const small = await connectClient({ maxValueBytes: 100, maxOperationsPerTransaction: 3 });
    const tx = await small.beginTransaction();
    await expect(
      tx.write({ agentId: 'a', key: 'k', value: { s: 'x'.repeat(100) } }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'value',
    });
    for (const key of ['k1', 'k2', 'k3']) await tx.write({ agentId: 'a', key, value: { key } });
    await tx.write({ agentId: 'a', key: 'k1', value: { again: true } }); // same record: still 3
    const error = await tx.write({ agentId: 'a', key: 'k4', value: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LimitExceededError);
    expect(error).toMatchObject({ limit: 'maxOperationsPerTransaction', max: 3 });
    await tx.commit();
    expect((await small.listKeys({ agentId: 'a' })).keys).toEqual(['k1', 'k2', 'k3']);
  });
});

describe('transaction size', () => {
  it('counts the bytes of what stays staged: an overwritten value no longer counts', async () => {
    const small = await connectClient({ maxTransactionBytes: 300 });
    const tx = await small.beginTransaction();
    const value = { s: 'x'.repeat(100) }; // about 110 bytes staged per record
    await tx.write({ agentId: 'a', key: 'k1', value });
    for (let i = 0; i < 5; i++) await tx.write({ agentId: 'a', key: 'k2', value }); // overwrites
    const error = await tx
      .write({ agentId: 'a', key: 'k3', value: { s: 'y'.repeat(150) } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LimitExceededError);
    expect(error).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'maxTransactionBytes', max: 300 });
    await tx.write({ agentId: 'a', key: 'k3', value: { s: 'z' } }); // still fits
    await tx.commit();
    expect((await small.listKeys({ agentId: 'a' })).keys).toEqual(['k1', 'k2', 'k3']);
  });
});

describe('await using', () => {
  it('aborts a transaction left without commit', async () => {
    let id = '';
    {
      await using tx = await client.beginTransaction();
      id = tx.id;
      await tx.write({ agentId: 'a', key: 'k', value: {} });
    }
    expect((await client.describeTransaction(id)).state).toBe('aborted');
    expect((await client.getState({ agentId: 'a', key: 'k' })).exists).toBe(false);
  });

  it('leaves a committed transaction committed', async () => {
    let id = '';
    {
      await using tx = await client.beginTransaction();
      id = tx.id;
      await tx.write({ agentId: 'a', key: 'k', value: {} });
      await tx.commit();
    }
    expect((await client.describeTransaction(id)).state).toBe('committed');
  });
});

describe('closed client', () => {
  it('refuses calls with ClientClosedError', async () => {
    const closing = await connectClient();
    await closing.close();
    await expect(closing.getState({ agentId: 'a', key: 'k' })).rejects.toMatchObject({
      code: 'CLIENT_CLOSED',
    });
    await expect(closing.beginTransaction()).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
  });
});
