// A Redis Cluster of local cluster-mode redis-servers for the `cluster` scenario: @statehouse/testing's
// startLocalRedisCluster, persisted like the bench's private Redis (AOF, appendfsync always).
import calculateSlot from 'cluster-key-slot';
import { Redis, type Cluster } from 'ioredis';
import { startLocalRedisCluster } from '@statehouse/testing';

export const CLUSTER_SLOTS = 16384;

export interface BenchCluster {
  readonly ports: readonly number[];
  /** One plain connection per master, in slot order (master i owns slotRange(i)): INFO, XLEN. */
  readonly admins: readonly Redis[];
  /** A new ioredis Cluster client, auto-pipelined like the engine's own URL connections. */
  client(): Cluster;
  stop(): Promise<void>;
}

/** The slots master `i` of `masters` owns: the even split startLocalRedisCluster makes. */
export function slotRange(i: number, masters: number): [number, number] {
  const from = Math.floor((CLUSTER_SLOTS * i) / masters);
  return [from, Math.floor((CLUSTER_SLOTS * (i + 1)) / masters) - 1];
}

export async function startBenchCluster(masters: number): Promise<BenchCluster> {
  const binary = process.env.BENCH_REDIS_SERVER;
  const cluster = await startLocalRedisCluster({
    masters,
    appendfsync: 'always',
    ...(binary ? { binary } : {}),
  });
  const ports = cluster.nodes.map((node) => node.port);
  const admins = ports.map((port) => new Redis({ port, host: '127.0.0.1' }));
  return {
    ports,
    admins,
    client: () =>
      cluster.client({ enableAutoPipelining: true, redisOptions: { maxRetriesPerRequest: 2 } }),
    async stop() {
      admins.forEach((admin) => admin.disconnect());
      await cluster.stop();
    },
  };
}

/** The hash slot of a key's hash tag, as Redis Cluster computes it. */
export function slotOfTag(tag: string): number {
  return calculateSlot(`{${tag}}`);
}
