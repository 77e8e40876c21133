import { Redis } from 'ioredis';
import {
  StorageUnavailableError,
  TransactionConflictError,
  type Statehouse,
  type Transaction,
} from '@statehouse/core';
import { closeClients, connectClient, redisUrl, uniqueNamespace } from './support/statehouse';

// A Redis failover can lose a transaction's last writes: staging answers once the primary has
// them, before any replica does. A commit retried on the promoted replica then found the
// transaction open with fewer writes and committed those, reporting success for writes that were
// gone (seen in failover.test.ts under load: 8 commits reported, their log entries empty). Now the
// commit carries how many stagings the client made, and Redis refuses one that does not match.

let admin: Redis;

beforeAll(() => {
  admin = new Redis(redisUrl());
});
afterAll(async () => {
  await closeClients();
  await admin.quit();
});

/** The transaction's hash as a promoted replica would hold it: its state before `write` ran. */
async function loseWritesAfter(
  tx: Transaction<string | null>,
  namespace: string,
  write: () => Promise<void>,
): Promise<void> {
  const key = `sh:{${namespace}}:tx:${tx.id!.slice(namespace.length + 1)}`;
  const before = await admin.hgetall(key);
  expect(Object.keys(before).length).toBeGreaterThan(0);
  await write();
  await admin.multi().del(key).hset(key, before).exec();
}

it('refuses a commit whose last write a failover lost, applying nothing, and a retry succeeds', async () => {
  const namespace = uniqueNamespace('lost');
  const client: Statehouse = await connectClient({ namespace });
  const tx = await client.beginTransaction();
  await tx.write({ agentId: 'a', key: 'first', value: { n: 1 } });
  await loseWritesAfter(tx, namespace, () =>
    tx.write({ agentId: 'a', key: 'second', value: { n: 2 } }),
  );
  const error = await tx.commit().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TransactionConflictError);
  expect((error as Error).message).toContain('lost staged writes in a Redis failover');
  expect(tx.state).toBe('aborted');
  expect(await client.getState({ agentId: 'a', key: 'first' })).toMatchObject({ exists: false });
  expect(await client.getState({ agentId: 'a', key: 'second' })).toMatchObject({ exists: false });
  expect(await client.lastCommitTs()).toBe(0);

  // client.transaction() runs it again, as for any conflict.
  let attempts = 0;
  await client.transaction(async (again) => {
    attempts++;
    await again.write({ agentId: 'a', key: 'first', value: { n: 1 } });
    if (attempts === 1) {
      await loseWritesAfter(again, namespace, () =>
        again.write({ agentId: 'a', key: 'second', value: { n: 2 } }),
      );
    } else {
      await again.write({ agentId: 'a', key: 'second', value: { n: 2 } });
    }
  });
  expect(attempts).toBe(2);
  expect(await client.getState({ agentId: 'a', key: 'second' })).toMatchObject({
    value: { n: 2 },
    version: 1,
  });
});

it('checks a lazy transaction too, and leaves a resumed one (which cannot know) as before', async () => {
  const namespace = uniqueNamespace('lost-lazy');
  const client = await connectClient({ namespace });
  const lazy = await client.beginTransaction({ lazy: true });
  await lazy.write({ agentId: 'a', key: 'k1', value: {} });
  await loseWritesAfter(lazy, namespace, () => lazy.write({ agentId: 'a', key: 'k2', value: {} }));
  await expect(lazy.commit()).rejects.toBeInstanceOf(TransactionConflictError);

  const begun = await client.beginTransaction();
  await begun.write({ agentId: 'b', key: 'k1', value: {} });
  const resumed = await client.resumeTransaction(begun.id);
  await resumed.write({ agentId: 'b', key: 'k2', value: {} });
  expect(await resumed.commit()).toBeGreaterThan(0);
  expect(await client.getState({ agentId: 'b', key: 'k2' })).toMatchObject({ exists: true });
});

it('lets the object that began a transaction commit writes another object made, and still notices its own lost one', async () => {
  const namespace = uniqueNamespace('lost-shared');
  const client = await connectClient({ namespace });
  const shared = await client.beginTransaction();
  await shared.write({ agentId: 'a', key: 'mine', value: {} });
  const other = await client.resumeTransaction(shared.id);
  await other.write({ agentId: 'a', key: 'theirs', value: {} });
  expect(await shared.commit()).toBeGreaterThan(0); // Redis holds more stagings than it made
  expect(await client.getState({ agentId: 'a', key: 'theirs' })).toMatchObject({ exists: true });

  const interleaved = await client.beginTransaction();
  await interleaved.write({ agentId: 'b', key: 'one', value: {} });
  await (
    await client.resumeTransaction(interleaved.id)
  ).write({ agentId: 'b', key: 'two', value: {} });
  await loseWritesAfter(interleaved, namespace, () =>
    interleaved.write({ agentId: 'b', key: 'three', value: {} }),
  );
  await expect(interleaved.commit()).rejects.toBeInstanceOf(TransactionConflictError);
});

it("with durability 'replicated', a resumed transaction's write waits for the replicas (its commit cannot check)", async () => {
  // The test Redis has no replica: every wait for one fails, within 50 ms.
  const namespace = uniqueNamespace('lost-resumed');
  const client = await connectClient({
    namespace,
    durability: 'replicated',
    replication: { replicas: 1, timeoutMs: 50 },
  });
  const begun = await client.beginTransaction();
  await begun.write({ agentId: 'a', key: 'own', value: {} }); // counted: no wait
  const resumed = await client.resumeTransaction(begun.id);
  const error = await resumed.write({ agentId: 'a', key: 'k', value: {} }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(StorageUnavailableError);
  expect((error as Error).message).toContain('reached the Redis primary but not 1 replica(s)');
  expect((error as Error).message).toContain('A failover could lose it');
  await resumed.abort();
});
