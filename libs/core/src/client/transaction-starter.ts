import { ValidationError } from '@statehouse/contract';
import type { RecordRepository } from '../storage/record.repository';
import { toStorageError } from '../storage/redis-errors';
import type { TransactionRepository } from '../storage/transaction.repository';
import type { TimeoutQueue } from '../timeouts/timeout.queue';
import { Transaction } from '../transaction/transaction';
import type { TransactionContext } from '../transaction/backends/transaction-backend';
import { newTransactionId, parseTransactionId, type TransactionId } from '../model/transaction-id';
import { WriteBuffer } from '../transaction/backends/write-buffer';
import { validateBoolean, validateInteger } from '@statehouse/contract';
import type { ResolvedOptions } from './statehouse.options';
import type { BeginOptions } from '@statehouse/contract';
import type { TransactionSlots } from './transaction-slots';

/** A slot outlives its transaction's deadline by this much before it is freed regardless. */
const SLOT_GRACE_MS = 1000;

/**
 * Begins transactions of every kind for a client: staged (in Redis, resumable; lazily at the first
 * operation; with a chosen id; detached), buffered and read-only (both in the client only), with
 * the client's backpressure slots.
 */
export class TransactionStarter {
  constructor(
    private readonly context: TransactionContext,
    private readonly options: ResolvedOptions,
    private readonly transactions: TransactionRepository,
    private readonly records: RecordRepository,
    private readonly queue: TimeoutQueue,
    private readonly slots: TransactionSlots,
  ) {}

  /** `args` validated as an object; `namespace` resolved. */
  async begin(args: BeginOptions, namespace: string): Promise<Transaction<string | null>> {
    const timeoutMs =
      args.timeoutMs === undefined
        ? this.options.defaultTimeoutMs
        : validateInteger(args.timeoutMs, 'timeoutMs', 1, this.options.maxTimeoutMs);
    // Every option is checked, whatever kind of transaction it asks for.
    const maxWaitMs =
      args.maxWaitMs === undefined
        ? this.options.maxWaitMs
        : validateInteger(args.maxWaitMs, 'maxWaitMs', 0, 600_000);
    const lazy = args.lazy === undefined ? false : validateBoolean(args.lazy, 'lazy');
    const buffered =
      args.buffered === undefined ? false : validateBoolean(args.buffered, 'buffered');
    const detached =
      args.detached === undefined ? false : validateBoolean(args.detached, 'detached');
    const pipelined =
      args.pipelined === undefined ? false : validateBoolean(args.pipelined, 'pipelined');
    const chosenId = args.id === undefined ? undefined : this.chosenId(args.id, args.namespace);
    if (args.readOnly !== undefined && validateBoolean(args.readOnly, 'readOnly')) {
      if (buffered) {
        throw new ValidationError(
          'buffered',
          'is for read-write transactions: a read-only transaction has no writes to buffer',
        );
      }
      if (chosenId) {
        throw new ValidationError(
          'id',
          'is for read-write transactions: a read-only one lives in its client',
        );
      }
      return this.beginReadOnly(namespace, timeoutMs, args.readTs);
    }
    if (args.readTs !== undefined) {
      throw new ValidationError('readTs', 'is for read-only transactions: pass readOnly: true too');
    }
    if (pipelined && (lazy || buffered || chosenId || detached)) {
      throw new ValidationError(
        'pipelined',
        'cannot be combined with lazy, buffered, id or detached (it begins with its first operation)',
      );
    }
    if (chosenId && (lazy || buffered)) {
      throw new ValidationError('id', 'cannot be combined with lazy or buffered');
    }
    if (detached && (lazy || buffered)) {
      throw new ValidationError('detached', 'cannot be combined with lazy or buffered');
    }
    const slot = this.slots.tryAcquire() ?? (await this.slots.acquire(maxWaitMs));
    const finished = (): void => slot.release();
    if (buffered) {
      // Nothing in Redis until the commit: the slot bounds this client's memory, not Redis'.
      slot.expire(Date.now() + timeoutMs + SLOT_GRACE_MS);
      return this.buffered(newTransactionId(namespace), timeoutMs, finished).tx;
    }
    if (pipelined) {
      const txId = newTransactionId(namespace);
      const begin = async (): Promise<void> => {
        // Its begin goes out with its stagings and commit: resent after a reconnect, it must find
        // the transaction as it is (committed, maybe), not create it again.
        await this.createTransaction(namespace, timeoutMs, txId, 'resent');
        slot.expire(Date.now() + timeoutMs + SLOT_GRACE_MS);
      };
      return new Transaction(this.context, txId, {
        onFinished: finished,
        countStagings: true,
        pipelinedBegin: begin,
      });
    }
    if (lazy) {
      const begin = async (): Promise<TransactionId> => {
        const txId = await this.createTransaction(namespace, timeoutMs);
        slot.expire(Date.now() + timeoutMs + SLOT_GRACE_MS);
        return txId;
      };
      return new Transaction(this.context, { namespace, begin }, { onFinished: finished });
    }
    let txId: TransactionId;
    try {
      txId = await this.createTransaction(chosenId?.namespace ?? namespace, timeoutMs, chosenId);
    } catch (error) {
      slot.release();
      throw error;
    }
    if (detached) {
      slot.release(); // finished elsewhere: this client does not count it as its own
      return new Transaction(this.context, txId);
    }
    // The slot is freed when the transaction ends here, or after its deadline at the latest.
    slot.expire(Date.now() + timeoutMs + SLOT_GRACE_MS);
    // Begun here (an existing transaction kept for a chosen id may hold stagings of others).
    return new Transaction(this.context, txId, {
      onFinished: finished,
      countStagings: chosenId === undefined,
    });
  }

  /**
   * A buffered transaction sent whole by another process (a server's network client): its id and
   * commit token are the sender's, so that sending it again returns the first commit's outcome.
   * Holds one of the client's slots until it ends.
   */
  async beginSent(
    args: { readonly id?: unknown; readonly namespace?: unknown; readonly timeoutMs?: unknown },
    namespace: string,
    commitToken: string | undefined,
  ): Promise<{ tx: Transaction; buffer: WriteBuffer }> {
    const { id, timeoutMs } = args;
    const txId = id === undefined ? newTransactionId(namespace) : this.chosenId(id, args.namespace);
    const timeout =
      timeoutMs === undefined
        ? this.options.defaultTimeoutMs
        : validateInteger(timeoutMs, 'timeoutMs', 1, this.options.maxTimeoutMs);
    const slot = this.slots.tryAcquire() ?? (await this.slots.acquire(this.options.maxWaitMs));
    slot.expire(Date.now() + timeout + SLOT_GRACE_MS);
    return this.buffered(txId, timeout, () => slot.release(), commitToken, id !== undefined);
  }

  private buffered(
    txId: TransactionId,
    timeoutMs: number,
    onFinished: () => void,
    commitToken?: string,
    chosenId = false,
  ): { tx: Transaction; buffer: WriteBuffer } {
    const buffer = new WriteBuffer(timeoutMs, {
      maxOperations: this.options.maxOperationsPerTransaction,
      maxBytes: this.options.maxTransactionBytes,
      retentionMs: this.options.finishedTransactionRetentionMs,
      chosenId,
    });
    const tx = new Transaction(this.context, txId, {
      onFinished,
      buffer,
      ...(commitToken === undefined ? {} : { commitToken }),
    });
    return { tx, buffer };
  }

  /**
   * Creates the transaction in Redis (or, with a chosen id, keeps it if it exists) and makes sure
   * the sweep that will time it out exists.
   */
  private async createTransaction(
    namespace: string,
    timeoutMs: number,
    chosenId?: TransactionId,
    keep: false | 'chosen' | 'resent' = chosenId === undefined ? false : 'chosen',
  ): Promise<TransactionId> {
    const txId = chosenId ?? newTransactionId(namespace);
    const { deadline, now } = await this.transactions.begin(txId, timeoutMs, keep);
    try {
      // The sweep exists before anyone can rely on the transaction.
      await this.queue.ensureSweep(namespace, deadline, now);
    } catch (error) {
      await this.transactions.abort(txId).catch(() => undefined);
      throw toStorageError(error, txId.id);
    }
    return txId;
  }

  /**
   * A read-only transaction: every read sees one snapshot, the namespace as of `readTs` (default:
   * its last commit now). It lives in the client only (nothing in Redis, nothing to resume) and
   * keeps its timeout on the client's clock.
   */
  private async beginReadOnly(
    namespace: string,
    timeoutMs: number,
    readTs: unknown,
  ): Promise<Transaction> {
    const last = await this.records.lastCommitTs(namespace);
    const snapshotTs = readTs === undefined ? last : validateInteger(readTs, 'readTs', 0);
    if (snapshotTs > last) {
      throw new ValidationError(
        'readTs',
        `must not be after the namespace's last commitTs (${last})`,
      );
    }
    return new Transaction(this.context, newTransactionId(namespace), {
      snapshot: { readTs: snapshotTs, deadline: Date.now() + timeoutMs },
    });
  }

  /** A caller-chosen transaction id for beginTransaction: `<namespace>~<uuid>`. */
  private chosenId(id: unknown, namespace: unknown): TransactionId {
    let txId: TransactionId;
    try {
      txId = parseTransactionId(id);
    } catch {
      throw new ValidationError('id', 'must be "<namespace>~<lowercase uuid>"');
    }
    if (namespace !== undefined && namespace !== txId.namespace) {
      throw new ValidationError('namespace', `must be the id's namespace (${txId.namespace})`);
    }
    return txId;
  }
}
