import { StatehouseClient } from '@statehouse/client';
import { describeConformance } from '../../../test/support/conformance';
import { startLocalCluster, type LocalCluster } from '../../../test/support/redis-cluster';
import type { RunningServer } from '../../../apps/server/src/server';
import { startTestServer } from '../../../apps/server/test/support/server';

// The shared StatehouseApi suite against the network client, through a server on a Redis Cluster
// (three masters with a replica each) with durability 'replicated'.
let cluster: LocalCluster;
let server: RunningServer;

beforeAll(async () => {
  cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1 });
  server = await startTestServer({
    redisUrl: undefined,
    clusterNodes: cluster.nodes,
    durability: 'replicated',
    replication: { replicas: 1, timeoutMs: 2000 },
  });
}, 40_000);

afterAll(async () => {
  await server?.close();
  await cluster?.stop();
});

describeConformance('network StatehouseClient, server on a Redis Cluster', {
  connect: (namespace) =>
    StatehouseClient.connect({ url: `127.0.0.1:${server.grpcPort}`, namespace }),
});
