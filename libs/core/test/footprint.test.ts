import { Redis } from 'ioredis';
import { Statehouse } from '@statehouse/core';
import { eventually, uniqueNamespace } from './support/statehouse';
import { startRestartableRedis, type RestartableRedis } from './support/restartable-redis';

let redis: RestartableRedis;
let admin: Redis;
let client: Statehouse;

beforeAll(async () => {
  redis = await startRestartableRedis(); // a Redis of its own: its counters are this test's alone
  admin = new Redis(redis.url);
  client = await Statehouse.connect({ redis: redis.url, namespace: uniqueNamespace('footprint') });
}, 60_000);

afterAll(async () => {
  await client?.close();
  await admin?.quit();
  await redis?.stop();
});

async function commandCalls(): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const line of (await admin.info('commandstats')).split('\n')) {
    const match = /^cmdstat_([a-z|]+):calls=(\d+)/.exec(line.trim());
    if (match) calls.set(match[1]!, Number(match[2]));
  }
  return calls;
}

describe('what the engine leaves in Redis', () => {
  it('never scans the keyspace, and BullMQ keeps nothing once the timeouts have fired', async () => {
    await admin.config('RESETSTAT');
    const timingOut: string[] = [];
    await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const tx = await client.beginTransaction({ timeoutMs: i % 6 === 0 ? 1000 : 10_000 });
        await tx.write({ agentId: `agent-${i % 7}`, key: `k${i % 11}`, value: { i } });
        if (i % 6 === 0) timingOut.push(tx.id);
        else if (i % 6 === 1) await tx.abort();
        else await tx.commit();
      }),
    );
    await client.getState({ agentId: 'agent-1', key: 'k1' });
    await client.listKeys({ agentId: 'agent-1' });
    await client.scanPrefix({ agentId: 'agent-1', prefix: 'k' });
    for await (const event of client.replay({ agentId: 'agent-2' }))
      expect(event.operations).toHaveLength(1);
    await eventually(async () => {
      const described = await Promise.all(timingOut.map((id) => client.describeTransaction(id)));
      return described.every((d) => d.finishedAt !== null);
    });
    // Every timeout job has run and been removed (test-only KEYS on this private Redis).
    let ownKeysCalls = 0;
    const jobKeys = async (): Promise<string[]> => {
      ownKeysCalls++;
      return (await admin.keys('{sh-timeouts}:timeouts:*')).filter((key) => key.includes('~'));
    };
    await eventually(async () => (await jobKeys()).length === 0);

    const calls = await commandCalls();
    expect(calls.get('evalsha')).toBeGreaterThan(0);
    expect(calls.get('keys')).toBe(ownKeysCalls); // the test's own, and none of the engine's
    for (const command of ['scan', 'hscan', 'zscan', 'sscan'])
      expect(calls.get(command)).toBeUndefined();

    // The namespace's index of open transactions is empty, and BullMQ holds no job: finished
    // jobs are removed, its event stream is capped.
    expect(await admin.zcard(`sh:{${client.namespace}}:deadlines`)).toBe(0);
    expect(await admin.zcard('{sh-timeouts}:timeouts:delayed')).toBe(0);
    expect(await admin.xlen('{sh-timeouts}:timeouts:events')).toBeLessThanOrEqual(1100);
  }, 30_000);
});
