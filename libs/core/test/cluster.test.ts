import { Statehouse } from '@statehouse/core';
import type { Cluster } from 'ioredis';
import { describeConformance } from '../../../test/support/conformance';
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

function clusterClient(): Cluster {
  const client = cluster.client();
  clients.push(client);
  return client;
}

describeConformance('embedded Statehouse on a Redis Cluster', {
  connect: (namespace) => Statehouse.connect({ redis: clusterClient(), namespace }),
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
