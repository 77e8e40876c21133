import { encodeCursor } from '../validation/cursor';
import type { RecordRepository } from '../storage/record.repository';
import { mergeListing, type TransactionStateEntry } from './transaction-listing';
import type { TransactionReadResult } from '@statehouse/contract';
import type { ReadOnlySnapshot } from './transaction.types';
import type { WriteBuffer } from './write-buffer';

/**
 * Reads of the transactions that live in their client only: read-only ones (everything as of one
 * commitTs) and buffered ones (committed records, remembered as commit conditions, merged with the
 * buffer's own operations).
 */
export interface ClientSideReads {
  readonly records: RecordRepository;
  readonly namespace: string;
}

export interface ListPage {
  readonly agentId: string;
  readonly prefix: string;
  readonly after: string | undefined;
  readonly limit: number;
  readonly withValues: boolean;
}

type Listing = { entries: TransactionStateEntry[]; cursor: string | null };

export async function readAsOf(
  { records, namespace }: ClientSideReads,
  snapshot: ReadOnlySnapshot,
  agentId: string,
  key: string,
): Promise<TransactionReadResult> {
  const record = await records.getStateAsOf(namespace, agentId, key, snapshot.readTs);
  return {
    exists: record?.value != null,
    value: record?.value ?? null,
    version: record?.version ?? 0,
    commitTs: record?.commitTs ?? 0,
    staged: false,
  };
}

export async function listAsOf(
  { records, namespace }: ClientSideReads,
  snapshot: ReadOnlySnapshot,
  { agentId, prefix, after, limit, withValues }: ListPage,
): Promise<Listing> {
  const page = await records.listAsOf(
    namespace,
    agentId,
    prefix,
    after,
    snapshot.readTs,
    limit,
    withValues,
  );
  return {
    entries: page.entries.map((entry) => ({ ...entry, value: entry.value ?? {}, staged: false })),
    cursor: page.next === null ? null : encodeCursor(page.next),
  };
}

/** Its own operation, else the committed record, whose version the commit then checks. */
export async function readBuffered(
  { records, namespace }: ClientSideReads,
  buffer: WriteBuffer,
  agentId: string,
  key: string,
): Promise<TransactionReadResult> {
  const committed = await records.getState(namespace, agentId, key);
  const staged = buffer.staged(agentId, key);
  if (staged === undefined) buffer.read(agentId, key, committed?.version ?? 0);
  const value = staged === undefined ? (committed?.value ?? null) : staged;
  return {
    exists: value !== null,
    value,
    version: committed?.version ?? 0,
    commitTs: committed?.commitTs ?? 0,
    staged: staged !== undefined,
  };
}

/** A committed page merged with the buffer; the listing (and each value read) becomes a condition. */
export async function listBuffered(
  { records, namespace }: ClientSideReads,
  buffer: WriteBuffer,
  { agentId, prefix, after, limit, withValues }: ListPage,
): Promise<Listing> {
  const page = await records.listWithMembership(
    namespace,
    agentId,
    prefix,
    after,
    limit + 1,
    withValues,
  );
  buffer.listed(agentId, page.membership);
  for (const { key, stored } of page.committed) {
    if (withValues && stored) buffer.read(agentId, key, stored.version);
  }
  return mergeListing(page.committed, buffer.stagedOf(agentId), prefix, after, limit);
}
