// LangGraph's long-term memory store on any StatehouseApi. Layout: store-keys.ts. No vector
// search: an `index` configuration is refused (VectorSearchUnsupportedError).
import {
  BaseStore,
  type GetOperation,
  type Item,
  type ListNamespacesOperation,
  type MatchCondition,
  type Operation,
  type OperationResults,
  type PutOperation,
  type SearchItem,
  type SearchOperation,
} from '@langchain/langgraph-checkpoint';
import { serializeValue, validateNamespace, type StatehouseApi } from '@statehouse/contract';
import { listAllKeys, scanAll } from '../encoding/pages';
import { VectorSearchUnsupportedError } from '../errors/vector-search-unsupported.error';
import { matchesFilter } from './store-filter';
import { STORE_AGENT, itemKey, namespacePrefix, parseItemKey, type StoredItem } from './store-keys';
import { validateLabels, validateOperation } from './store-validation';

export interface StatehouseStoreOptions {
  /** The Statehouse namespace of the store's items. Default: the client's. */
  readonly namespace?: string;
  /** Refused: StatehouseStore has no vector search (no embeddings). */
  readonly index?: never;
}

const DEFAULT_SEARCH_LIMIT = 10;

export class StatehouseStore extends BaseStore {
  /** The Statehouse namespace this store writes to. */
  readonly namespace: string;

  constructor(
    private readonly client: StatehouseApi,
    options: StatehouseStoreOptions = {},
  ) {
    super();
    if ((options as { index?: unknown }).index !== undefined) {
      throw new VectorSearchUnsupportedError('options.index');
    }
    this.namespace = validateNamespace(options.namespace ?? client.namespace, 'options.namespace');
  }

  /**
   * Runs the operations: every one is checked first (one bad operation fails the batch with
   * nothing applied); reads see the store as it was before the batch, as in InMemoryStore; the
   * puts and deletes then commit together, in one Statehouse transaction (the last operation on
   * an item wins).
   */
  async batch<Op extends Operation[]>(operations: Op): Promise<OperationResults<Op>> {
    operations.forEach(validateOperation);
    const puts = new Map<string, PutOperation>();
    operations.forEach((op, i) => {
      if ('value' in op && 'key' in op) {
        if (op.value !== null) serializeValue(op.value, Infinity, `operations[${i}].value`);
        puts.set(itemKey(op.namespace, op.key, `operations[${i}].key`), op);
      }
    });
    const results = await Promise.all(operations.map((op) => this.read(op)));
    if (puts.size > 0) await this.applyPuts(puts);
    return results as OperationResults<Op>;
  }

  // The public methods check their arguments with our rules first, so a bad namespace is a
  // ValidationError naming it (BaseStore's own check would throw LangGraph's InvalidNamespaceError).

  override async get(namespace: string[], key: string): Promise<Item | null> {
    validateLabels(namespace, 'namespace', { allowReservedRoot: true });
    return super.get(namespace, key);
  }

  override async search(
    prefix: string[],
    options?: Parameters<BaseStore['search']>[1],
  ): Promise<SearchItem[]> {
    validateLabels(prefix, 'namespacePrefix', { allowEmpty: true, allowReservedRoot: true });
    return super.search(prefix, options);
  }

  override async put(
    namespace: string[],
    key: string,
    value: Record<string, unknown>,
    index?: false | string[],
  ): Promise<void> {
    validateLabels(namespace, 'namespace');
    if (Array.isArray(index)) throw new VectorSearchUnsupportedError('index');
    return super.put(namespace, key, value, index);
  }

  override async delete(namespace: string[], key: string): Promise<void> {
    validateLabels(namespace, 'namespace', { allowReservedRoot: true });
    return super.delete(namespace, key);
  }

  override async listNamespaces(
    options: Parameters<BaseStore['listNamespaces']>[0] = {},
  ): Promise<string[][]> {
    const wildcards = (path?: string[]) => path?.map((label) => (label === '*' ? 'x' : label));
    const rules = { allowEmpty: true, allowReservedRoot: true };
    if (options.prefix) validateLabels(wildcards(options.prefix), 'prefix', rules);
    if (options.suffix) validateLabels(wildcards(options.suffix), 'suffix', rules);
    return super.listNamespaces(options);
  }

  private read(op: Operation): Promise<unknown> {
    if ('namespacePrefix' in op) return this.searchItems(op);
    if ('value' in op) return Promise.resolve(null);
    if ('key' in op) return this.getItem(op);
    return this.namespaces(op);
  }

  private async getItem(op: GetOperation): Promise<Item | null> {
    const key = itemKey(op.namespace, op.key, 'key');
    const state = await this.client.getState({
      namespace: this.namespace,
      agentId: STORE_AGENT,
      key,
    });
    return state.exists ? toItem(key, state.value as unknown as StoredItem) : null;
  }

  private async searchItems(op: SearchOperation): Promise<SearchItem[]> {
    const offset = op.offset ?? 0;
    const limit = op.limit ?? DEFAULT_SEARCH_LIMIT;
    const found: SearchItem[] = [];
    if (limit === 0) return found;
    let skipped = 0;
    const entries = scanAll(this.client, {
      namespace: this.namespace,
      agentId: STORE_AGENT,
      prefix: namespacePrefix(op.namespacePrefix),
    });
    for await (const entry of entries) {
      const stored = entry.value as unknown as StoredItem;
      if (!matchesFilter(stored.value, op.filter)) continue;
      if (skipped < offset) {
        skipped += 1;
        continue;
      }
      found.push({ ...toItem(entry.key, stored), score: undefined });
      if (found.length >= limit) break;
    }
    return found;
  }

  /** Every namespace holding an item (keys only are read), filtered, truncated, paginated. */
  private async namespaces(op: ListNamespacesOperation): Promise<string[][]> {
    const seen = new Map<string, string[]>();
    for await (const key of listAllKeys(this.client, {
      namespace: this.namespace,
      agentId: STORE_AGENT,
    })) {
      let labels = parseItemKey(key).namespace;
      if (!(op.matchConditions ?? []).every((condition) => matches(condition, labels))) continue;
      if (op.maxDepth !== undefined) labels = labels.slice(0, op.maxDepth);
      seen.set(JSON.stringify(labels), labels);
    }
    const sorted = [...seen.values()].sort((a, b) => a.join(':').localeCompare(b.join(':')));
    const offset = op.offset ?? 0;
    return sorted.slice(offset, offset + (op.limit ?? sorted.length));
  }

  private async applyPuts(puts: ReadonlyMap<string, PutOperation>): Promise<void> {
    const now = new Date().toISOString();
    await this.client.transaction(
      async (tx) => {
        const existing = await Promise.all(
          [...puts.keys()].map((key) => tx.get({ agentId: STORE_AGENT, key })),
        );
        for (const [i, [key, op]] of [...puts.entries()].entries()) {
          const before = existing[i]!;
          if (op.value === null) {
            if (before.exists) await tx.delete({ agentId: STORE_AGENT, key });
            continue;
          }
          const createdAt = before.exists ? (before.value as unknown as StoredItem).createdAt : now;
          const item: StoredItem = { value: op.value, createdAt, updatedAt: now };
          await tx.write({ agentId: STORE_AGENT, key, value: item });
        }
      },
      { namespace: this.namespace, buffered: true },
    );
  }
}

function toItem(recordKey: string, stored: StoredItem): Item {
  const { namespace, key } = parseItemKey(recordKey);
  return {
    namespace,
    key,
    value: stored.value,
    createdAt: new Date(stored.createdAt),
    updatedAt: new Date(stored.updatedAt),
  };
}

/** A prefix or suffix condition, '*' matching any one label (as InMemoryStore). */
function matches(condition: MatchCondition, labels: readonly string[]): boolean {
  const { path } = condition;
  if (path.length > labels.length) return false;
  const start = condition.matchType === 'prefix' ? 0 : labels.length - path.length;
  return path.every((label, i) => label === '*' || label === labels[start + i]);
}
