import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RunningServer } from '../src/server';
import { failure, json, startTestServer, struct, V1 } from './support/server';

// --key-prefix: two deployments on one Redis keep every key apart, the statehouse.v1 transaction
// records (the server's own script) and the timeout queue included.

let redis: Redis;
let plain: RunningServer;
let prefixed: RunningServer;
const prefix = `kp-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  redis = new Redis(process.env.REDIS_URL!);
  [plain, prefixed] = await Promise.all([
    startTestServer(),
    startTestServer({ keyPrefix: prefix }),
  ]);
});

afterAll(async () => {
  await Promise.all([plain.close(), prefixed.close()]);
  await redis.quit();
});

async function keys(pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    found.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

it('keeps a statehouse.v1 transaction, its data and its timeout job under the prefix', async () => {
  const namespace = `ns-${randomBytes(4).toString('hex')}`;
  const client = new V1(prefixed.grpcPort);
  const other = new V1(plain.grpcPort);
  try {
    const { txn_id } = await client.call<{ txn_id: string }>('BeginTransaction', {
      timeout_ms: 60_000,
    });
    expect(await keys(`${prefix}:txn:{${txn_id}}`)).toHaveLength(1);
    expect(await keys(`sh:txn:{${txn_id}}`)).toEqual([]);
    await client.call('Write', {
      txn_id,
      namespace,
      agent_id: 'a',
      key: 'k',
      value: struct({ v: 1 }),
    });
    // Its timeout job waits in the prefix's own queue.
    expect((await keys(`{${prefix}-timeouts}*`)).length).toBeGreaterThan(0);
    await client.call('Commit', { txn_id });

    const read = await client.call<{ value: never }>('GetState', {
      namespace,
      agent_id: 'a',
      key: 'k',
    });
    expect(json(read.value)).toEqual({ v: 1 });
    expect((await keys(`${prefix}:{${namespace}}:*`)).length).toBeGreaterThan(0);
    expect(await keys(`sh:{${namespace}}:*`)).toEqual([]);
    // The deployment without the prefix sees none of it, not even the transaction.
    const unseen = await other.call<{ exists: boolean }>('GetState', {
      namespace,
      agent_id: 'a',
      key: 'k',
    });
    expect(unseen.exists).toBe(false);
    expect(await failure(other.call('Commit', { txn_id }))).toMatchObject({ status: 'NOT_FOUND' });
  } finally {
    client.close();
    other.close();
  }
});
