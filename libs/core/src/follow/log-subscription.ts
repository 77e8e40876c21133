import type { LoggedEvent } from '../storage/record.repository';

/** What a follower gets next from its subscription. */
export type LiveItem =
  | { readonly kind: 'event'; readonly event: LoggedEvent }
  /** Events were not kept (at the start, or the queue overflowed): page from the index instead. */
  | { readonly kind: 'catchUp' }
  | { readonly kind: 'closed' };

/**
 * One follower's place in a shared log reader: the agent's live events, queued until the follower
 * takes them. The queue is bounded: a follower too slow to keep up loses its queue and is told to
 * catch up by paging the history index from its last commitTs (which holds every commit), so a slow
 * follower costs at most `maxQueued` events of memory and never misses one.
 */
export class LogSubscription {
  private queue: LoggedEvent[] = [];
  /** True at the start (the reader's position may be ahead of the history read) and after an overflow. */
  private lagging = true;
  private failure: Error | undefined;
  private closed = false;
  /** The log passed endTs: deliver what is queued, then end. */
  private finishing = false;
  private wake: (() => void) | undefined;

  constructor(
    readonly namespace: string,
    readonly agentId: string,
    /** The follower's last commitTs (Number.MAX_SAFE_INTEGER: none). */
    readonly endTs: number,
    private readonly maxQueued: number,
    private readonly onClose: (subscription: LogSubscription) => void,
  ) {}

  /** A live event of the agent, from the shared reader. */
  push(event: LoggedEvent): void {
    if (this.closed) return;
    if (this.queue.length >= this.maxQueued) {
      this.queue = [];
      this.lagging = true;
    } else {
      this.queue.push(event);
    }
    this.notify();
  }

  /** The shared reader failed: the follower's next read throws this. */
  fail(error: Error): void {
    this.failure ??= error;
    this.notify();
  }

  /** Waits for the next item; `catchUp` drops what was queued (the caller pages from the index). */
  async next(): Promise<LiveItem> {
    for (;;) {
      if (this.closed) return { kind: 'closed' };
      if (this.failure) throw this.failure;
      if (this.lagging) {
        this.lagging = false;
        this.queue = [];
        return { kind: 'catchUp' };
      }
      const event = this.queue.shift();
      if (event) return { kind: 'event', event };
      if (this.finishing) {
        this.close();
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** The namespace's log has passed endTs: nothing more can come for this follower. */
  finish(): void {
    this.finishing = true;
    this.notify();
  }

  /** Leaves the reader at once (idempotent); a pending next() returns `closed`. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.notify();
    this.onClose(this);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
