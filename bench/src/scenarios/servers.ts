// (j) Scale-out over server processes: the transaction of (h) through one server process and
// through three (apps/server/dist/main.js, each its own process on the bench's one Redis), the
// load spread round-robin by transaction (every request of a transaction goes to the same
// process), at concurrency 64: the HTTP one-request commit (POST /v1/commit) and the statehouse.v1
// gRPC path (begin, three writes, commit). CPU of each server process, of Redis and of the bench.
import os from 'node:os';
import type { BenchRedis } from '../redis-env';
import { diffCounters } from '../redis-env';
import {
  machineBusyPercent,
  machineCpuTimes,
  processCpuMs,
  runLoad,
  withCpu,
  type LatencySummary,
  transactionFigures,
} from '../stats';
import {
  grpcClient,
  httpClient,
  startServer,
  stopServer,
  struct,
  type RunningServer,
} from './server';

export type ScaledTransport = 'http-commit' | 'grpc';

export interface ServersBenchOptions {
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly maxOps: number;
  /** Server process counts to compare, e.g. [1, 3]. */
  readonly processes: readonly number[];
}

export interface ServersRun {
  readonly processes: number;
  readonly transport: ScaledTransport;
  readonly transactions: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly txPerSec: number;
  readonly latency: LatencySummary;
  /** Transactions each process served and its CPU as a share of one core (measured phase). */
  readonly perProcess: ReadonlyArray<{
    readonly transactions: number;
    readonly cpuPercent: number;
  }>;
  readonly serverCpuUsPerTx: number;
  readonly redisCpuUsPerTx: number;
  readonly benchCpuUsPerTx: number;
  /** (servers + Redis + bench CPU) / (elapsed × cores), percent. */
  readonly ownCpuPercent: number;
  /** The whole machine's busy CPU (every process: other users' too). */
  readonly machineBusyPercent: number;
}

export interface ServersBenchResult {
  readonly concurrency: number;
  readonly cores: number;
  readonly runs: ServersRun[];
}

interface Connected {
  readonly server: RunningServer;
  readonly grpc: ReturnType<typeof grpcClient>;
  readonly http: ReturnType<typeof httpClient>;
}

async function runTransport(
  env: BenchRedis,
  connected: readonly Connected[],
  transport: ScaledTransport,
  options: ServersBenchOptions,
): Promise<ServersRun> {
  const namespace = env.namespace(`servers-${connected.length}-${transport}`);
  const served = new Array<number>(connected.length).fill(0);
  let counting = false;
  const op = async (worker: number, index: number): Promise<void> => {
    const which = index % connected.length;
    const { grpc, http } = connected[which]!;
    const agentId = `agent-${worker}`;
    if (transport === 'http-commit') {
      await http.post('/v1/commit', {
        namespace,
        operations: [1, 2, 3].map((k) => ({
          op: 'write',
          agentId,
          key: `k${k}`,
          value: { n: k, note: 'small' },
        })),
      });
    } else {
      const { txn_id } = await grpc.call('BeginTransaction', {});
      for (let k = 1; k <= 3; k++) {
        await grpc.call('Write', {
          txn_id,
          namespace,
          agent_id: agentId,
          key: `k${k}`,
          value: struct(k),
        });
      }
      await grpc.call('Commit', { txn_id });
    }
    if (counting) served[which]!++;
  };
  await runLoad(options.concurrency, { maxOps: options.maxOps, maxMs: options.warmupMs }, op);
  counting = true;
  const pids = connected.map(({ server }) => server.child.pid);
  const serversBefore = pids.map(processCpuMs);
  const redisBefore = await env.counters();
  const machineBefore = machineCpuTimes();
  const { result, cpuMs } = await withCpu(() =>
    runLoad(options.concurrency, { maxOps: options.maxOps, maxMs: options.durationMs }, op),
  );
  const machineAfter = machineCpuTimes();
  const redis = diffCounters(redisBefore, await env.counters());
  const serverCpu = pids.map((pid, i) => processCpuMs(pid) - serversBefore[i]!);
  const serverCpuMs = serverCpu.reduce((a, b) => a + b, 0);
  const ops = Math.max(1, result.ops);
  return {
    processes: connected.length,
    transport,
    ...transactionFigures(result),
    perProcess: serverCpu.map((ms, i) => ({
      transactions: served[i]!,
      cpuPercent: (ms / result.elapsedMs) * 100,
    })),
    serverCpuUsPerTx: (serverCpuMs * 1000) / ops,
    redisCpuUsPerTx: (redis.cpuMs * 1000) / ops,
    benchCpuUsPerTx: (cpuMs * 1000) / ops,
    ownCpuPercent:
      ((serverCpuMs + redis.cpuMs + cpuMs) / (result.elapsedMs * os.cpus().length)) * 100,
    machineBusyPercent: machineBusyPercent(machineBefore, machineAfter),
  };
}

export async function runServers(
  env: BenchRedis,
  options: ServersBenchOptions,
): Promise<ServersBenchResult> {
  const runs: ServersRun[] = [];
  for (const processes of options.processes) {
    await env.resetIfPrivate();
    const connected: Connected[] = [];
    try {
      const started = await Promise.allSettled(
        Array.from({ length: processes }, () => startServer(env.url)),
      );
      for (const outcome of started) {
        if (outcome.status === 'fulfilled') {
          const server = outcome.value;
          connected.push({
            server,
            grpc: grpcClient(server.grpcPort),
            http: httpClient(server.httpPort, options.concurrency),
          });
        }
      }
      const failed = started.find((outcome) => outcome.status === 'rejected');
      if (failed) throw failed.reason;
      for (const transport of ['http-commit', 'grpc'] as const)
        runs.push(await runTransport(env, connected, transport, options));
    } finally {
      for (const { grpc, http } of connected) {
        grpc.close();
        http.close();
      }
      await Promise.all(connected.map(({ server }) => stopServer(server)));
    }
  }
  return { concurrency: options.concurrency, cores: os.cpus().length, runs };
}
