/**
 * Group calls: items submitted in the same turn of the event loop go to Redis in one script call
 * (like a database's group commit). A lone caller waits for nothing extra: the flush runs on
 * `setImmediate`, right after the current I/O callbacks.
 */
export class Batcher<I, O> {
  private pending: Array<{
    item: I;
    resolve: (value: O) => void;
    reject: (error: unknown) => void;
  }> = [];
  private scheduled = false;

  constructor(
    /** Runs one batch; returns one outcome per item, in order (an Error outcome rejects that item). */
    private readonly run: (items: I[]) => Promise<Array<O | Error>>,
    private readonly maxBatch: number,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = this.pending;
    this.pending = [];
    for (let start = 0; start < all.length; start += this.maxBatch) {
      const batch = all.slice(start, start + this.maxBatch);
      this.run(batch.map((entry) => entry.item)).then(
        (outcomes) =>
          batch.forEach((entry, i) => {
            const outcome = outcomes[i];
            if (outcome instanceof Error) entry.reject(outcome);
            else entry.resolve(outcome as O);
          }),
        (error: unknown) => batch.forEach((entry) => entry.reject(error)),
      );
    }
  }
}
