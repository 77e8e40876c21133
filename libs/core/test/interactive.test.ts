import {
  Statehouse,
  TransactionConflictError,
  ValidationError,
  type ReplayEvent,
} from '@statehouse/core';
import { closeClients, collect, connectClient } from './support/statehouse';

let client: Statehouse;

beforeEach(async () => {
  client = await connectClient();
});

afterAll(closeClients);

async function put(key: string, value: object): Promise<number> {
  return client.transaction(async (tx) => {
    await tx.write({ agentId: 'a', key, value });
    return tx.commit();
  });
}

describe('tx.get', () => {
  it('reads the committed value, then the transaction’s own writes and deletes', async () => {
    const commitTs = await put('k', { v: 1 });
    const tx = await client.beginTransaction();
    expect(await tx.get({ agentId: 'a', key: 'k' })).toEqual({
      exists: true,
      value: { v: 1 },
      version: 1,
      commitTs,
      staged: false,
    });
    await tx.write({ agentId: 'a', key: 'k', value: { v: 2 } });
    expect(await tx.get({ agentId: 'a', key: 'k' })).toMatchObject({
      value: { v: 2 },
      version: 1,
      staged: true,
    });
    await tx.delete({ agentId: 'a', key: 'k' });
    expect(await tx.get({ agentId: 'a', key: 'k' })).toMatchObject({
      exists: false,
      value: null,
      staged: true,
    });
    expect(await tx.get({ agentId: 'a', key: 'never' })).toEqual({
      exists: false,
      value: null,
      version: 0,
      commitTs: 0,
      staged: false,
    });
    await tx.abort();
    await expect(tx.get({ agentId: 'a', key: 'k' })).rejects.toMatchObject({
      message: 'Transaction already aborted',
    });
  });

  it('fails with "Transaction timeout" after the deadline, for reads and listings too', async () => {
    const tx = await client.beginTransaction({ timeoutMs: 50 });
    await new Promise((done) => setTimeout(done, 80));
    await expect(tx.get({ agentId: 'a', key: 'k' })).rejects.toMatchObject({
      message: 'Transaction timeout',
    });
    const other = await client.beginTransaction({ timeoutMs: 50 });
    await new Promise((done) => setTimeout(done, 80));
    await expect(other.listKeys({ agentId: 'a' })).rejects.toMatchObject({
      code: 'TRANSACTION_TIMEOUT',
    });
    expect(other.state).toBe('timedOut');
  });

  it('rejects invalid input with a ValidationError', async () => {
    const tx = await client.beginTransaction();
    await expect(tx.get({ agentId: '', key: 'k' })).rejects.toBeInstanceOf(ValidationError);
    await expect(
      tx.write({ agentId: 'a', key: 'k', value: {}, ifVersion: -1 }),
    ).rejects.toMatchObject({
      field: 'ifVersion',
    });
    await expect(tx.delete({ agentId: 'a', key: 'k', ifVersion: 1.5 })).rejects.toMatchObject({
      field: 'ifVersion',
    });
    await tx.abort();
  });
});

describe('conflict detection', () => {
  it('refuses a commit whose read changed meanwhile, applying nothing', async () => {
    await put('balance', { n: 10 });
    const tx = await client.beginTransaction();
    const { value } = await tx.get({ agentId: 'a', key: 'balance' });
    await put('balance', { n: 0 }); // someone else spends it
    await tx.write({ agentId: 'a', key: 'balance', value: { n: (value as { n: number }).n - 10 } });
    await tx.write({ agentId: 'a', key: 'receipt', value: { paid: 10 } });
    const error = await tx.commit().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionConflictError);
    expect(error).toMatchObject({ code: 'CONFLICT', agentId: 'a', key: 'balance', txId: tx.id });
    expect(tx.state).toBe('aborted');
    expect((await client.getState({ agentId: 'a', key: 'balance' })).value).toEqual({ n: 0 });
    expect((await client.getState({ agentId: 'a', key: 'receipt' })).exists).toBe(false);
    await expect(tx.commit()).rejects.toMatchObject({ message: 'Transaction already aborted' });
  });

  it('counts the creation of a record read as missing as a change', async () => {
    const tx = await client.beginTransaction();
    expect((await tx.get({ agentId: 'a', key: 'lock' })).exists).toBe(false);
    await put('lock', { owner: 'other' });
    await tx.write({ agentId: 'a', key: 'lock', value: { owner: 'me' } });
    await expect(tx.commit()).rejects.toBeInstanceOf(TransactionConflictError);
  });

  it('commits when what was read is unchanged, whatever else changed', async () => {
    await put('x', { v: 1 });
    const tx = await client.beginTransaction();
    await tx.get({ agentId: 'a', key: 'x' });
    await put('y', { v: 1 });
    await tx.write({ agentId: 'a', key: 'z', value: { fromX: 1 } });
    await expect(tx.commit()).resolves.toBe(3);
  });
});

describe('ifVersion', () => {
  it('writes only on the expected version, and 0 means create-only', async () => {
    await put('k', { v: 1 });
    await client.transaction(async (tx) =>
      tx.write({ agentId: 'a', key: 'k', value: { v: 2 }, ifVersion: 1 }),
    );
    const stale = client.transaction(
      async (tx) => tx.write({ agentId: 'a', key: 'k', value: { v: 3 }, ifVersion: 1 }),
      { maxRetries: 0 },
    );
    await expect(stale).rejects.toMatchObject({ code: 'CONFLICT', key: 'k' });
    const create = (key: string) =>
      client.transaction(
        async (tx) => tx.write({ agentId: 'a', key, value: { created: true }, ifVersion: 0 }),
        {
          maxRetries: 0,
        },
      );
    await expect(create('k')).rejects.toBeInstanceOf(TransactionConflictError);
    await create('fresh');
    await client.transaction(async (tx) => tx.delete({ agentId: 'a', key: 'fresh', ifVersion: 1 }));
    await create('fresh'); // a deleted record does not exist: create-only succeeds again
    expect(await client.getState({ agentId: 'a', key: 'fresh' })).toMatchObject({
      exists: true,
      version: 3,
    });
    expect(await client.getState({ agentId: 'a', key: 'k' })).toMatchObject({
      value: { v: 2 },
      version: 2,
    });
  });
});

describe('client.transaction retries', () => {
  it('loses no update: 100 concurrent increments of one counter end at 100', async () => {
    await put('counter', { n: 0 });
    let runs = 0;
    await Promise.all(
      Array.from({ length: 100 }, () =>
        client.transaction(
          async (tx) => {
            runs++;
            const { value } = await tx.get({ agentId: 'a', key: 'counter' });
            await tx.write({
              agentId: 'a',
              key: 'counter',
              value: { n: (value as { n: number }).n + 1 },
            });
          },
          { maxRetries: 1000 },
        ),
      ),
    );
    expect(await client.getState({ agentId: 'a', key: 'counter' })).toMatchObject({
      value: { n: 100 },
      version: 101,
    });
    expect(runs).toBeGreaterThan(100); // contention made some run again
  }, 60_000);

  it('rethrows the last conflict once the retries are spent, having run the callback 1 + maxRetries times', async () => {
    await put('hot', { n: 0 });
    let runs = 0;
    const attempt = client.transaction(
      async (tx) => {
        runs++;
        await tx.get({ agentId: 'a', key: 'hot' });
        await put('hot', { n: runs }); // changed under it every time
        await tx.write({ agentId: 'a', key: 'hot', value: { mine: true } });
      },
      { maxRetries: 2 },
    );
    await expect(attempt).rejects.toBeInstanceOf(TransactionConflictError);
    expect(runs).toBe(3);
    await expect(
      client.transaction(() => Promise.resolve(1), { maxRetries: -1 }),
    ).rejects.toMatchObject({
      field: 'maxRetries',
    });
  });
});

describe('the bank', () => {
  it('keeps the total across 2,000 concurrent random transfers between 50 accounts', async () => {
    const accounts = 50;
    const initial = 1000;
    const key = (i: number) => `acct:${String(i).padStart(2, '0')}`;
    await client.transaction(async (tx) => {
      for (let i = 0; i < accounts; i++)
        await tx.write({ agentId: 'bank', key: key(i), value: { balance: initial } });
    });
    const committed: string[] = [];
    let refused = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < 2000) {
        next++;
        const from = Math.floor(Math.random() * accounts);
        const to = (from + 1 + Math.floor(Math.random() * (accounts - 1))) % accounts;
        const amount = 1 + Math.floor(Math.random() * 200);
        const txId = await client.transaction(
          async (tx) => {
            const a = (await tx.get({ agentId: 'bank', key: key(from) })).value as {
              balance: number;
            };
            const b = (await tx.get({ agentId: 'bank', key: key(to) })).value as {
              balance: number;
            };
            if (a.balance < amount) return null; // refuses to go negative: commits nothing
            await tx.write({
              agentId: 'bank',
              key: key(from),
              value: { balance: a.balance - amount },
            });
            await tx.write({
              agentId: 'bank',
              key: key(to),
              value: { balance: b.balance + amount },
            });
            return tx.id;
          },
          { maxRetries: 100 },
        );
        if (txId) committed.push(txId);
        else refused++;
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));

    const { entries } = await client.scanPrefix({ agentId: 'bank', prefix: 'acct:' });
    const balances = entries.map((e) => (e.value as { balance: number }).balance);
    expect(balances).toHaveLength(accounts);
    expect(balances.reduce((x, y) => x + y, 0)).toBe(accounts * initial);
    expect(Math.min(...balances)).toBeGreaterThanOrEqual(0);

    const events: ReplayEvent[] = await collect(client.replay({ agentId: 'bank' }));
    const transfers = events.slice(1); // the first event opened the accounts
    expect(transfers.map((e) => e.txId).sort()).toEqual([...committed].sort());
    expect(transfers.every((e) => e.operations.length === 2)).toBe(true);
    for (let i = 0; i < accounts; i++) {
      const versions = events.flatMap((e) =>
        e.operations.filter((op) => op.key === key(i)).map((op) => op.version),
      );
      expect(versions).toEqual(versions.map((_, v) => v + 1));
      expect(entries[i]!.version).toBe(versions.length);
    }
    expect(committed.length + refused).toBe(2000);
    expect(committed.length).toBeGreaterThan(1000);
  }, 120_000);
});

describe('listings inside a transaction', () => {
  it('merge the committed records with the transaction’s own writes and deletes', async () => {
    await client.transaction(async (tx) => {
      for (const key of ['b', 'd', 'f', 'h'])
        await tx.write({ agentId: 'a', key, value: { key, v: 1 } });
    });
    const tx = await client.beginTransaction();
    await tx.write({ agentId: 'a', key: 'c', value: { key: 'c', v: 2 } }); // new
    await tx.write({ agentId: 'a', key: 'f', value: { key: 'f', v: 2 } }); // replaced
    await tx.delete({ agentId: 'a', key: 'd' }); // hidden
    await tx.write({ agentId: 'other', key: 'x', value: {} }); // another agent
    expect(await tx.listKeys({ agentId: 'a' })).toEqual({
      keys: ['b', 'c', 'f', 'h'],
      cursor: null,
    });
    const { entries } = await tx.scanPrefix({ agentId: 'a', prefix: '' });
    expect(entries).toEqual([
      { key: 'b', value: { key: 'b', v: 1 }, version: 1, commitTs: 1, staged: false },
      { key: 'c', value: { key: 'c', v: 2 }, version: 0, commitTs: 0, staged: true },
      { key: 'f', value: { key: 'f', v: 2 }, version: 1, commitTs: 1, staged: true },
      { key: 'h', value: { key: 'h', v: 1 }, version: 1, commitTs: 1, staged: false },
    ]);
    // Paged, with the transaction's writes in their place.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { keys: string[]; cursor: string | null } = await tx.listKeys({
        agentId: 'a',
        limit: 1,
        cursor,
      });
      seen.push(...page.keys);
      cursor = page.cursor;
    } while (cursor !== null);
    expect(seen).toEqual(['b', 'c', 'f', 'h']);
    await tx.commit();
  });

  it('make a record created or deleted by another transaction a conflict (no phantoms)', async () => {
    await put('step:1', { done: true });
    const tx = await client.beginTransaction();
    const { keys } = await tx.listKeys({ agentId: 'a' });
    await tx.write({ agentId: 'a', key: 'summary', value: { steps: keys.length } });
    await put('step:2', { done: true }); // a phantom appears
    const error = await tx.commit().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionConflictError);
    expect(error).toMatchObject({ agentId: 'a', key: null });
    expect((await client.getState({ agentId: 'a', key: 'summary' })).exists).toBe(false);

    // An update of an existing record is no phantom for listKeys; a created record of another
    // agent is none either.
    const again = await client.beginTransaction();
    await again.listKeys({ agentId: 'a' });
    await put('step:1', { done: false });
    await client.transaction(async (t) => t.write({ agentId: 'b', key: 'new', value: {} }));
    await again.write({ agentId: 'a', key: 'summary', value: { steps: 2 } });
    await expect(again.commit()).resolves.toBeGreaterThan(0);
  });

  it('count the values a scan read as reads', async () => {
    await put('cfg:x', { v: 1 });
    const tx = await client.beginTransaction();
    await tx.scanPrefix({ agentId: 'a', prefix: 'cfg:' });
    await put('cfg:x', { v: 2 }); // changed after the scan read it
    await tx.write({ agentId: 'a', key: 'derived', value: {} });
    await expect(tx.commit()).rejects.toMatchObject({ code: 'CONFLICT', key: 'cfg:x' });
  });

  it('rejects bad pages and cursors with a ValidationError', async () => {
    const tx = await client.beginTransaction();
    await expect(tx.listKeys({ agentId: 'a', limit: 0 })).rejects.toMatchObject({ field: 'limit' });
    await expect(tx.listKeys({ agentId: 'a', cursor: 'not a cursor' })).rejects.toMatchObject({
      field: 'cursor',
    });
    await expect(tx.scanPrefix({ agentId: 'a', prefix: 'bad\n' })).rejects.toMatchObject({
      field: 'prefix',
    });
    await expect(tx.listKeys({ agentId: '' })).rejects.toBeInstanceOf(ValidationError);
    await tx.abort();
    await expect(tx.listKeys({ agentId: 'a' })).rejects.toMatchObject({
      message: 'Transaction already aborted',
    });
  });

  it('is retried by client.transaction until consistent', async () => {
    let runs = 0;
    await client.transaction(async (tx) => {
      runs++;
      const { keys } = await tx.listKeys({ agentId: 'a' });
      if (runs === 1) await put(`late-${runs}`, {});
      await tx.write({ agentId: 'a', key: 'count', value: { n: keys.length } });
    });
    expect(runs).toBe(2);
    expect((await client.getState({ agentId: 'a', key: 'count' })).value).toEqual({ n: 1 });
  });
});
