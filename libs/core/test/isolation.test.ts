import { Redis } from 'ioredis';
import { Statehouse, VersionCompactedError } from '@statehouse/core';
import { closeClients, collect, connectClient, redisUrl } from './support/statehouse';

let client: Statehouse;

beforeEach(async () => {
  client = await connectClient();
});

afterAll(closeClients);

describe('atomic visibility', () => {
  it('never shows a reader part of a transaction in a scan page', async () => {
    const keys = ['a', 'b', 'c', 'd'];
    let stop = false;
    const writer = (async () => {
      for (let n = 1; n <= 60; n++) {
        await client.transaction(async (tx) => {
          for (const key of keys) await tx.write({ agentId: 'agent', key, value: { n } });
        });
      }
      stop = true;
    })();
    let pages = 0;
    while (!stop) {
      const { entries } = await client.scanPrefix({ agentId: 'agent', prefix: '' });
      if (entries.length > 0) {
        expect(entries.map((e) => e.key)).toEqual(keys);
        expect(new Set(entries.map((e) => (e.value as { n: number }).n)).size).toBe(1);
        expect(new Set(entries.map((e) => e.commitTs)).size).toBe(1);
        pages++;
      }
    }
    await writer;
    expect(pages).toBeGreaterThan(0);
    const final = await Promise.all(keys.map((key) => client.getState({ agentId: 'agent', key })));
    expect(final.map((s) => s.value)).toEqual(keys.map(() => ({ n: 60 })));
  });
});

describe('defaults', () => {
  it('gives a transaction 30 s and the client’s namespace when it names none', async () => {
    const tx = await client.beginTransaction();
    const described = await client.describeTransaction(tx.id);
    expect(described.deadline - described.createdAt).toBe(30_000);
    expect(described.namespace).toBe(client.namespace);
    expect(tx.id.startsWith(`${client.namespace}~`)).toBe(true);
    await tx.abort();
  });
});

describe('history removed from the log', () => {
  it('reads a version whose log entry is gone as VersionCompactedError, not as missing', async () => {
    const admin = new Redis(redisUrl());
    try {
      const first = await client.transaction(async (tx) => {
        await tx.write({ agentId: 'a', key: 'k', value: { v: 1 } });
        return tx.commit();
      });
      await client.transaction(async (tx) => tx.write({ agentId: 'a', key: 'k', value: { v: 2 } }));
      // What a future retention policy does: drop old entries of the log.
      await admin.xdel(`sh:{${client.namespace}}:log`, `${first}-0`);
      const error = await client
        .getStateAtVersion({ agentId: 'a', key: 'k', version: 1 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VersionCompactedError);
      expect(error).toMatchObject({ code: 'VERSION_COMPACTED' });
      expect(await client.getStateAtVersion({ agentId: 'a', key: 'k', version: 2 })).toMatchObject({
        value: { v: 2 },
      });
      expect((await collect(client.replay({ agentId: 'a' }))).map((e) => e.commitTs)).toEqual([
        first + 1,
      ]);
    } finally {
      await admin.quit();
    }
  });
});
