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

  /** Resolves with the slot's release function (idempotent). */
  async acquire(maxWaitMs: number): Promise<() => void> {
    if (this.open < this.capacity && this.waiting.length === 0) return this.take();
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
