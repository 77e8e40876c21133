import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';

/** How many replicas must acknowledge a commit, and how long to wait for them. */
export interface ReplicationSettings {
  readonly replicas: number;
  readonly timeoutMs: number;
}

/**
 * `durability: 'replicated'`: after a commit script, waits (Redis `WAIT`) until enough replicas of
 * the primary that ran it have received it.
 *
 * `WAIT` counts the writes of the connection it is sent on, so it goes to the very connection the
 * script ran on: the client itself, or, on a Redis Cluster, the cluster's connection to the master
 * of the namespace's slot. A commit retried after a lost answer finds itself already committed
 * and writes nothing, and a connection that reconnected has no writes to wait for; so before such
 * a `WAIT` a small write (the namespace's fence key) raises the connection's offset to the
 * primary's, which covers the earlier commit.
 */
export class ReplicaAcknowledgement {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly settings: ReplicationSettings,
    private readonly fenceTtlMs: number,
  ) {}

  /**
   * Resolves to true when enough replicas have everything this connection wrote up to now (after
   * writing `fenceKey` first when `fence` is set), to false when they did not acknowledge in time.
   * Rejects when the node cannot be reached.
   */
  async confirm(fenceKey: string, fence: boolean): Promise<boolean> {
    const node = this.nodeOf(fenceKey);
    const [, acknowledged] = await Promise.all([
      fence ? node.set(fenceKey, Date.now(), 'PX', this.fenceTtlMs) : undefined,
      node.wait(this.settings.replicas, this.settings.timeoutMs),
    ]);
    return acknowledged >= this.settings.replicas;
  }

  private nodeOf(key: string): Redis {
    if (!(this.redis as Cluster).isCluster) return this.redis as Redis;
    const cluster = this.redis as Cluster;
    const owner = cluster.slots[calculateSlot(key)]?.[0];
    const node = owner
      ? cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner)
      : undefined;
    if (!node) throw new Error(`no known Redis Cluster master for the slot of ${key}`);
    return node;
  }
}
