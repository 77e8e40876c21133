// A transaction continued by a process that did not begin it knows only what Redis holds: its
// machine is restored from the stored snapshot (older machine versions migrated), not rebuilt.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { NamespaceKeys } from '../src/storage/keys';
import { parseTransactionId } from '../src/model/transaction-id';
import { SNAPSHOTS } from '../src/model/transaction.machine';
import { closeClients, connectClient, redisUrl } from './support/statehouse';

const CHILD = join(__dirname, 'fixtures', 'snapshot-writer.child.js');
let redis: Redis;

beforeAll(() => {
  if (!existsSync(join(__dirname, '..', 'dist', 'index.js'))) {
    throw new Error('libs/core/dist is missing: run `npm run build` before jest');
  }
  redis = new Redis(redisUrl());
});

afterAll(async () => {
  await closeClients();
  await redis.quit();
});

/** Runs the writer process to its end; its transaction is left open in Redis. */
function writer(
  namespace: string,
  snapshot: 'context' | 'v1',
): Promise<{ id: string; pid: number }> {
  const child = spawn(process.execPath, [CHILD], {
    env: {
      ...process.env,
      REDIS_URL: redisUrl(),
      STATEHOUSE_NAMESPACE: namespace,
      SNAPSHOT: snapshot,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((done, fail) =>
    child.once('exit', (code) =>
      code === 0
        ? done(JSON.parse(out) as { id: string; pid: number })
        : fail(new Error(`writer exited with ${code}`)),
    ),
  );
}

const snapshotKey = (id: string, keyPrefix = 'sh'): string => {
  const txId = parseTransactionId(id);
  return new NamespaceKeys(keyPrefix, txId.namespace).transaction(txId.localId);
};

describe('a transaction begun and written by another process', () => {
  it('is resumed with the machine restored from the stored snapshot, which decides from then on', async () => {
    const client = await connectClient();
    const { id, pid } = await writer(client.namespace, 'context');
    expect(pid).not.toBe(process.pid);

    const resumed = await client.resumeTransaction(id);
    // The context only the writer had: the machine came from Redis, not from this process.
    expect(resumed.machineSnapshot.value).toBe('open');
    expect(resumed.machineSnapshot.context).toEqual({ writer: pid });
    expect(resumed.mutations).toMatchObject([{ type: 'write', agentId: 'writer', key: 'step' }]);
    expect((await client.describeTransaction(id)).state).toBe('open');

    const commitTs = await resumed.commit();
    // The client-side COMMIT was applied to the restored snapshot: its context is still the writer's.
    expect(resumed.machineSnapshot.value).toBe('committed');
    expect(resumed.machineSnapshot.context).toEqual({ writer: pid });
    await expect(
      resumed.write({ agentId: 'writer', key: 'late', value: {} }),
    ).rejects.toMatchObject({ code: 'TRANSACTION_ALREADY_COMMITTED' });
    expect(await client.getState({ agentId: 'writer', key: 'step' })).toMatchObject({
      exists: true,
      value: { by: pid },
      commitTs,
    });
    const described = await client.describeTransaction(id);
    expect(described).toMatchObject({ id, state: 'committed', commitTs });
    expect(await redis.hget(snapshotKey(id), 'snapshot')).toBe(SNAPSHOTS.committed);
  }, 20_000);

  it('restores a snapshot of the previous machine version (1), and aborts it', async () => {
    const client = await connectClient();
    const { id } = await writer(client.namespace, 'v1');
    expect(await redis.hget(snapshotKey(id), 'snapshot')).toBe(
      '{"machineVersion":1,"snapshot":{"value":"open"}}',
    );

    expect((await client.describeTransaction(id)).state).toBe('open');
    const resumed = await client.resumeTransaction(id);
    expect(resumed.machineSnapshot.value).toBe('open');
    await resumed.abort();
    expect(resumed.state).toBe('aborted');
    expect((await client.describeTransaction(id)).state).toBe('aborted');
    expect(await redis.hget(snapshotKey(id), 'snapshot')).toBe(SNAPSHOTS.aborted);
    expect((await client.getState({ agentId: 'writer', key: 'step' })).exists).toBe(false);
    const again = await client.resumeTransaction(id);
    await expect(again.write({ agentId: 'writer', key: 'x', value: {} })).rejects.toMatchObject({
      code: 'TRANSACTION_ALREADY_ABORTED',
    });
    await again.abort(); // the machine's no-op
  }, 20_000);
});

describe('the stored snapshot is what describe and resume read', () => {
  it('refuses a snapshot of a machine version this process does not know, naming it', async () => {
    const client = await connectClient();
    const tx = await client.beginTransaction();
    await redis.hset(snapshotKey(tx.id), 'snapshot', '{"v":99,"value":"open","context":{}}');
    await expect(client.describeTransaction(tx.id)).rejects.toThrow(
      /Unsupported transaction snapshot version 99/,
    );
    await expect(client.resumeTransaction(tx.id)).rejects.toThrow(
      /Unsupported transaction snapshot version 99/,
    );
  });

  it('reports an open transaction past its deadline as the TIMEOUT of its restored machine', async () => {
    // No timeout worker anywhere sweeps this key prefix: the deadline passes, nothing applies it.
    const keyPrefix = `resume-${process.pid}-${Date.now()}`;
    const client = await connectClient({ keyPrefix, timeoutWorker: false });
    const tx = await client.beginTransaction({ timeoutMs: 50 });
    await redis.hset(
      snapshotKey(tx.id, keyPrefix),
      'snapshot',
      '{"v":2,"value":"open","context":{"n":1}}',
    );
    await new Promise((done) => setTimeout(done, 120));
    expect((await client.describeTransaction(tx.id)).state).toBe('timedOut');
    const resumed = await client.resumeTransaction(tx.id);
    expect(resumed.machineSnapshot.value).toBe('timedOut');
    expect(resumed.machineSnapshot.context).toEqual({ n: 1 });
  });
});
