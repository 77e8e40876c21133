import {
  CommitUnknownError,
  Statehouse,
  StorageUnavailableError,
  TransactionError,
  type Transaction,
} from '@statehouse/core';
import { collect, sleep, uniqueNamespace } from './support/statehouse';
import { startRestartableRedis, type RestartableRedis } from './support/restartable-redis';

let redis: RestartableRedis;
let client: Statehouse;

beforeAll(async () => {
  redis = await startRestartableRedis();
  client = await Statehouse.connect({ redis: redis.url, namespace: uniqueNamespace('durable') });
}, 60_000);

afterAll(async () => {
  await client?.close();
  await redis?.stop();
});

interface Attempt {
  tx: Transaction;
  key: string;
  n: number;
  outcome: 'acknowledged' | 'unknown' | 'failed';
  commitTs?: number;
}

async function commitOne(key: string, n: number): Promise<Attempt> {
  let tx: Transaction;
  try {
    tx = await client.beginTransaction({ timeoutMs: 120_000 });
    await tx.write({ agentId: 'agent', key, value: { n } });
  } catch (error) {
    expect(error).toBeInstanceOf(TransactionError);
    return { tx: undefined as unknown as Transaction, key, n, outcome: 'failed' };
  }
  try {
    return { tx, key, n, outcome: 'acknowledged', commitTs: await tx.commit() };
  } catch (error) {
    expect(error).toBeInstanceOf(TransactionError);
    return { tx, key, n, outcome: error instanceof CommitUnknownError ? 'unknown' : 'failed' };
  }
}

describe('a Redis crash (SIGKILL) and restart with AOF appendfsync always', () => {
  it('keeps every acknowledged commit, the commit counter and per-record versions', async () => {
    const attempts: Attempt[] = [];
    for (let n = 0; n < 30; n++) attempts.push(await commitOne(`k${n % 3}`, n));
    expect(attempts.every((a) => a.outcome === 'acknowledged')).toBe(true);

    // Load from 6 concurrent writers while Redis is killed under them.
    let stop = false;
    let n = 30;
    const writers = Array.from({ length: 6 }, async () => {
      while (!stop) {
        const attempt = await commitOne(`k${n % 3}`, n++);
        attempts.push(attempt);
        if (attempt.outcome !== 'acknowledged') await sleep(20);
      }
    });
    await sleep(300);
    await redis.kill();

    // While Redis is down: typed errors, quickly.
    await expect(client.getState({ agentId: 'agent', key: 'k0' })).rejects.toBeInstanceOf(
      StorageUnavailableError,
    );
    await expect(client.beginTransaction()).rejects.toBeInstanceOf(StorageUnavailableError);

    await redis.start();
    await sleep(300);
    stop = true;
    await Promise.all(writers);

    // A commit whose outcome was unknown is retried: it is applied exactly once either way.
    for (const attempt of attempts.filter((a) => a.outcome === 'unknown')) {
      attempt.commitTs = await attempt.tx.commit();
      attempt.outcome = 'acknowledged';
    }
    const acknowledged = attempts.filter((a) => a.outcome === 'acknowledged');
    expect(acknowledged.length).toBeGreaterThan(30);

    const events = await collect(client.replay({ agentId: 'agent' }));
    const last = await client.lastCommitTs();
    // Dense, strictly increasing commit order; the counter survived.
    expect(events.map((e) => e.commitTs)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    // Every acknowledged commit is there exactly once, at its commitTs, with its value.
    const byTs = new Map(events.map((e) => [e.commitTs, e]));
    for (const attempt of acknowledged) {
      const event = byTs.get(attempt.commitTs!);
      expect(event?.txId).toBe(attempt.tx.id);
      expect(event?.operations).toEqual([
        expect.objectContaining({ key: attempt.key, value: { n: attempt.n } }),
      ]);
    }
    expect(new Set(events.map((e) => e.txId)).size).toBe(events.length);
    // Versions of each record go up by one per commit that touched it, without gaps or repeats.
    for (const key of ['k0', 'k1', 'k2']) {
      const versions = events.flatMap((e) =>
        e.operations.filter((op) => op.key === key).map((op) => op.version),
      );
      expect(versions).toEqual(versions.map((_, i) => i + 1));
      expect((await client.getState({ agentId: 'agent', key })).version).toBe(versions.length);
    }
    // And they keep increasing after the restart.
    const next = await commitOne('k0', -1);
    expect(next.commitTs).toBe(last + 1);
    expect(
      await client.getStateAtVersion({ agentId: 'agent', key: 'k0', version: 1 }),
    ).toMatchObject({
      value: { n: 0 },
      commitTs: 1,
    });
  }, 90_000);
});

describe('an unreachable Redis', () => {
  it('fails connect with a StorageUnavailableError that names the address', async () => {
    const error = await Statehouse.connect({ redis: 'redis://127.0.0.1:1' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as StorageUnavailableError).code).toBe('STORAGE_UNAVAILABLE');
    expect((error as Error).message).toContain('redis://127.0.0.1:1');
  });
});
