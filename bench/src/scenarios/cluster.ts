// (i) Scale-out over Redis: the transaction of (b) (begin, three writes, commit; staged and
// buffered) at concurrency 64 over many namespaces, against the bench's one Redis, a one-master
// and a three-master Redis Cluster of local redis-servers (same persistence: AOF always). Each
// worker keeps to one namespace (one slot); the namespaces are picked so that each of the three
// masters owns the same number. Per node: commits (XLEN of the logs it holds), CPU, script calls.
import os from 'node:os';
import type { Cluster, Redis } from 'ioredis';
import { Statehouse } from '@statehouse/core';
import { slotOfTag, slotRange, startBenchCluster, type BenchCluster } from '../local-cluster';
import { readCounters, diffCounters, type BenchRedis, type RedisCounters } from '../redis-env';
import {
  machineBusyPercent,
  machineCpuTimes,
  runLoad,
  withCpu,
  type LatencySummary,
  transactionFigures,
} from '../stats';

export interface ClusterBenchOptions {
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly maxOps: number;
  /** Namespaces the workers are spread over (worker w uses namespace w mod this); a multiple of 3. */
  readonly namespaces: number;
}

export type Topology = 'one Redis' | 'cluster, 1 master' | 'cluster, 3 masters';

export interface NodeShare {
  readonly port: number | null;
  /** Namespaces this node owns. */
  readonly namespaces: number;
  /** Entries in the logs of its namespaces: its commits, warm-up included. */
  readonly commits: number;
  /** Redis CPU (user+sys) over the measured phase, ms, and as a share of one core. */
  readonly cpuMs: number;
  readonly cpuPercentOfCore: number;
  /** Script calls (EVALSHA/EVAL) over the measured phase. */
  readonly scriptCalls: number;
  readonly keys: number;
  /** It owns the slot of the BullMQ timeout queue (`{sh-timeouts}`): every sweep runs there. */
  readonly hasTimeoutQueue: boolean;
}

export interface TopologyRun {
  readonly topology: Topology;
  readonly buffered: boolean;
  readonly transactions: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly txPerSec: number;
  readonly latency: LatencySummary;
  readonly elapsedMs: number;
  readonly nodeCpuUsPerTx: number;
  /** Redis CPU of all nodes per transaction. */
  readonly redisCpuUsPerTx: number;
  /** (bench process + all Redis CPU) / (elapsed × cores), percent: how busy the machine was. */
  readonly machineCpuPercent: number;
  /** The whole machine's busy CPU (every process: other users' too) over the measured phase. */
  readonly machineBusyPercent: number;
  /** Commits acknowledged to the client (warm-up included) and log entries found on the nodes. */
  readonly acknowledged: number;
  readonly logged: number;
  readonly nodes: NodeShare[];
}

export interface ClusterBenchResult {
  readonly concurrency: number;
  readonly namespaces: number;
  readonly cores: number;
  readonly runs: TopologyRun[];
}

const VALUES = [
  { n: 1, note: 'small' },
  { n: 2, note: 'small' },
  { n: 3, note: 'small' },
] as const;

/** `count` namespace names whose slots fall evenly over the three masters of a 3-master split. */
function balancedNamespaces(base: string, count: number): string[] {
  const perMaster = [0, 0, 0];
  const names: string[] = [];
  for (let k = 0; names.length < count; k++) {
    const name = `${base}-${k}`;
    const owner = ownerOf(name, 3);
    if (perMaster[owner]! >= count / 3) continue;
    perMaster[owner]!++;
    names.push(name);
  }
  return names;
}

function ownerOf(namespace: string, masters: number): number {
  const slot = slotOfTag(namespace);
  for (let i = 0; i < masters; i++) if (slot <= slotRange(i, masters)[1]) return i;
  return masters - 1;
}

interface Target {
  readonly topology: Topology;
  readonly admins: readonly Redis[];
  readonly ports: ReadonlyArray<number | null>;
  readonly namespaces: (buffered: boolean) => string[];
  readonly connect: (
    namespace: string,
  ) => Promise<{ client: Statehouse; close: () => Promise<void> }>;
}

async function runOne(
  target: Target,
  buffered: boolean,
  options: ClusterBenchOptions,
): Promise<TopologyRun> {
  const names = target.namespaces(buffered);
  const masters = target.admins.length;
  const { client, close } = await target.connect(names[0]!);
  const acknowledgedBy = new Map<string, number>();
  const transaction = async (worker: number): Promise<void> => {
    const namespace = names[worker % names.length]!;
    const tx = await client.beginTransaction({ namespace, buffered });
    const agentId = `agent-${worker}`;
    await tx.write({ agentId, key: 'k1', value: VALUES[0] });
    await tx.write({ agentId, key: 'k2', value: VALUES[1] });
    await tx.write({ agentId, key: 'k3', value: VALUES[2] });
    await tx.commit();
    acknowledgedBy.set(namespace, (acknowledgedBy.get(namespace) ?? 0) + 1);
  };
  try {
    const bounds = { maxOps: options.maxOps, maxMs: options.warmupMs };
    await runLoad(options.concurrency, bounds, transaction);
    const before = await Promise.all(target.admins.map((admin) => readCounters(admin)));
    const machineBefore = machineCpuTimes();
    const { result, cpuMs } = await withCpu(() =>
      runLoad(
        options.concurrency,
        { maxOps: options.maxOps, maxMs: options.durationMs },
        transaction,
      ),
    );
    const machineAfter = machineCpuTimes();
    const after = await Promise.all(target.admins.map((admin) => readCounters(admin)));
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows, as caught, the first error of the load
    if (result.ops === 0) throw result.firstError ?? new Error('no transaction completed');
    const deltas: RedisCounters[] = after.map((counters, i) => diffCounters(before[i]!, counters));
    const nodes: NodeShare[] = [];
    for (const [i, admin] of target.admins.entries()) {
      const own = names.filter((ns) => ownerOf(ns, masters) === i);
      let commits = 0;
      for (const ns of own) commits += await admin.xlen(`sh:{${ns}}:log`);
      const delta = deltas[i]!;
      nodes.push({
        port: target.ports[i] ?? null,
        namespaces: own.length,
        commits,
        cpuMs: delta.cpuMs,
        cpuPercentOfCore: (delta.cpuMs / result.elapsedMs) * 100,
        scriptCalls: (delta.calls.evalsha ?? 0) + (delta.calls.eval ?? 0),
        keys: await admin.dbsize(),
        hasTimeoutQueue: ownerOf('sh-timeouts', masters) === i,
      });
    }
    const redisCpuMs = nodes.reduce((sum, node) => sum + node.cpuMs, 0);
    return {
      topology: target.topology,
      buffered,
      ...transactionFigures(result),
      elapsedMs: result.elapsedMs,
      nodeCpuUsPerTx: (cpuMs * 1000) / result.ops,
      redisCpuUsPerTx: (redisCpuMs * 1000) / result.ops,
      machineCpuPercent: ((cpuMs + redisCpuMs) / (result.elapsedMs * os.cpus().length)) * 100,
      machineBusyPercent: machineBusyPercent(machineBefore, machineAfter),
      acknowledged: [...acknowledgedBy.values()].reduce((a, b) => a + b, 0),
      logged: nodes.reduce((sum, node) => sum + node.commits, 0),
      nodes,
    };
  } finally {
    await close();
  }
}

function clusterTarget(cluster: BenchCluster, masters: 1 | 3, base: string, count: number): Target {
  return {
    topology: masters === 1 ? 'cluster, 1 master' : 'cluster, 3 masters',
    admins: cluster.admins,
    ports: cluster.ports,
    namespaces: (buffered) =>
      balancedNamespaces(`${base}-${buffered ? 'buffered' : 'staged'}`, count),
    connect: async (namespace) => {
      const redis: Cluster = cluster.client();
      const client = await Statehouse.connect({ redis, namespace });
      return {
        client,
        close: async () => {
          await client.close();
          redis.disconnect();
        },
      };
    },
  };
}

export async function runCluster(
  env: BenchRedis,
  options: ClusterBenchOptions,
): Promise<ClusterBenchResult> {
  const runs: TopologyRun[] = [];
  await env.resetIfPrivate();
  const standalone: Target = {
    topology: 'one Redis',
    admins: [env.admin],
    ports: [null],
    namespaces: (buffered) =>
      Array.from({ length: options.namespaces }, (_, k) =>
        env.namespace(`cluster-${buffered ? 'buffered' : 'staged'}-${k}`),
      ),
    connect: async (namespace) => {
      const client = await env.connect(namespace);
      return { client, close: () => client.close() };
    },
  };
  for (const buffered of [false, true]) runs.push(await runOne(standalone, buffered, options));
  for (const masters of [1, 3] as const) {
    const cluster = await startBenchCluster(masters);
    try {
      const base = `bench-cluster-${env.runId}-m${masters}`;
      const target = clusterTarget(cluster, masters, base, options.namespaces);
      for (const buffered of [false, true]) runs.push(await runOne(target, buffered, options));
    } finally {
      await cluster.stop();
    }
  }
  return {
    concurrency: options.concurrency,
    namespaces: options.namespaces,
    cores: os.cpus().length,
    runs,
  };
}
