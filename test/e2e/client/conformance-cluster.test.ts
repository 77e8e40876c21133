import { StatehouseClient } from '@statehouse/client';
import { describeModesConformance } from '../../support/conformance-modes';
import { describeConformance } from '../../support/conformance';
import { describeOperatorConformance } from '../../support/operator-conformance';
import { startLocalCluster, type LocalCluster } from '../../support/redis-cluster';
import { withoutRedisUrl } from '../../support/server-process';
import { startStatehouseServer, type StatehouseServer } from '@statehouse/testing';

// The shared StatehouseApi suite against the network client, through a server on a Redis Cluster
// (three masters with a replica each) with durability 'replicated'.
let cluster: LocalCluster;
let server: StatehouseServer;

beforeAll(async () => {
  cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1 });
  server = await startStatehouseServer({
    args: [
      '--redis-cluster-nodes',
      cluster.nodes.map((node) => `${node.host}:${node.port}`).join(','),
      ...['--durability', 'replicated', '--replicas', '1', '--replication-timeout-ms', '2000'],
    ],
    env: withoutRedisUrl(),
  });
}, 40_000);

afterAll(async () => {
  await server?.stop();
  await cluster?.stop();
});

describeConformance('network StatehouseClient, server on a Redis Cluster', {
  connect: (namespace) => StatehouseClient.connect({ url: server.url, namespace }),
});

describeModesConformance('network StatehouseClient, server on a Redis Cluster', {
  connect: (namespace) => StatehouseClient.connect({ url: server.url, namespace }),
});

describeOperatorConformance('network StatehouseClient, server on a Redis Cluster', {
  connect: (namespace) => StatehouseClient.connect({ url: server.url, namespace }),
});
