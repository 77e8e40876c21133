import type { Redis, Cluster } from 'ioredis';
import type { NamespaceKeys } from '../storage/keys';
import { LogReader } from './log-reader';
import { LogSubscription } from './log-subscription';

export interface LiveLogOptions {
  /** The client's ordinary connection. */
  readonly redis: Redis | Cluster;
  readonly keys: (namespace: string) => NamespaceKeys;
  /** A dedicated connection for blocking reads, and how to drop one. */
  readonly open: () => Redis | Cluster;
  readonly drop: (connection: Redis | Cluster) => void;
  /** Events a follower may have queued before it must catch up from the index instead. */
  readonly maxQueued: number;
  /** Where the readers' own failures go (those no follower is told of). */
  readonly onError: (error: Error) => void;
}

/**
 * The live feed of follow-mode replays: however many followers a client has, it reads the logs
 * with one blocking connection (one Redis: a single XREAD covers every followed namespace), or
 * one per followed namespace on a Redis Cluster (a namespace is a slot, and one XREAD cannot span
 * slots). Each follower gets only its agent's events, in commit order, through a bounded queue.
 */
export class LiveLog {
  private readonly readers = new Map<string, LogReader>();
  private open = 0;
  private closed = false;

  constructor(private readonly options: LiveLogOptions) {}

  /** Followers subscribed right now (for metrics and tests). */
  get followers(): number {
    return this.open;
  }

  /**
   * Subscribes a follower of `agentId` to the namespace's new commits. Its first item is
   * `catchUp`: events committed before the reader's position are in the index, not in the feed.
   */
  async subscribe(namespace: string, agentId: string, endTs: number): Promise<LogSubscription> {
    if (this.closed) {
      // The client closed while this replay read its history: it ends (no new connection).
      const ended = new LogSubscription(namespace, agentId, endTs, 1, () => undefined);
      ended.close();
      return ended;
    }
    const cluster = (this.options.redis as Cluster).isCluster === true;
    const group = cluster ? namespace : '';
    let reader = this.readers.get(group);
    if (!reader) {
      reader = new LogReader({
        main: this.options.redis,
        logKey: (ns) => this.options.keys(ns).log,
        clockKey: (ns) => this.options.keys(ns).clock,
        open: this.options.open,
        drop: this.options.drop,
        count: this.options.maxQueued,
        multiple: !cluster,
        onError: this.options.onError,
      });
      this.readers.set(group, reader);
    }
    const owner = reader;
    this.open++;
    const subscription = new LogSubscription(
      namespace,
      agentId,
      endTs,
      this.options.maxQueued,
      (left) => {
        this.open--;
        owner.remove(left);
        if (owner.idle && this.readers.get(group) === owner) this.readers.delete(group);
      },
    );
    try {
      await owner.add(subscription, endTs);
    } catch (error) {
      subscription.close();
      throw error;
    }
    return subscription;
  }

  /** Ends every follower and closes the readers' connections. */
  close(): void {
    this.closed = true;
    for (const reader of this.readers.values()) reader.close();
    this.readers.clear();
  }
}
