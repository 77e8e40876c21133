import type { JsonObject } from '../validation/validate';
import { encodeCursor } from './cursor';

/** A committed record as a listing page holds it (null: not read, as in a listing of keys). */
export interface CommittedRecord {
  readonly version: number;
  readonly commitTs: number;
  readonly value: JsonObject | null;
}

/** A live record as a transaction sees it: committed, or replaced by its own staged write. */
export interface TransactionStateEntry {
  readonly key: string;
  readonly value: JsonObject;
  /** Version and commitTs of the committed record (0 for a record this transaction creates). */
  readonly version: number;
  readonly commitTs: number;
  /** True when the value is this transaction's own staged write. */
  readonly staged: boolean;
}

const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * Merges a committed page (fetched with one entry more than `limit`, to know whether more follow)
 * with the transaction's staged operations on the agent: staged writes add or replace records,
 * staged deletes hide them. Only staged keys up to the last committed key fetched are certain to
 * belong to this page; the rest come on later pages. A page may hold fewer than `limit` entries
 * (staged deletes); continue while `cursor` is not null.
 */
export function mergeListing(
  committed: ReadonlyArray<{ key: string; stored: CommittedRecord | null }>,
  staged: ReadonlyMap<string, JsonObject | null>,
  prefix: string,
  after: string | undefined,
  limit: number,
): { entries: TransactionStateEntry[]; cursor: string | null } {
  const truncated = committed.length > limit;
  const bound = truncated ? committed[committed.length - 1]!.key : undefined;
  const merged = new Map<string, TransactionStateEntry>();
  for (const { key, stored } of committed) {
    merged.set(key, {
      key,
      value: stored?.value ?? {},
      version: stored?.version ?? 0,
      commitTs: stored?.commitTs ?? 0,
      staged: false,
    });
  }
  for (const [key, value] of staged) {
    if (!key.startsWith(prefix)) continue;
    if (after !== undefined && byteOrder(key, after) <= 0) continue;
    if (bound !== undefined && byteOrder(key, bound) > 0) continue;
    const base = merged.get(key);
    if (value === null) merged.delete(key);
    else
      merged.set(key, {
        key,
        value,
        version: base?.version ?? 0,
        commitTs: base?.commitTs ?? 0,
        staged: true,
      });
  }
  const sorted = [...merged.values()].sort((a, b) => byteOrder(a.key, b.key));
  if (sorted.length > limit) {
    const entries = sorted.slice(0, limit);
    return { entries, cursor: encodeCursor(entries[entries.length - 1]!.key) };
  }
  return { entries: sorted, cursor: bound === undefined ? null : encodeCursor(bound) };
}
