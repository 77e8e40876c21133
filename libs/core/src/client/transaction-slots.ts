import { LimitExceededError } from '@statehouse/contract';

/** A taken slot: `expire(at)` sets when it frees itself at the latest; `release()` frees it now. */
export interface Slot {
  expire(at: number): void;
  release(): void;
}

/** While someone waits, expired slots are looked for this often. */
const RECLAIM_INTERVAL_MS = 100;

/**
 * Backpressure, like Prisma's `maxWait`: at most `capacity` transactions begun by one client are
 * open at once; `acquire` waits (first come, first served) up to `maxWaitMs` for a free slot.
 * A slot is freed when its transaction ends through the client, or once past its expiry (the
 * transaction's deadline: it was finished elsewhere, or timed out), so slots never leak. Expired
 * slots are reclaimed only when the slots run out: no timer per transaction.
 */
export class TransactionSlots {
  private readonly taken = new Map<Slot, number>();
  private readonly waiting: Array<{ grant: () => void }> = [];
  private reclaimTimer: NodeJS.Timeout | undefined;

  constructor(readonly capacity: number) {}

  get inUse(): number {
    return this.taken.size;
  }

  /** A free slot at once, or undefined when none is free. */
  tryAcquire(): Slot | undefined {
    if (this.waiting.length > 0) return undefined;
    if (this.taken.size >= this.capacity) this.reclaimExpired();
    return this.taken.size < this.capacity ? this.take() : undefined;
  }

  /** Resolves with a slot, waiting up to `maxWaitMs`. */
  async acquire(maxWaitMs: number): Promise<Slot> {
    const free = this.tryAcquire();
    if (free) return free;
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => {
          clearTimeout(timer);
          resolve(this.take());
        },
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        reject(
          new LimitExceededError(
            'maxOpenTransactions',
            this.capacity,
            undefined,
            `no transaction slot became free within ${maxWaitMs} ms (maxWaitMs); commit or abort ` +
              'open transactions sooner, or raise maxOpenTransactions',
          ),
        );
      }, maxWaitMs);
      this.waiting.push(entry);
      this.reclaimTimer ??= setInterval(() => this.reclaimExpired(), RECLAIM_INTERVAL_MS).unref();
    });
  }

  private take(): Slot {
    const slot: Slot = {
      expire: (at) => {
        if (this.taken.has(slot)) this.taken.set(slot, at);
      },
      release: () => {
        if (!this.taken.delete(slot)) return;
        this.waiting.shift()?.grant();
        if (this.waiting.length === 0 && this.reclaimTimer) {
          clearInterval(this.reclaimTimer);
          this.reclaimTimer = undefined;
        }
      },
    };
    this.taken.set(slot, Number.POSITIVE_INFINITY);
    return slot;
  }

  private reclaimExpired(): void {
    const now = Date.now();
    for (const [slot, expiresAt] of this.taken) if (expiresAt <= now) slot.release();
  }
}
