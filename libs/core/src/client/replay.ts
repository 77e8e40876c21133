import { VersionCompactedError } from '@statehouse/contract';
import type { LogSubscription } from '../follow/log-subscription';
import type { LoggedEvent, RecordRepository } from '../storage/record.repository';

export interface ReplayPlan {
  readonly namespace: string;
  readonly agentId: string;
  readonly startTs: number;
  readonly endTs: number;
  readonly follow: boolean;
  readonly pageSize: number;
  /** Start at the compaction horizon when startTs is below it (else VersionCompactedError). */
  readonly fromHorizon: boolean;
}

/** Subscribes to the live feed of the plan's namespace and agent (follow mode). */
export type Subscribe = (plan: ReplayPlan) => Promise<LogSubscription>;

/**
 * An agent's history in commit order, read page by page so memory stays bounded however long the
 * history. With `follow`, continues with live commits from the client's shared log reader.
 *
 * No gap, no duplicate: a subscription starts by asking for a catch-up, a page read of the index
 * from the next commitTs wanted, made after the subscription took its place in the feed (the index
 * then covers everything the feed has passed); feed events below the next commitTs wanted are
 * skipped. A follower too slow for its bounded queue is asked to catch up the same way.
 *
 * `signal` ends the replay at once, also while it waits for a commit: the subscription is left.
 */
export async function* replayEvents(
  repository: RecordRepository,
  plan: ReplayPlan,
  subscribe: Subscribe,
  signal: AbortSignal,
): AsyncGenerator<LoggedEvent, void, undefined> {
  let nextTs = plan.startTs;
  // With fromHorizon, a start below the horizon moves up to it, and the first event says so.
  let horizon: number | undefined;
  const started = (compactedTs: number): void => {
    horizon = compactedTs;
  };
  for await (const event of history(repository, plan, nextTs, started)) {
    if (signal.aborted) return;
    // A commit whose log entry was removed (compacted history) has no txId: nothing to deliver.
    if (event.txId !== '') {
      if (horizon !== undefined) {
        yield { ...event, horizon };
        horizon = undefined;
      } else yield event;
    }
    nextTs = event.commitTs + 1;
  }
  if (!plan.follow || nextTs > plan.endTs || signal.aborted) return;

  const subscription = await subscribe(plan);
  const leave = (): void => subscription.close();
  signal.addEventListener('abort', leave, { once: true });
  try {
    if (signal.aborted) return;
    for (;;) {
      const item = await subscription.next();
      if (item.kind === 'closed') return;
      if (item.kind === 'catchUp') {
        for await (const event of history(repository, plan, nextTs)) {
          if (subscription.isClosed) return;
          if (event.txId !== '') yield event;
          nextTs = event.commitTs + 1;
        }
      } else if (item.event.commitTs >= nextTs) {
        if (item.event.commitTs > plan.endTs) return;
        yield item.event;
        nextTs = item.event.commitTs + 1;
      }
      if (nextTs > plan.endTs) return;
    }
  } finally {
    signal.removeEventListener('abort', leave);
    subscription.close();
  }
}

/**
 * The agent's logged events from `fromTs` to the plan's endTs, a page at a time. A page below the
 * compaction horizon throws VersionCompactedError (no gap is ever delivered); with the plan's
 * fromHorizon, the first page starts at the horizon instead and `started` is told it.
 */
async function* history(
  repository: RecordRepository,
  plan: ReplayPlan,
  fromTs: number,
  started?: (compactedTs: number) => void,
): AsyncGenerator<LoggedEvent, void, undefined> {
  const fetch = (from: number) =>
    repository.replayPage(plan.namespace, plan.agentId, from, plan.endTs, plan.pageSize);
  const first = (from: number): Promise<LoggedEvent[]> =>
    fetch(from).catch((error: unknown) => {
      const horizon = error instanceof VersionCompactedError ? error.compactedTs : null;
      if (!started || !plan.fromHorizon || horizon === null || horizon <= from) throw error;
      started(horizon);
      return first(horizon); // the horizon may have moved again meanwhile
    });
  // The next page is read while this one is delivered: Redis and the consumer work side by side,
  // and memory holds at most two pages.
  let pending: Promise<LoggedEvent[]> | undefined = first(fromTs);
  while (pending) {
    const page: LoggedEvent[] = await pending;
    pending = undefined;
    if (page.length === plan.pageSize) {
      pending = fetch(page[page.length - 1]!.commitTs + 1);
      pending.catch(() => undefined); // awaited on the next turn; never unhandled meanwhile
    }
    yield* page;
  }
}
