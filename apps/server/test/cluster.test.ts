import { Redis } from 'ioredis';
import type { RunningServer } from '../src/server';
import { startLocalCluster, type LocalCluster } from '../../../test/support/redis-cluster';
import { json, startTestServer, struct, V1 } from './support/server';

// The server on a Redis Cluster (three masters, a replica each), configured with its seed nodes
// and durability 'replicated': statehouse.v1 and HTTP commits in namespaces spread over every
// master, each commit on a replica once reported.

let cluster: LocalCluster;
let server: RunningServer;
let v1: V1;

beforeAll(async () => {
  cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1 });
  server = await startTestServer({
    redisUrl: undefined,
    clusterNodes: cluster.nodes.slice(0, 1), // one seed is enough: the client learns the rest
    durability: 'replicated',
    replication: { replicas: 1, timeoutMs: 2000 },
  });
  v1 = new V1(server.grpcPort);
}, 40_000);

afterAll(async () => {
  v1?.close();
  await server?.close();
  await cluster?.stop();
});

const NAMESPACES = Array.from({ length: 12 }, (_, i) => `srv-cluster-${i}`);

it('commits over statehouse.v1 and HTTP in namespaces on every master, each on its replica too', async () => {
  for (const namespace of NAMESPACES) {
    const { txn_id } = await v1.call<{ txn_id: string }>('BeginTransaction', {});
    await v1.call('Write', {
      txn_id,
      namespace,
      agent_id: 'agent',
      key: 'grpc',
      value: struct({ n: 1 }),
    });
    const { commit_ts } = await v1.call<{ commit_ts: string | number }>('Commit', { txn_id });
    expect(Number(commit_ts)).toBe(1);

    const response = await fetch(`http://127.0.0.1:${server.httpPort}/v1/commit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        namespace,
        operations: [{ op: 'write', agentId: 'agent', key: 'http', value: { n: 2 } }],
      }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ commitTs: 2 });

    const state = await v1.call<{ value: Parameters<typeof json>[0]; version: number }>(
      'GetState',
      {
        namespace,
        agent_id: 'agent',
        key: 'grpc',
      },
    );
    expect(json(state.value)).toEqual({ n: 1 });
  }

  // Every master holds some of the namespaces, and so does its replica (durability 'replicated'
  // reported each commit only once a replica had it).
  const masters = new Set<number>();
  for (const namespace of NAMESPACES) {
    const master = await cluster.masterOf(`sh:{${namespace}}:log`);
    masters.add(master.port);
    const [replica] = await cluster.replicasOf(master);
    const admin = new Redis({ port: replica!.port, host: replica!.host });
    try {
      await admin.call('READONLY');
      expect(await admin.xlen(`sh:{${namespace}}:log`)).toBe(2);
    } finally {
      admin.disconnect();
    }
  }
  expect(masters.size).toBe(3);

  const ready = await fetch(`http://127.0.0.1:${server.httpPort}/readyz`);
  expect(ready.status).toBe(200);
}, 60_000);
