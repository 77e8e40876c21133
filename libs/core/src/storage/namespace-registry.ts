import type { Redis, Cluster } from 'ioredis';
import { namespaceRegistryKey } from './keys';
import { runCommand } from './redis-errors';

/**
 * The registry of namespaces (listNamespaces). A namespace's keys share one Cluster slot, and
 * the registry spans every namespace, so no commit script can write it. Instead each process
 * registers a namespace (an idempotent ZADD) before its first commit to it, and remembers that it
 * did: one round trip per namespace and process, none on later commits. A commit never reaches
 * Redis before its namespace is in the registry, so a namespace with data is always listed (one
 * whose only commit then failed is listed with no agents).
 */
export class NamespaceRegistry {
  private readonly known = new Set<string>();
  private readonly registering = new Map<string, Promise<void>>();
  private readonly key: string;

  constructor(
    private readonly redis: Redis | Cluster,
    prefix: string,
  ) {
    this.key = namespaceRegistryKey(prefix);
  }

  /** Undefined when the namespace is known to be registered; else a promise that registers it. */
  ensure(namespace: string): Promise<void> | undefined {
    if (this.known.has(namespace)) return undefined;
    let pending = this.registering.get(namespace);
    if (!pending) {
      pending = runCommand(undefined, () => this.redis.zadd(this.key, 0, namespace)).then(
        () => {
          this.known.add(namespace);
          this.registering.delete(namespace);
        },
        (error: unknown) => {
          this.registering.delete(namespace);
          throw error;
        },
      );
      this.registering.set(namespace, pending);
    }
    return pending;
  }

  /** Every registered namespace, in byte-wise order of its name. */
  async all(): Promise<string[]> {
    return runCommand(undefined, () => this.redis.zrange(this.key, '0', '-1'));
  }
}
