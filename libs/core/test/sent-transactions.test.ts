import { randomUUID } from 'node:crypto';
import { TransactionError, ValidationError, type Statehouse } from '@statehouse/core';
import { closeClients, collect, connectClient } from './support/statehouse';

// Transactions sent whole (commitOperations: how the network client commits a buffered one) with
// an id their sender chose. An id belongs to one transaction: a staged transaction and a sent one
// never share it, whichever came first, and a sent one is applied once however often it is sent.

let client: Statehouse;

beforeEach(async () => {
  client = await connectClient();
});

afterAll(closeClients);

const write = (key: string, v: number) =>
  ({ op: 'write', agentId: 'a', key, value: { v } }) as const;

it('applies a resent transaction once, and refuses the same id with another token', async () => {
  const id = `${client.namespace}~${randomUUID()}`;
  const sent = { id, commitToken: 'token-one', operations: [write('k', 1)] };
  const first = await client.commitOperations(sent);
  expect(first).toEqual({ commitTs: 1, txId: id, appendedKeys: [] });
  expect(await client.commitOperations(sent)).toEqual(first);
  await expect(
    client.commitOperations({ ...sent, commitToken: 'token-two', operations: [write('x', 2)] }),
  ).rejects.toMatchObject({ message: 'Transaction already committed' });
  expect(await client.lastCommitTs()).toBe(1);
  expect((await client.getState({ agentId: 'a', key: 'x' })).exists).toBe(false);
});

it('refuses the id of an open staged transaction, which still commits on its own', async () => {
  const staged = await client.beginTransaction();
  await staged.write({ agentId: 'a', key: 'staged', value: { v: 1 } });
  const error = await client
    .commitOperations({ id: staged.id, commitToken: 'token-one', operations: [write('sent', 2)] })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationError);
  expect(error).toMatchObject({ field: 'id' });
  expect((await client.getState({ agentId: 'a', key: 'sent' })).exists).toBe(false);
  expect(await staged.commit()).toBe(1);
  const events = await collect(client.replay({ agentId: 'a' }));
  expect(events.map((event) => event.txId)).toEqual([staged.id]);
});

it('refuses the id of a finished staged transaction with its outcome', async () => {
  const staged = await client.beginTransaction();
  await staged.write({ agentId: 'a', key: 'k', value: { v: 1 } });
  await staged.commit();
  const aborted = await client.beginTransaction();
  await aborted.abort();
  for (const [id, message] of [
    [staged.id, 'Transaction already committed'],
    [aborted.id, 'Transaction already aborted'],
  ] as const) {
    const error = await client
      .commitOperations({ id, commitToken: 'token-one', operations: [write('again', 2)] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionError);
    expect(error).toMatchObject({ message });
  }
  expect(await client.lastCommitTs()).toBe(1);
});

it('never begins a staged transaction with the id of a finished sent one', async () => {
  const id = `${client.namespace}~${randomUUID()}`;
  await client.commitOperations({ id, commitToken: 'token-one', operations: [write('k', 1)] });
  await expect(client.beginTransaction({ id })).rejects.toMatchObject({
    message: 'Transaction already committed',
    code: 'TRANSACTION_ALREADY_COMMITTED',
  });
  expect(await client.lastCommitTs()).toBe(1);
});
