import type { Redis, Cluster } from 'ioredis';
import { namespaceOfTag, namespaceRegistryKey } from './keys';

/** Keys examined per SCAN call of the one-time discovery (SCAN's COUNT hint). */
const SCAN_COUNT = 1000;
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
    private readonly prefix: string,
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

  /**
   * The one-time upgrade step for namespaces written before the registry existed: finds every
   * namespace's commit counter (`<prefix>:{<tag>}:clock`) with SCAN, on every master of a
   * Cluster, and registers it. A SCAN walks the whole keyspace, a bounded number of keys per
   * call (Redis stays responsive): an operator's migration, run once, never a request's path.
   * Idempotent; returns how many namespaces it found.
   */
  async discover(): Promise<number> {
    const nodes = (this.redis as Cluster).isCluster
      ? (this.redis as Cluster).nodes('master')
      : [this.redis as Redis];
    const escaped = this.prefix.replace(/[*?[\]\\]/g, '\\$&');
    const clock = new RegExp(`^${escapeRegExp(this.prefix)}:\\{([^{}]+)\\}:clock$`);
    let found = 0;
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await runCommand(undefined, () =>
          node.scan(cursor, 'MATCH', `${escaped}:{*}:clock`, 'COUNT', SCAN_COUNT),
        );
        cursor = next;
        const names = keys.flatMap((key) => {
          const tag = clock.exec(key)?.[1];
          return tag === undefined ? [] : [namespaceOfTag(tag)];
        });
        if (names.length > 0) {
          await runCommand(undefined, () =>
            this.redis.zadd(this.key, ...names.flatMap((name) => ['0', name])),
          );
          found += names.length;
        }
      } while (cursor !== '0');
    }
    return found;
  }

  /** Every registered namespace, in byte-wise order of its name. */
  async all(): Promise<string[]> {
    return runCommand(undefined, () => this.redis.zrange(this.key, '0', '-1'));
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
