import type { Statehouse } from '@statehouse/core';
import { closeClients, connectClient } from './support/statehouse';

// Transactions whose reads leave more condition fields than Lua's unpack takes at once (about
// 8,000): finishing them used to fail after the commit had written its records, leaving the
// commit half-applied (records written, clock and state not) and every retry failing.

let client: Statehouse;

beforeAll(async () => {
  client = await connectClient();
});

afterAll(closeClients);

async function readMany(tx: { get(input: { agentId: string; key: string }): Promise<unknown> }) {
  for (let i = 0; i < 9_000; i += 500) {
    await Promise.all(
      Array.from({ length: 500 }, (_, j) => tx.get({ agentId: 'a', key: `r${i + j}` })),
    );
  }
}

it('commits a staged transaction that read 9,000 records, whole', async () => {
  const tx = await client.beginTransaction({ timeoutMs: 120_000 });
  await readMany(tx);
  await tx.write({ agentId: 'a', key: 'w', value: { v: 1 } });
  expect(await tx.commit()).toBe(1);
  expect(await client.lastCommitTs()).toBe(1);
  expect((await client.describeTransaction(tx.id)).state).toBe('committed');
  expect(await client.getState({ agentId: 'a', key: 'w' })).toMatchObject({ commitTs: 1 });
}, 60_000);

it('aborts one, whole', async () => {
  const tx = await client.beginTransaction({ timeoutMs: 120_000 });
  await readMany(tx);
  await tx.write({ agentId: 'a', key: 'x', value: { v: 1 } });
  await tx.abort();
  expect((await client.describeTransaction(tx.id)).state).toBe('aborted');
  expect((await client.getState({ agentId: 'a', key: 'x' })).exists).toBe(false);
}, 60_000);
