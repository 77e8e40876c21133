import {
  LimitExceededError,
  QuotaExceededError,
  TransactionError,
  type Statehouse,
} from '@statehouse/core';
import { closeClients, collect, connectClient, sleep } from './support/statehouse';

// Pipelined transactions (`pipelined: true`): staged in Redis, but their begin and writes are
// sent without waiting for each answer; what needs an answer waits for everything sent.

let client: Statehouse;
let other: Statehouse;

beforeEach(async () => {
  client = await connectClient();
  other = await connectClient({ namespace: client.namespace });
});

afterAll(closeClients);

it('commits its writes atomically, with its id known from the start', async () => {
  const tx = await client.beginTransaction({ pipelined: true });
  expect(typeof tx.id).toBe('string');
  expect(await other.openTransactionCount()).toBe(0); // nothing sent before the first operation
  await tx.write({ agentId: 'a', key: 'k1', value: { v: 1 } });
  await tx.write({ agentId: 'a', key: 'k2', value: { v: 2 } });
  await tx.delete({ agentId: 'a', key: 'k3' });
  const step = await tx.append({ agentId: 'a', prefix: 'step:', value: { n: 1 } });
  expect((await other.getState({ agentId: 'a', key: 'k1' })).exists).toBe(false);
  expect(await tx.commit()).toBe(1);
  expect(step.key).toBe('step:000000000001');
  expect(await other.getState({ agentId: 'a', key: 'k2' })).toMatchObject({ value: { v: 2 } });
  const [event] = await collect(other.replay({ agentId: 'a' }));
  expect(event).toMatchObject({ txId: tx.id, commitTs: 1 });
  expect(event!.operations).toHaveLength(4);
});

it('reads its own writes, and is described and resumed elsewhere once flushed', async () => {
  const tx = await client.beginTransaction({ pipelined: true });
  await tx.write({ agentId: 'a', key: 'k', value: { v: 1 } });
  expect(await tx.get({ agentId: 'a', key: 'k' })).toMatchObject({ value: { v: 1 }, staged: true });
  await tx.write({ agentId: 'a', key: 'mine', value: { by: 'first' } });
  await tx.flush();
  expect((await other.describeTransaction(tx.id)).state).toBe('open');
  const there = await other.resumeTransaction(tx.id);
  expect(there.mutations.map((m) => m.key).sort()).toEqual(['k', 'mine']);
  await there.write({ agentId: 'a', key: 'theirs', value: { by: 'second' } });
  expect(await there.commit()).toBe(1);
  expect((await client.listKeys({ agentId: 'a' })).keys).toEqual(['k', 'mine', 'theirs']);
});

it('throws a refused write at the next call that waits, applies nothing, and stays aborted', async () => {
  const small = await connectClient({
    namespace: client.namespace,
    maxOperationsPerTransaction: 2,
  });
  const tx = await small.beginTransaction({ pipelined: true });
  for (const key of ['k1', 'k2', 'k3']) {
    await tx.write({ agentId: 'a', key, value: {} }); // the third is refused by Redis, later
  }
  await expect(tx.commit()).rejects.toBeInstanceOf(LimitExceededError);
  expect(tx.state).toBe('aborted');
  expect((await other.describeTransaction(tx.id)).state).toBe('aborted');
  await expect(tx.write({ agentId: 'a', key: 'k4', value: {} })).rejects.toMatchObject({
    message: 'Transaction already aborted',
  });
  expect(await other.lastCommitTs()).toBe(0);
  expect(await other.openTransactionCount()).toBe(0);
});

it('throws a refused begin (the namespace’s quota) at the commit, applying nothing', async () => {
  const quota = { namespace: client.namespace, maxOpenTransactionsPerNamespace: 1 };
  const first = await connectClient(quota);
  const second = await connectClient(quota);
  const holder = await first.beginTransaction();
  const tx = await second.beginTransaction({ pipelined: true });
  await tx.write({ agentId: 'a', key: 'k', value: {} });
  await expect(tx.commit()).rejects.toBeInstanceOf(QuotaExceededError);
  expect(tx.state).not.toBe('open');
  await holder.abort();
  expect(await other.lastCommitTs()).toBe(0);
  expect((await other.getState({ agentId: 'a', key: 'k' })).exists).toBe(false);
});

it('times out on the server like any staged transaction', async () => {
  const tx = await client.beginTransaction({ pipelined: true, timeoutMs: 300 });
  await tx.write({ agentId: 'a', key: 'k', value: {} });
  await tx.flush();
  await sleep(500);
  await tx.write({ agentId: 'a', key: 'late', value: {} });
  await expect(tx.commit()).rejects.toMatchObject({ message: 'Transaction timeout' });
  expect(tx.state).toBe('timedOut');
  expect((await other.getState({ agentId: 'a', key: 'k' })).exists).toBe(false);
});

it('aborts without a call when nothing was sent, and refuses options it cannot have', async () => {
  const tx = await client.beginTransaction({ pipelined: true });
  await tx.abort();
  expect(tx.state).toBe('aborted');
  for (const extra of [{ lazy: true }, { buffered: true }, { detached: true }]) {
    await expect(client.beginTransaction({ pipelined: true, ...extra })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'pipelined',
    });
  }
  await expect(client.beginTransaction({ pipelined: 'yes' as never })).rejects.toBeInstanceOf(
    TransactionError,
  );
});

it('loses no increment when many pipelined read-modify-writes race (client.transaction)', async () => {
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
      { pipelined: true, maxRetries: 200 },
    );
  await Promise.all(Array.from({ length: 16 }, increment));
  expect(await other.getState({ agentId: 'a', key: 'counter' })).toMatchObject({
    value: { n: 16 },
    version: 16,
  });
});
