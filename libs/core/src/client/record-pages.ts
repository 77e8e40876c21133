import {
  encodeCursor,
  validateInteger,
  type CommittedRecord,
  type Page,
} from '@statehouse/contract';
import type { StateEntry } from '@statehouse/contract';
import type { RecordRepository } from '../storage/record.repository';

/** A validated page of a listing, with its namespace resolved. */
export type NamespacedPage = Page & { readonly namespace: string };

/**
 * Pages of an agent's committed records, as the client's listings answer them: live keys, live
 * records with values, either as of a past commitTs, and the page a buffered transaction of
 * another process lists with (the records and the agent's membership count).
 */
export class RecordPages {
  constructor(private readonly records: RecordRepository) {}

  /** Live keys in UTF-8 byte order; `cursor` null on the last page. With `atTs`, as of then. */
  async keys(
    page: NamespacedPage,
    atTs: unknown,
  ): Promise<{ keys: string[]; cursor: string | null }> {
    if (atTs !== undefined) {
      const { entries, cursor } = await this.asOf(page, '', atTs, false);
      return { keys: entries.map((entry) => entry.key), cursor };
    }
    const keys = await this.records.listKeys(
      page.namespace,
      page.agentId,
      '',
      page.after,
      page.limit + 1,
    );
    const more = keys.length > page.limit;
    if (more) keys.length = page.limit;
    return { keys, cursor: more ? encodeCursor(keys[keys.length - 1]!) : null };
  }

  /** Live records whose key starts with `prefix`, with values. With `atTs`, as of then. */
  async scan(
    page: NamespacedPage,
    prefix: string,
    atTs: unknown,
  ): Promise<{ entries: StateEntry[]; cursor: string | null }> {
    if (atTs !== undefined) return this.asOf(page, prefix, atTs, true);
    const rows = await this.records.scanPrefix(
      page.namespace,
      page.agentId,
      prefix,
      page.after,
      page.limit + 1,
    );
    const more = rows.length > page.limit;
    if (more) rows.length = page.limit;
    const entries = rows.map(entry);
    return { entries, cursor: more ? encodeCursor(entries[entries.length - 1]!.key) : null };
  }

  /**
   * Up to `limit + 1` committed records (one more says that more follow) and the agent's
   * membership count, read in one snapshot: what a buffered transaction elsewhere merges its own
   * operations into (`mergeListing`), sending the count with its commit (no phantoms).
   */
  forTransaction(
    page: NamespacedPage,
    prefix: string,
    withValues: boolean,
  ): Promise<{
    committed: Array<{ key: string; stored: CommittedRecord | null }>;
    membership: number;
  }> {
    return this.records.listWithMembership(
      page.namespace,
      page.agentId,
      prefix,
      page.after,
      page.limit + 1,
      withValues,
    );
  }

  /** A listing as of `atTs` (a page may hold fewer than `limit` entries: continue while `cursor`). */
  private async asOf(
    page: NamespacedPage,
    prefix: string,
    atTs: unknown,
    withValues: boolean,
  ): Promise<{ entries: StateEntry[]; cursor: string | null }> {
    const { entries, next } = await this.records.listAsOf(
      page.namespace,
      page.agentId,
      prefix,
      page.after,
      validateInteger(atTs, 'atTs', 0),
      page.limit,
      withValues,
    );
    return { entries: entries.map(entry), cursor: next === null ? null : encodeCursor(next) };
  }
}

function entry(record: {
  key: string;
  value: StateEntry['value'] | null;
  version: number;
  commitTs: number;
}): StateEntry {
  return {
    key: record.key,
    value: record.value ?? {},
    version: record.version,
    commitTs: record.commitTs,
  };
}
