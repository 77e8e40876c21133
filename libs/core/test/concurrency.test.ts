import { Statehouse, TransactionError } from '@statehouse/core';
import { closeClients, collect, connectClient, sleep } from './support/statehouse';

let client: Statehouse;

beforeEach(async () => {
  client = await connectClient();
});

afterAll(closeClients);

type Outcome = { kind: 'committed'; commitTs: number } | { kind: 'timedOut' };

describe('a commit racing its timeout', () => {
  it('ends, every time, in exactly one outcome that readers agree with', async () => {
    const timeoutMs = 1000;
    const runs = 120;
    const outcomes = await Promise.all(
      Array.from({ length: runs }, async (_, i): Promise<Outcome & { id: string; key: string }> => {
        const begun = Date.now();
        const tx = await client.beginTransaction({ timeoutMs });
        const key = `k${i}`;
        try {
          // On a loaded machine the deadline can pass before the write: that, too, is a timeout.
          await tx.write({ agentId: 'racer', key, value: { i } });
          // Spread the commits around the deadline: early ones commit, late ones time out.
          await sleep(begun + (i / runs) * timeoutMs * 2 - Date.now());
          return { kind: 'committed', commitTs: await tx.commit(), id: tx.id, key };
        } catch (error) {
          expect(error).toBeInstanceOf(TransactionError);
          expect((error as TransactionError).message).toBe('Transaction timeout');
          return { kind: 'timedOut', id: tx.id, key };
        }
      }),
    );
    const committed = outcomes.filter((o) => o.kind === 'committed');
    const timedOut = outcomes.filter((o) => o.kind === 'timedOut');
    expect(committed.length).toBeGreaterThan(0);
    expect(timedOut.length).toBeGreaterThan(0);
    expect(committed.length + timedOut.length).toBe(runs);

    for (const outcome of outcomes) {
      const stored = await client.describeTransaction(outcome.id);
      const state = await client.getState({ agentId: 'racer', key: outcome.key });
      if (outcome.kind === 'committed') {
        expect(stored).toMatchObject({ state: 'committed', commitTs: outcome.commitTs });
        expect(state).toMatchObject({ exists: true, commitTs: outcome.commitTs, version: 1 });
      } else {
        expect(stored.state).toBe('timedOut');
        expect(state.exists).toBe(false);
      }
    }
    // Each committed transaction is exactly one event; nothing of the timed-out ones is in the log.
    const events = await collect(client.replay({ agentId: 'racer' }));
    expect(events.map((e) => e.txId).sort()).toEqual(committed.map((o) => o.id).sort());
    expect(await client.lastCommitTs()).toBe(committed.length);
  }, 30_000);
});

describe('processes racing on one transaction', () => {
  it('lets exactly one of two concurrent commits win', async () => {
    const other = await connectClient({ namespace: client.namespace });
    for (let round = 0; round < 25; round++) {
      const tx = await client.beginTransaction();
      await tx.write({ agentId: 'a', key: 'k', value: { round } });
      const twin = await other.resumeTransaction(tx.id);
      const results = await Promise.allSettled([tx.commit(), twin.commit()]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.reason).toMatchObject({ message: 'Transaction already committed' });
    }
    expect(await client.lastCommitTs()).toBe(25);
    expect((await client.getState({ agentId: 'a', key: 'k' })).version).toBe(25);
  });

  it('lets exactly one of a commit and an abort win', async () => {
    const other = await connectClient({ namespace: client.namespace });
    let commits = 0;
    for (let round = 0; round < 25; round++) {
      const tx = await client.beginTransaction();
      await tx.write({ agentId: 'a', key: `k${round}`, value: { round } });
      const twin = await other.resumeTransaction(tx.id);
      const [commit, abort] = await Promise.allSettled([tx.commit(), twin.abort()]);
      const exists = (await client.getState({ agentId: 'a', key: `k${round}` })).exists;
      if (commit.status === 'fulfilled') {
        commits++;
        expect(abort).toMatchObject({
          status: 'rejected',
          reason: { message: 'Transaction already committed' },
        });
        expect(exists).toBe(true);
      } else {
        expect(commit.reason).toMatchObject({ message: 'Transaction already aborted' });
        expect(abort.status).toBe('fulfilled');
        expect(exists).toBe(false);
      }
    }
    expect(await client.lastCommitTs()).toBe(commits);
  });

  it('runs a transaction begun by one client, written by a second and committed by a third', async () => {
    const second = await connectClient({ namespace: client.namespace, timeoutWorker: false });
    const third = await connectClient({ namespace: client.namespace, timeoutWorker: false });
    const tx = await client.beginTransaction({ timeoutMs: 10_000 });
    await tx.write({ agentId: 'a', key: 'from-first', value: { by: 1 } });
    const onSecond = await second.resumeTransaction(tx.id);
    expect(onSecond.state).toBe('open');
    await onSecond.write({ agentId: 'a', key: 'from-second', value: { by: 2 } });
    await onSecond.delete({ agentId: 'a', key: 'from-first' });
    const onThird = await third.resumeTransaction(tx.id);
    const commitTs = await onThird.commit();
    expect(await collect(client.replay({ agentId: 'a' }))).toEqual([
      {
        txId: tx.id,
        commitTs,
        time: expect.any(Number),
        operations: [
          { key: 'from-second', value: { by: 2 }, version: 1 },
          { key: 'from-first', value: null, version: 1 },
        ],
      },
    ]);
    await expect(tx.write({ agentId: 'a', key: 'late', value: {} })).rejects.toMatchObject({
      message: 'Transaction already committed',
    });
  });

  it('keeps commitTs unique and dense under concurrent commits from many clients', async () => {
    const clients = [
      client,
      ...(await Promise.all([1, 2, 3].map(() => connectClient({ namespace: client.namespace })))),
    ];
    const stamps = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        clients[i % clients.length]!.transaction(async (tx) => {
          await tx.write({ agentId: `agent-${i % 5}`, key: 'counter', value: { i } });
          return tx.commit();
        }),
      ),
    );
    expect([...stamps].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    for (let agent = 0; agent < 5; agent++) {
      const events = await collect(client.replay({ agentId: `agent-${agent}` }));
      expect(events.map((e) => e.operations[0]!.version)).toEqual(events.map((_, i) => i + 1));
    }
  });
});
