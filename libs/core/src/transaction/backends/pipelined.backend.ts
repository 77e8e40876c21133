import {
  CommitUnknownError,
  StorageUnavailableError,
  type TransactionReadResult,
} from '@statehouse/contract';
import type { TransactionState } from '../../model/transaction.machine';
import type { TransactionId } from '../../model/transaction-id';
import type { CommitResult, TransactionRepository } from '../../storage/transaction.repository';
import { StagedBackend } from './staged.backend';
import {
  learnFrom,
  type LearnState,
  type ListPage,
  type Listing,
  type TransactionBackend,
} from './transaction-backend';

/**
 * A staged transaction whose begin and writes are sent without waiting for Redis
 * (`beginTransaction({ pipelined: true })`): its id is chosen here, its begin goes out with its
 * first operation, and a write returns once it is sent. The begin and the stagings of one turn of
 * the event loop reach Redis together (one AOF fsync under `appendfsync always`), so a
 * transaction that stays in this process costs about two durable round trips (its stagings, its
 * commit) instead of one per operation.
 *
 * Anything that needs Redis' answer (a read, a listing, `flush()`, the commit) first waits for
 * every operation sent. A refused one (a timeout, a limit, a quota) is thrown there: the
 * transaction is then aborted in Redis, nothing of it is applied, and every later operation says
 * so. The transaction lives in Redis like any staged one (server-side timeout, describable,
 * resumable), but another process sees its writes only once they arrived: hand its id over after
 * `await tx.flush()`.
 */
export class PipelinedBackend implements TransactionBackend {
  readonly readOnly = false;
  readonly buffered = false;
  readonly readTs = null;
  /** Every operation sent and not yet waited for, in the order sent (the begin first). */
  private inflight: Array<Promise<unknown>> = [];
  private begun = false;
  /** How many stagings this object sent (Redis numbers a transaction's stagings 1, 2, ...). */
  private sent = 0;
  /**
   * True once something waited for Redis' answers (a read, a listing, flush): the id may have
   * been handed over since, and others may have staged.
   */
  private exposed = false;
  private readonly staged: StagedBackend;

  constructor(
    private readonly repository: TransactionRepository,
    readonly txId: TransactionId,
    /** Creates the transaction in Redis (and its timeout sweep); called at the first operation. */
    private readonly begin: () => Promise<unknown>,
    private readonly learn: LearnState,
  ) {
    this.staged = new StagedBackend(repository, txId, learn, true);
  }

  clientDeadline(): undefined {
    return undefined; // Redis keeps the deadline
  }

  assertAccepts(): void {}

  stage(
    agentId: string,
    key: string,
    json: string | null,
    ifVersion: number | undefined,
  ): undefined {
    this.beginOnce();
    this.sent++;
    this.send(this.staged.stage(agentId, key, json, ifVersion));
    return undefined;
  }

  append(agentId: string, prefix: string, appendId: string, json: string): undefined {
    this.beginOnce();
    this.sent++;
    this.send(this.staged.append(agentId, prefix, appendId, json));
    return undefined;
  }

  async get(agentId: string, key: string): Promise<TransactionReadResult> {
    this.beginOnce();
    await this.flush();
    return this.staged.get(agentId, key);
  }

  async list(page: ListPage): Promise<Listing> {
    this.beginOnce();
    await this.flush();
    return this.staged.list(page);
  }

  async commit(token: string): Promise<CommitResult> {
    this.beginOnce(); // an empty transaction commits too
    if (this.exposed) {
      await this.flush();
      return this.staged.commit(token);
    }
    // Nothing waited for Redis since the begin, so nobody else can have the id: this object made
    // every staging, and the commit goes out right behind them (one round trip for the whole
    // transaction), asking Redis to hold exactly that many. A refused staging leaves fewer: the
    // commit refuses itself (STAGED_LOST, or not found after a refused begin), and the staging's
    // own refusal is thrown instead. A retry (after CommitUnknownError) asks the same.
    const sent = this.inflight;
    this.inflight = [];
    const commit = this.repository.commit(this.txId, token, this.sent);
    const [outcome, ...operations] = await Promise.allSettled([commit, ...sent]);
    if (outcome.status === 'fulfilled') return outcome.value; // every staging is in it
    const error: unknown = outcome.reason;
    if (error instanceof CommitUnknownError || error instanceof StorageUnavailableError) {
      throw error; // outcome unknown: a retry with the same token finds it out
    }
    const refused = operations.find((operation) => operation.status === 'rejected');
    if (refused) return this.fail(refused.reason);
    throw learnFrom(error, this.learn);
  }

  abort(): Promise<TransactionState> | TransactionState {
    if (!this.begun) return 'aborted'; // nothing sent: nothing in Redis
    return this.abortSent();
  }

  /**
   * Waits until every operation sent is in Redis. The first refusal among them (in the order
   * sent) aborts the transaction and is thrown.
   */
  async flush(): Promise<void> {
    this.exposed = true;
    const sent = this.inflight;
    this.inflight = [];
    const outcomes = await Promise.allSettled(sent);
    const refused = outcomes.find((outcome) => outcome.status === 'rejected');
    if (refused) await this.fail(refused.reason);
  }

  /**
   * Nothing of a transaction with a refused operation may commit: aborts it in Redis (one
   * already timed out or aborted stays so), tells the machine how it ended, throws the refusal.
   */
  private async fail(reason: unknown): Promise<never> {
    const error = learnFrom(reason, this.learn);
    const state = await this.repository.abort(this.txId).catch((): TransactionState => 'aborted');
    this.learn(state);
    throw error;
  }

  private async abortSent(): Promise<TransactionState> {
    await Promise.allSettled(this.inflight);
    this.inflight = [];
    try {
      return await this.repository.abort(this.txId);
    } catch (error) {
      throw learnFrom(error, this.learn);
    }
  }

  private beginOnce(): void {
    if (this.begun) return;
    this.begun = true;
    this.send(this.begin());
  }

  private send(operation: Promise<unknown> | undefined): void {
    if (operation === undefined) return;
    // Its refusal is thrown by the next flush; until then it must not count as unhandled.
    operation.catch(() => undefined);
    this.inflight.push(operation);
  }
}
