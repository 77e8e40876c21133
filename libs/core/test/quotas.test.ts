import { Redis } from 'ioredis';
import { QuotaExceededError, type Statehouse } from '@statehouse/core';
import { closeClients, connectClient, eventually, redisUrl } from './support/statehouse';

// Namespace quotas, held in Redis: two clients on one namespace (two server instances, say) share
// them. A refusal begins or stages nothing, and a transaction refused a write stays usable.

afterAll(closeClients);

/** Two clients on one fresh namespace, with the same quotas. */
async function twoClients(quotas: {
  maxOpenTransactionsPerNamespace?: number;
  maxStagedBytesPerNamespace?: number;
}): Promise<[Statehouse, Statehouse]> {
  const first = await connectClient(quotas);
  const second = await connectClient({ ...quotas, namespace: first.namespace });
  return [first, second];
}

describe('maxOpenTransactionsPerNamespace', () => {
  it('refuses a begin beyond the quota, whichever client begins it, until one finishes', async () => {
    const [first, second] = await twoClients({ maxOpenTransactionsPerNamespace: 2 });
    const a = await first.beginTransaction();
    const b = await second.beginTransaction();
    const refused = await second.beginTransaction().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(QuotaExceededError);
    expect(refused).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      quota: 'maxOpenTransactionsPerNamespace',
      max: 2,
      namespace: first.namespace,
      message: expect.stringContaining('--max-open-transactions-per-namespace'),
    });
    await expect(first.beginTransaction()).rejects.toBeInstanceOf(QuotaExceededError);
    // Buffered and read-only transactions live in their client: not counted.
    const buffered = await first.beginTransaction({ buffered: true });
    await buffered.write({ agentId: 'a', key: 'buffered', value: {} });
    await buffered.commit();

    await a.commit();
    const c = await second.beginTransaction();
    await b.abort();
    await c.write({ agentId: 'a', key: 'k', value: { v: 1 } });
    await c.commit();
    expect((await first.listKeys({ agentId: 'a' })).keys).toEqual(['buffered', 'k']);
  });

  it('counts a transaction until it times out', async () => {
    const [first] = await twoClients({ maxOpenTransactionsPerNamespace: 1 });
    await first.beginTransaction({ timeoutMs: 1000 });
    await expect(first.beginTransaction()).rejects.toBeInstanceOf(QuotaExceededError);
    await eventually(async () => {
      try {
        await (await first.beginTransaction()).abort();
        return true;
      } catch (error) {
        if (error instanceof QuotaExceededError) return false;
        throw error;
      }
    }, 5000);
  });
});

describe('maxStagedBytesPerNamespace', () => {
  const value = (bytes: number) => ({ pad: 'x'.repeat(bytes) });

  it('refuses a write beyond the quota across clients; nothing staged, the transaction usable; finishing gives the bytes back', async () => {
    const [first, second] = await twoClients({ maxStagedBytesPerNamespace: 1000 });
    const a = await first.beginTransaction();
    await a.write({ agentId: 'a', key: 'big', value: value(600) });
    const b = await second.beginTransaction();
    const refused = await b
      .write({ agentId: 'b', key: 'big', value: value(600) })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(QuotaExceededError);
    expect(refused).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      quota: 'maxStagedBytesPerNamespace',
      max: 1000,
      message: expect.stringContaining('at most 1000 bytes staged'),
    });
    await b.write({ agentId: 'b', key: 'small', value: value(100) }); // still usable
    // Overwriting a record counts what it adds, not the record twice over.
    await expect(a.write({ agentId: 'a', key: 'big', value: value(700) })).rejects.toBeInstanceOf(
      QuotaExceededError,
    );

    await a.abort();
    await b.write({ agentId: 'b', key: 'big', value: value(600) });
    await b.commit();
    expect((await first.listKeys({ agentId: 'b' })).keys).toEqual(['big', 'small']);

    // Everything finished: the ledger is back to zero, and gone.
    const redis = new Redis(redisUrl());
    try {
      expect(await redis.exists(`sh:{${first.namespace}}:staged`)).toBe(0);
    } finally {
      await redis.quit();
    }
  });

  it('gives the bytes of a timed-out transaction back', async () => {
    const [first, second] = await twoClients({ maxStagedBytesPerNamespace: 1000 });
    const a = await first.beginTransaction({ timeoutMs: 800 });
    await a.write({ agentId: 'a', key: 'k', value: value(800) });
    const b = await second.beginTransaction();
    await eventually(async () => {
      try {
        await b.write({ agentId: 'b', key: 'k', value: value(800) });
        return true;
      } catch (error) {
        if (error instanceof QuotaExceededError) return false;
        throw error;
      }
    }, 5000);
    await b.commit();
  });
});
