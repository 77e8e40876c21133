import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';

/** How many replicas must acknowledge a commit, and how long to wait for them. */
export interface ReplicationSettings {
  readonly replicas: number;
  readonly timeoutMs: number;
}

/** The connection a commit script is about to run on, and which of its sessions is current. */
export interface ReplicationSession {
  readonly node: Redis | undefined;
  readonly generation: number;
}

/**
 * `durability: 'replicated'`: after a commit script, waits (Redis `WAIT`) until enough replicas of
 * the primary that ran it have received it.
 *
 * `WAIT` counts the writes of the connection it is sent on, so it goes to the very connection the
 * script ran on: the client itself, or, on a Redis Cluster, the cluster's connection to the master
 * of the namespace's slot; and only if that connection was not lost and opened again in between
 * (a new connection has no writes to wait for, and ioredis would resend a queued `WAIT` to
 * whatever answers at that address later, a restarted master included). A commit retried after a
 * lost answer finds itself already committed and writes nothing; so before such a `WAIT` a small
 * write (the namespace's fence key) raises the connection's offset to the primary's, which covers
 * the earlier commit.
 */
export class ReplicaAcknowledgement {
  /** Per connection: how many times it closed. */
  private readonly closes = new WeakMap<Redis, { count: number }>();

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly settings: ReplicationSettings,
    private readonly fenceTtlMs: number,
  ) {}

  /** Call before sending a commit script for `key`'s slot. */
  session(key: string): ReplicationSession {
    const node = this.nodeOf(key);
    return { node, generation: node ? this.closesOf(node).count : 0 };
  }

  /**
   * Resolves to true when enough replicas have everything the session's connection wrote up to
   * now (after writing `fenceKey` first when `fence` is set), to false when they did not
   * acknowledge in time, or the connection changed since the session began. Rejects when the node
   * cannot be reached.
   */
  async confirm(session: ReplicationSession, fenceKey: string, fence: boolean): Promise<boolean> {
    const node = this.nodeOf(fenceKey);
    if (!node || node !== session.node || node.status !== 'ready') return false;
    const closes = this.closesOf(node);
    if (closes.count !== session.generation) return false;
    const [, acknowledged] = await Promise.all([
      fence ? node.set(fenceKey, Date.now(), 'PX', this.fenceTtlMs) : undefined,
      node.wait(this.settings.replicas, this.settings.timeoutMs),
    ]);
    // Answered by the connection that ran the script, not by one opened since.
    return closes.count === session.generation && acknowledged >= this.settings.replicas;
  }

  private closesOf(node: Redis): { count: number } {
    let closes = this.closes.get(node);
    if (!closes) {
      const counter = { count: 0 };
      node.on('close', () => counter.count++);
      this.closes.set(node, counter);
      closes = counter;
    }
    return closes;
  }

  private nodeOf(key: string): Redis | undefined {
    if (!(this.redis as Cluster).isCluster) return this.redis as Redis;
    const cluster = this.redis as Cluster;
    const owner = cluster.slots[calculateSlot(key)]?.[0];
    return owner
      ? cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner)
      : undefined;
  }
}
