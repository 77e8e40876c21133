import type { Redis, Cluster } from 'ioredis';
import type { LoggedEvent, RecordRepository } from '../storage/record.repository';

export interface ReplayPlan {
  readonly namespace: string;
  readonly agentId: string;
  readonly startTs: number;
  readonly endTs: number;
  readonly follow: boolean;
  readonly pageSize: number;
}

export interface ReplayHooks {
  /** A dedicated connection for blocking reads (follow mode); the caller closes it. */
  openBlockingConnection(): Redis | Cluster;
  releaseBlockingConnection(connection: Redis | Cluster): void;
  isClosed(): boolean;
}

/** How long one blocking read waits before checking whether the client was closed. */
const FOLLOW_BLOCK_MS = 1000;

/**
 * An agent's history in commit order, read page by page so memory stays bounded however long the
 * history. With `follow`, continues with live commits read from the namespace's log, starting
 * right after the last event of the history: commit and index are one atomic script, so there is
 * neither a gap nor a duplicate at the switch.
 */
export async function* replayEvents(
  repository: RecordRepository,
  plan: ReplayPlan,
  hooks: ReplayHooks,
): AsyncGenerator<LoggedEvent, void, undefined> {
  let nextTs = plan.startTs;
  const fetch = (from: number) =>
    repository.replayPage(plan.namespace, plan.agentId, from, plan.endTs, plan.pageSize);
  // The next page is read while this one is delivered: Redis and the consumer work side by side,
  // and memory holds at most two pages.
  let pending: Promise<LoggedEvent[]> | undefined = fetch(nextTs);
  while (pending) {
    const page: LoggedEvent[] = await pending;
    pending = undefined;
    if (page.length === plan.pageSize) {
      pending = fetch(page[page.length - 1]!.commitTs + 1);
      pending.catch(() => undefined); // awaited on the next turn; never unhandled meanwhile
    }
    for (const event of page) {
      // A commit whose log entry was removed (compacted history) has no txId: nothing to deliver.
      if (event.txId !== '') yield event;
      nextTs = event.commitTs + 1;
    }
  }
  if (!plan.follow || nextTs > plan.endTs) return;

  const connection = hooks.openBlockingConnection();
  try {
    let afterTs = nextTs - 1;
    while (!hooks.isClosed()) {
      let batch: { events: LoggedEvent[]; lastTs: number };
      try {
        batch = await repository.readLogAfter(
          connection,
          plan.namespace,
          plan.agentId,
          afterTs,
          FOLLOW_BLOCK_MS,
          plan.pageSize,
        );
      } catch (error) {
        if (hooks.isClosed()) return;
        throw error;
      }
      for (const event of batch.events) {
        if (event.commitTs > plan.endTs) return;
        yield event;
      }
      if (batch.lastTs >= plan.endTs) return;
      afterTs = batch.lastTs;
    }
  } finally {
    hooks.releaseBlockingConnection(connection);
  }
}
