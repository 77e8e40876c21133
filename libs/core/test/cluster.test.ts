import { Statehouse, ValidationError } from '@statehouse/core';
import type { Cluster, ClusterOptions } from 'ioredis';
import { describeConformance } from '../../../test/support/conformance';
import { describeOperatorConformance } from '../../../test/support/operator-conformance';
import { startLocalCluster, type LocalCluster } from '../../../test/support/redis-cluster';

// The engine on a three-master Redis Cluster with a replica per master (ioredis Cluster): the whole
// StatehouseApi suite, and namespaces spread over every master, each taking commits. Failover is in
// failover.test.ts.

let cluster: LocalCluster;
const clients: Cluster[] = [];

beforeAll(async () => {
  cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1 });
}, 40_000);

afterAll(async () => {
  clients.forEach((client) => client.disconnect());
  await cluster.stop();
});

function clusterClient(options: ClusterOptions = {}): Cluster {
  const client = cluster.client(options);
  clients.push(client);
  return client;
}

describeConformance('embedded Statehouse on a Redis Cluster', {
  connect: (namespace) => Statehouse.connect({ redis: clusterClient(), namespace }),
});

// The registry of namespaces lives in a slot of its own, apart from every namespace's.
describeOperatorConformance('embedded Statehouse on a Redis Cluster', {
  connect: (namespace) => Statehouse.connect({ redis: clusterClient(), namespace }),
});

// Auto-pipelining routes a script call by its first string argument: the engine must keep each
// script call on its own slot's master anyway.
describeConformance('embedded Statehouse on a Redis Cluster with auto-pipelining', {
  connect: (namespace) =>
    Statehouse.connect({ redis: clusterClient({ enableAutoPipelining: true }), namespace }),
});

it('spreads namespaces over all three masters, each taking commits', async () => {
  const redis = clusterClient();
  const client = await Statehouse.connect({ redis, namespace: 'spread-0' });
  try {
    for (let i = 0; i < 24; i++) {
      await client.transaction(async (tx) => tx.write({ agentId: 'a', key: 'k', value: { i } }), {
        namespace: `spread-${i}`,
      });
    }
    const masters = redis.nodes('master');
    expect(masters).toHaveLength(3);
    const logsPerMaster = await Promise.all(
      masters.map(async (node) => (await node.keys('sh:{spread-*}:log')).length),
    );
    expect(logsPerMaster.every((count) => count > 0)).toBe(true);
    expect(logsPerMaster.reduce((a, b) => a + b, 0)).toBe(24);
  } finally {
    await client.close();
  }
});

it('runs concurrent transactions in namespaces on every master through an auto-pipelining client', async () => {
  const client = await Statehouse.connect({
    redis: clusterClient({ enableAutoPipelining: true }),
    namespace: 'pipelined-0',
  });
  const namespaces = Array.from({ length: 12 }, (_, i) => `pipelined-${i}`);
  try {
    const stamps = await Promise.all(
      namespaces.map((namespace, i) =>
        client.transaction(
          async (tx) => {
            await tx.get({ agentId: 'a', key: 'k' });
            await tx.write({ agentId: 'a', key: 'k', value: { i } });
          },
          { namespace },
        ),
      ),
    );
    expect(stamps).toHaveLength(12);
    const states = await Promise.all(
      namespaces.map((namespace) => client.getState({ namespace, agentId: 'a', key: 'k' })),
    );
    expect(states.map((s) => s.value)).toEqual(namespaces.map((_, i) => ({ i })));
  } finally {
    await client.close();
  }
});

it("refuses a Cluster whose nodes use ioredis' keyPrefix or would not resend after a reconnect", async () => {
  for (const redisOptions of [{ keyPrefix: 'app:' }, { autoResendUnfulfilledCommands: false }]) {
    const error = await Statehouse.connect({ redis: clusterClient({ redisOptions }) }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field: 'redis' });
  }
});
