import { Redis } from 'ioredis';
import { CommitUnknownError, Statehouse } from '@statehouse/core';
import { FlakyProxy } from './support/flaky-proxy';
import {
  closeClients,
  collect,
  connectClient,
  eventually,
  sleep,
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

describe('a buffered commit whose outcome stayed unknown longer than the retention', () => {
  it('is not sent again (it could apply twice): TransactionNotFoundError, as for a transaction in Redis', async () => {
    const url = new URL(redisUrl());
    const flaky = new FlakyProxy({ host: url.hostname, port: Number(url.port) });
    const namespace = uniqueNamespace('late');
    const short = await Statehouse.connect({
      redis: await flaky.listen(),
      namespace,
      timeoutWorker: false,
      finishedTransactionRetentionMs: 1000,
    });
    const watcher = await connectClient({ namespace, finishedTransactionRetentionMs: 1000 });
    const admin = new Redis(redisUrl());
    try {
      // A first commit through the proxy: connection up, scripts loaded.
      await short.transaction(async (t) => t.write({ agentId: 'b', key: 'warm', value: {} }), {
        buffered: true,
      });
      const tx = await short.beginTransaction({ buffered: true, timeoutMs: 60_000 });
      await tx.write({ agentId: 'a', key: 'counter', value: { n: 1 } });
      flaky.stopListening(); // the reply is lost, and no reconnection can resend the commit
      flaky.armRequest(`sh:{${namespace}}:`); // the commit's script call
      await expect(tx.commit()).rejects.toBeInstanceOf(CommitUnknownError);
      expect(flaky.dropped).toBe(1);
      expect(await watcher.lastCommitTs()).toBe(2); // it did commit

      await sleep(1200); // the retention passes
      await watcher.transaction(async (t) => t.write({ agentId: 'b', key: 'k', value: {} }), {
        buffered: true,
      }); // a later buffered commit forgets the records past the retention
      const localId = tx.id.slice(namespace.length + 1);
      expect(await admin.hget(`sh:{${namespace}}:finished`, localId)).toBeNull();

      await flaky.listen();
      await eventually(async () => {
        try {
          await short.lastCommitTs();
          return true;
        } catch {
          return false;
        }
      }, 5000);
      await expect(tx.commit()).rejects.toMatchObject({ code: 'TRANSACTION_NOT_FOUND' });
      const events = await collect(watcher.replay({ agentId: 'a' }));
      expect(events.map((e) => e.commitTs)).toEqual([2]);
      expect(await watcher.lastCommitTs()).toBe(3);
    } finally {
      await admin.quit();
      await short.close();
      await flaky.close();
    }
  });
});
