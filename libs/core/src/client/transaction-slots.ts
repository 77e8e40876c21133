import { LimitExceededError } from '../errors';

/**
 * Backpressure, like Prisma's `maxWait`: at most `capacity` transactions begun by one client are
 * open at once; `acquire` waits (first come, first served) up to `maxWaitMs` for a free slot.
 * A slot is freed when its transaction ends through the client, or at its deadline at the latest
 * (when it was finished elsewhere, or timed out), so slots never leak.
 */
export class TransactionSlots {
  private open = 0;
  private readonly waiting: Array<{ grant: () => void }> = [];

  constructor(readonly capacity: number) {}

  get inUse(): number {
    return this.open;
  }

  /** A free slot's release function (idempotent) at once, or undefined when none is free. */
  tryAcquire(): (() => void) | undefined {
    return this.open < this.capacity && this.waiting.length === 0 ? this.take() : undefined;
  }

  /** Resolves with a slot's release function (idempotent), waiting up to `maxWaitMs`. */
  async acquire(maxWaitMs: number): Promise<() => void> {
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
    });
  }

  private take(): () => void {
    this.open++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open--;
      this.waiting.shift()?.grant();
    };
  }
}
