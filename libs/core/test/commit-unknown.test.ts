import { CommitUnknownError, Statehouse } from '@statehouse/core';
import { FlakyProxy } from './support/flaky-proxy';
import {
  closeClients,
  collect,
  connectClient,
  redisUrl,
  uniqueNamespace,
} from './support/statehouse';

let proxy: FlakyProxy;
let client: Statehouse;
let observer: Statehouse;

beforeAll(async () => {
  const url = new URL(redisUrl());
  proxy = new FlakyProxy({ host: url.hostname, port: Number(url.port) });
  const namespace = uniqueNamespace('unknown');
  client = await Statehouse.connect({
    redis: await proxy.listen(),
    namespace,
    timeoutWorker: false,
  });
  observer = await connectClient({ namespace });
});

afterAll(async () => {
  await client.close();
  await closeClients();
  await proxy.close();
});

describe('a commit whose reply is lost', () => {
  it('is applied exactly once, and commit() (or its retry) reports the commitTs it got', async () => {
    for (let round = 1; round <= 5; round++) {
      const tx = await client.beginTransaction();
      await tx.write({ agentId: 'a', key: 'counter', value: { round } });
      proxy.arm(); // Redis runs the commit; its answer never reaches the client.
      let commitTs: number;
      try {
        commitTs = await tx.commit(); // ioredis may resend it after reconnecting
      } catch (error) {
        expect(error).toBeInstanceOf(CommitUnknownError);
        commitTs = await tx.commit(); // the retry the error message asks for
      }
      expect(commitTs).toBe(round);
      expect(await observer.lastCommitTs()).toBe(round);
      expect(await observer.getState({ agentId: 'a', key: 'counter' })).toMatchObject({
        value: { round },
        version: round,
        commitTs: round,
      });
    }
    expect(proxy.dropped).toBe(5);
    const events = await collect(observer.replay({ agentId: 'a' }));
    expect(events.map((e) => e.commitTs)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('a buffered commit whose reply is lost', () => {
  it('is applied exactly once, whether ioredis resends it or commit() is retried', async () => {
    const base = await observer.lastCommitTs();
    for (let round = 1; round <= 5; round++) {
      const tx = await client.beginTransaction({ buffered: true });
      await tx.write({ agentId: 'b', key: 'counter', value: { round } });
      await tx.append({ agentId: 'b', prefix: 'step:', value: { round } });
      proxy.arm();
      let commitTs: number;
      try {
        commitTs = await tx.commit();
      } catch (error) {
        expect(error).toBeInstanceOf(CommitUnknownError);
        commitTs = await tx.commit();
      }
      expect(commitTs).toBe(base + round);
      expect(await observer.getState({ agentId: 'b', key: 'counter' })).toMatchObject({
        value: { round },
        version: round,
      });
    }
    const events = await collect(observer.replay({ agentId: 'b' }));
    expect(events.map((e) => e.commitTs)).toEqual([1, 2, 3, 4, 5].map((n) => base + n));
    expect((await observer.listKeys({ agentId: 'b', limit: 100 })).keys).toEqual([
      'counter',
      ...[1, 2, 3, 4, 5].map((n) => `step:${String(n).padStart(12, '0')}`),
    ]);
  });
});

describe('finished transactions', () => {
  it('stay known for the retention, then are forgotten', async () => {
    const short = await connectClient({ finishedTransactionRetentionMs: 1000 });
    const tx = await short.beginTransaction({ timeoutMs: 60_000 });
    await tx.commit();
    const resumed = await short.resumeTransaction(tx.id);
    expect(resumed.state).toBe('committed');
    await new Promise((done) => setTimeout(done, 1300));
    await expect(short.resumeTransaction(tx.id)).rejects.toMatchObject({
      code: 'TRANSACTION_NOT_FOUND',
    });
  });
});
