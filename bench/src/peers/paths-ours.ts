// Our paths of the peers table, on the bench's Redis: the Lua floor (the `baseline` scenario's
// script), the engine embedded (buffered and staged), and a server process
// (apps/server/dist/main.js) through HTTP `POST /v1/commit`, statehouse.v1 gRPC and
// @statehouse/client; and our two contended read-modify-write paths.
import type { StatehouseApi, TransactionApi } from '@statehouse/core';
import { StatehouseClient } from '@statehouse/client';
import type { BenchRedis } from '../redis-env';
import { processCpuMs } from '../stats';
import { openBaseline } from '../scenarios/baseline';
import { grpcClient, httpClient, startServer, stopServer } from '../scenarios/server';
import {
  MAX_RETRIES,
  HOT_KEYS,
  VALUES,
  Tally,
  randomAgent,
  randomHotKey,
  sumProblem,
  type OpenedPaths,
  type Path,
} from './path';

/** A gRPC google.protobuf.Struct of one of VALUES. */
function struct(value: (typeof VALUES)[number]) {
  return {
    fields: {
      n: { numberValue: value.n },
      note: { stringValue: value.note },
      tags: { listValue: { values: value.tags.map((tag) => ({ stringValue: tag })) } },
    },
  };
}

const hot = (i: number) => ({ agentId: `hot-${i}`, key: 'n' });

async function writeThree(tx: TransactionApi, agentId: string): Promise<void> {
  for (let k = 0; k < 3; k++) await tx.write({ agentId, key: `k${k + 1}`, value: VALUES[k]! });
}

type Body = (tx: TransactionApi) => Promise<void>;

/** The rmw of both clients: read a hot counter, write it plus one, in `transaction`'s retry loop. */
function increment(tally: Tally, transaction: (body: Body) => Promise<void>) {
  return async (): Promise<void> => {
    const counter = hot(randomHotKey());
    let runs = 0;
    await transaction(async (tx) => {
      runs++;
      const n = (await tx.get(counter)).value?.n;
      if (typeof n !== 'number') throw new Error(`counter ${counter.agentId} holds no number`);
      await tx.write({ ...counter, value: { n: n + 1 } });
    });
    tally.commits++;
    tally.retries += runs - 1;
  };
}

async function zeroCounters(client: StatehouseApi): Promise<void> {
  await client.transaction(async (tx) => {
    for (let i = 0; i < HOT_KEYS; i++) await tx.write({ ...hot(i), value: { n: 0 } });
  });
}

async function counterProblem(
  label: string,
  client: StatehouseApi,
  tally: Tally,
): Promise<string | null> {
  let sum = 0;
  for (let i = 0; i < HOT_KEYS; i++) {
    const n = (await client.getState(hot(i))).value?.n;
    sum += typeof n === 'number' ? n : Number.NaN;
  }
  return sumProblem(label, sum, tally);
}

export async function openOurPaths(env: BenchRedis, concurrency: number): Promise<OpenedPaths> {
  const closers: Array<() => Promise<void> | void> = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
  };
  try {
    const floor = await openBaseline(env);
    closers.push(floor.close);
    const embedded = await env.connect(env.namespace('peers-embedded'));
    closers.push(() => embedded.close());
    const embeddedRmw = await env.connect(env.namespace('peers-embedded-rmw'));
    closers.push(() => embeddedRmw.close());
    const server = await startServer(env.url);
    closers.push(() => stopServer(server));
    const serverCpuMs = () => processCpuMs(server.child.pid);
    const grpc = grpcClient(server.grpcPort);
    closers.push(() => grpc.close());
    const http = httpClient(server.httpPort, concurrency);
    closers.push(() => http.close());
    const namespace = env.namespace('peers-server');
    const network = await StatehouseClient.connect({
      url: `127.0.0.1:${server.grpcPort}`,
      namespace,
    });
    closers.push(() => network.close());
    const networkRmw = await StatehouseClient.connect({
      url: `127.0.0.1:${server.grpcPort}`,
      namespace: env.namespace('peers-server-rmw'),
    });
    closers.push(() => networkRmw.close());
    await zeroCounters(embeddedRmw);
    await zeroCounters(networkRmw);
    const embeddedTally = new Tally();
    const networkTally = new Tally();

    const paths: Path[] = [
      {
        id: 'lua',
        label: 'Lua floor (one EVALSHA, ioredis)',
        workload: 'write',
        system: 'redis',
        ours: false,
        op: async () => void (await floor.op()),
      },
      {
        id: 'buffered',
        label: 'ours embedded buffered',
        workload: 'write',
        system: 'redis',
        ours: true,
        op: async () => {
          const tx = await embedded.beginTransaction({ buffered: true });
          await writeThree(tx, randomAgent());
          await tx.commit();
        },
      },
      {
        id: 'staged',
        label: 'ours embedded staged',
        workload: 'write',
        system: 'redis',
        ours: true,
        op: async () => {
          const tx = await embedded.beginTransaction();
          await writeThree(tx, randomAgent());
          await tx.commit();
        },
      },
      {
        id: 'pipelined',
        label: 'ours embedded staged, pipelined',
        workload: 'write',
        system: 'redis',
        ours: true,
        op: async () => {
          const tx = await embedded.beginTransaction({ pipelined: true });
          await writeThree(tx, randomAgent());
          await tx.commit();
        },
      },
      {
        id: 'http',
        label: 'ours HTTP POST /v1/commit',
        workload: 'write',
        system: 'redis',
        ours: true,
        serverCpuMs,
        op: async () => {
          const agentId = randomAgent();
          await http.post('/v1/commit', {
            namespace,
            operations: VALUES.map((value, k) => ({
              op: 'write',
              agentId,
              key: `k${k + 1}`,
              value,
            })),
          });
        },
      },
      {
        id: 'grpc',
        label: 'ours gRPC statehouse.v1 (5 calls)',
        workload: 'write',
        system: 'redis',
        ours: true,
        serverCpuMs,
        op: async () => {
          const agentId = randomAgent();
          const { txn_id } = await grpc.call('BeginTransaction', {});
          for (let k = 0; k < 3; k++) {
            await grpc.call('Write', {
              txn_id,
              namespace,
              agent_id: agentId,
              key: `k${k + 1}`,
              value: struct(VALUES[k]!),
            });
          }
          await grpc.call('Commit', { txn_id });
        },
      },
      {
        id: 'client',
        label: 'ours @statehouse/client',
        workload: 'write',
        system: 'redis',
        ours: true,
        serverCpuMs,
        op: async () => {
          const agentId = randomAgent();
          await network.transaction((tx) => writeThree(tx, agentId));
        },
      },
      {
        id: 'rmw-buffered',
        label: 'ours embedded buffered',
        workload: 'rmw',
        system: 'redis',
        ours: true,
        op: increment(embeddedTally, (body) =>
          embeddedRmw.transaction(body, { maxRetries: MAX_RETRIES, buffered: true }),
        ),
        tally: embeddedTally,
        check: () => counterProblem('ours embedded buffered', embeddedRmw, embeddedTally),
      },
      {
        id: 'rmw-client',
        label: 'ours @statehouse/client',
        workload: 'rmw',
        system: 'redis',
        ours: true,
        serverCpuMs,
        op: increment(networkTally, (body) =>
          networkRmw.transaction(body, { maxRetries: MAX_RETRIES }),
        ),
        tally: networkTally,
        check: () => counterProblem('ours @statehouse/client', networkRmw, networkTally),
      },
    ];
    return { paths, close };
  } catch (error) {
    await close();
    throw error;
  }
}
