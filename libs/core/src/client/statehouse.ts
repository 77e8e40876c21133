import { AsyncLocalStorage } from 'node:async_hooks';
import {
  abortable,
  ClientClosedError,
  commitUntilKnown,
  retryDelayMs,
  sleep,
  TransactionConflictError,
  validateArgs,
  validateBoolean,
  validateInteger,
  validateName,
  validateNamespace,
  validatePage,
  validateRetention,
  ValidationError,
  type BeginOptions,
  type CompactionResult,
  type RetentionInfo,
  type SetRetentionInput,
  type CommitOperationsInput,
  type CommitOperationsResult,
  type CommittedRecord,
  type AgentInfo,
  type ExportOptions,
  type ImportOptions,
  type ImportSource,
  type ImportSummary,
  type ListAgentsInput,
  type ListKeysInput,
  type NamespaceInfo,
  type RecordRef,
  type ReplayEvent,
  type ResumeOptions,
  type ReplayInput,
  type ScanPrefixInput,
  type StateEntry,
  type StatehouseApi,
  type StateResult,
  type TransactionDescription,
  type TransactionOptions,
} from '@statehouse/contract';
import { RecordRepository } from '../storage/record.repository';
import { OperatorTools } from '../operations/operator-tools';
import type { TransactionRepository } from '../storage/transaction.repository';
import { mutation } from '../model/mutation';
import { Transaction } from '../transaction/transaction';
import type { TransactionContext } from '../transaction/backends/transaction-backend';
import { parseTransactionId } from '../model/transaction-id';
import type { TransactionState } from '../model/transaction.machine';
import { dropConnection, duplicateConnection } from './connection';
import { LiveLog } from '../follow/live-log';
import { replayEvents } from './replay';
import { toStateResult } from './client-support';
import { TransactionSlots } from './transaction-slots';
import { TransactionStarter } from './transaction-starter';
import { RecordPages, type NamespacedPage } from './record-pages';
import { checkCommitToken, commitSent } from './sent-transactions';
import { startEngine, stopEngine, type Engine, type EngineStats } from './engine';
import type { CompactionStats } from './compaction';
import type { ResolvedOptions, StatehouseOptions } from './statehouse.options';

const DEFAULT_MAX_RETRIES = 5;
const currentTransaction = new AsyncLocalStorage<Transaction>();

/**
 * The embedded Statehouse client: transactional, versioned agent state on Redis.
 *
 * ```ts
 * const client = await Statehouse.connect({ redis: 'redis://127.0.0.1:6379' });
 * await client.transaction(async (tx) => {
 *   await tx.write({ agentId: 'my-agent', key: 'memory', value: { fact: 'Some information' } });
 * }); // committed when the callback returns
 * ```
 */
export class Statehouse implements StatehouseApi {
  private closed = false;
  private readonly live: LiveLog;
  private readonly context: TransactionContext;

  private readonly records: RecordRepository;
  private readonly pages: RecordPages;
  private readonly slots: TransactionSlots;

  private readonly options: ResolvedOptions;
  private readonly transactions: TransactionRepository;
  private readonly starter: TransactionStarter;
  private readonly operator: OperatorTools;

  private constructor(private readonly engine: Engine) {
    const { options, transactions } = engine;
    this.options = options;
    this.transactions = transactions;
    this.slots = new TransactionSlots(options.maxOpenTransactions);
    this.records = new RecordRepository(transactions.redis, (namespace) =>
      transactions.keys(namespace),
    );
    this.pages = new RecordPages(this.records);
    this.operator = new OperatorTools(transactions, this.records, {
      maxValueBytes: options.maxValueBytes,
      commitOperations: (input) => this.commitOperations(input),
    });
    this.live = new LiveLog({
      redis: transactions.redis,
      keys: (namespace) => transactions.keys(namespace),
      open: () =>
        duplicateConnection(transactions.redis, true, engine.errors.watch.bind(engine.errors)),
      drop: dropConnection,
      maxQueued: options.replayPageSize,
      onError: (error) => engine.errors.report(error, 'follow-reader'),
    });
    this.context = {
      repository: transactions,
      records: this.records,
      maxValueBytes: options.maxValueBytes,
      assertOpen: () => this.assertOpen(),
    };
    this.starter = new TransactionStarter(
      this.context,
      options,
      transactions,
      this.records,
      engine.queue,
      this.slots,
    );
  }

  /** Connects to Redis and, unless switched off, starts this process's timeout worker. */
  static async connect(options: StatehouseOptions): Promise<Statehouse> {
    return new Statehouse(await startEngine(options));
  }

  /** The namespace used when a call names none. */
  get namespace(): string {
    return this.options.namespace;
  }

  /** Begins a transaction and schedules its server-side timeout. */
  beginTransaction(
    options: BeginOptions & { readonly lazy: true },
  ): Promise<Transaction<string | null>>;
  beginTransaction(options?: BeginOptions): Promise<Transaction>;
  async beginTransaction(options: BeginOptions = {}): Promise<Transaction<string | null>> {
    this.assertOpen();
    const args = validateArgs<BeginOptions>(options, 'beginTransaction');
    const namespace = this.namespaceOf(args.namespace);
    this.engine.compactor.noteNamespace(namespace);
    return this.starter.begin(args, namespace);
  }

  /** The limits this client enforces (its resolved options), for servers that validate with them. */
  get limits(): Pick<
    ResolvedOptions,
    | 'defaultTimeoutMs'
    | 'maxTimeoutMs'
    | 'finishedTransactionRetentionMs'
    | 'maxOpenTransactionsPerNamespace'
    | 'maxStagedBytesPerNamespace'
  > {
    const { options } = this;
    return {
      defaultTimeoutMs: options.defaultTimeoutMs,
      maxTimeoutMs: options.maxTimeoutMs,
      finishedTransactionRetentionMs: options.finishedTransactionRetentionMs,
      maxOpenTransactionsPerNamespace: options.maxOpenTransactionsPerNamespace,
      maxStagedBytesPerNamespace: options.maxStagedBytesPerNamespace,
    };
  }

  /** The prefix of every Redis key this client uses (its `keyPrefix` option, default `sh`). */
  get keyPrefix(): string {
    return this.options.keyPrefix;
  }

  /** Counters of this client (for metrics): timeouts its worker fired. */
  get stats(): Readonly<EngineStats> {
    return this.engine.stats;
  }

  /** Transactions begun by this client that are still open (for metrics and tests). */
  get openTransactions(): number {
    return this.slots.inUse;
  }

  /**
   * The transaction of the enclosing `client.transaction` callback in the current async context
   * (AsyncLocalStorage), or undefined outside one.
   */
  static currentTransaction(): Transaction | undefined {
    return currentTransaction.getStore();
  }

  /**
   * Continues a transaction begun anywhere (another client, another process), by its id. With
   * `lazy: true` it makes no round trip: the object assumes the transaction is open, its first
   * operation finds out (every operation is checked in Redis anyway), and `mutations` lists only
   * what is staged through it.
   */
  async resumeTransaction(id: string, options: ResumeOptions = {}): Promise<Transaction> {
    this.assertOpen();
    const txId = parseTransactionId(this.transactionIdArg(id));
    const args = validateArgs<ResumeOptions>(options, 'resumeTransaction');
    checkCommitToken(args.commitToken);
    if (args.lazy !== undefined && validateBoolean(args.lazy, 'lazy')) {
      return new Transaction(this.context, txId, {
        ...(args.commitToken === undefined ? {} : { commitToken: args.commitToken }),
      });
    }
    const info = await this.transactions.inspect(txId);
    const staged = info.state === 'open' ? await this.transactions.stagedOperations(txId) : [];
    return new Transaction(this.context, txId, {
      machine: info.machine,
      staged: staged.map(({ agentId, key, prefix, json }) =>
        key === null
          ? mutation('append', agentId, null, json, undefined, prefix)
          : mutation(json === null ? 'delete' : 'write', agentId, key, json),
      ),
    });
  }

  /** A transaction's stored state, deadline and outcome. */
  async describeTransaction(id: string): Promise<TransactionDescription> {
    this.assertOpen();
    const txId = parseTransactionId(this.transactionIdArg(id));
    const { machine, ...info } = await this.transactions.inspect(txId);
    return { id: txId.id, namespace: txId.namespace, ...info, state: machine.value };
  }

  /**
   * Runs `fn` in a transaction: commits when it returns, aborts (then rethrows the same error)
   * when it throws. Returns what `fn` returned. On a TransactionConflictError it runs `fn` again in
   * a new transaction, up to `maxRetries` times (default 5) with jittered exponential backoff, then
   * rethrows the last conflict: `fn` may run more than once, so keep its side effects inside the
   * transaction.
   */
  async transaction<T>(
    fn: (tx: Transaction) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
    if (typeof fn !== 'function') {
      throw new ValidationError('transaction callback', 'must be a function');
    }
    const args = validateArgs<TransactionOptions>(options, 'transaction');
    if ((args as BeginOptions).lazy !== undefined) {
      throw new ValidationError(
        'lazy',
        'is for beginTransaction; client.transaction begins eagerly',
      );
    }
    const maxRetries =
      args.maxRetries === undefined
        ? DEFAULT_MAX_RETRIES
        : validateInteger(args.maxRetries, 'maxRetries', 0, 1000);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.runOnce(fn, args);
      } catch (error) {
        if (!(error instanceof TransactionConflictError) || attempt >= maxRetries) throw error;
        await sleep(retryDelayMs(attempt));
      }
    }
  }

  private async runOnce<T>(fn: (tx: Transaction) => Promise<T>, options: BeginOptions): Promise<T> {
    const tx = await this.beginTransaction(options);
    let result: T;
    try {
      result = await currentTransaction.run(tx, () => fn(tx));
    } catch (error) {
      if (tx.state === 'open') await tx.abort().catch(() => undefined);
      throw error;
    }
    if (tx.state === 'open') await commitUntilKnown(() => tx.commit());
    return result;
  }

  /**
   * A buffered transaction sent whole: writes, deletes and appends, with the conditions its reads
   * and listings set, applied atomically in one script call (one round trip). With the sender's
   * `id` and `commitToken`, sending it again after a lost answer returns the first commitTs.
   * Conflicts throw TransactionConflictError (not retried here: the sender's reads are stale).
   */
  async commitOperations(input: CommitOperationsInput): Promise<CommitOperationsResult> {
    this.assertOpen();
    const args = validateArgs<CommitOperationsInput>(input, 'commitOperations');
    const namespace = this.namespaceOf(args.namespace);
    this.engine.compactor.noteNamespace(namespace);
    return commitSent(this.starter, args, namespace);
  }

  /**
   * A page for a buffered transaction kept by another process (the network client): up to
   * `limit + 1` committed records (one more says that more follow) and the agent's membership
   * count, read in one snapshot; that process merges its own operations (`mergeListing`) and
   * sends the count with its commit (`listings`: no phantoms).
   */
  async listForTransaction(input: ScanPrefixInput & { readonly withValues?: boolean }): Promise<{
    committed: Array<{ key: string; stored: CommittedRecord | null }>;
    membership: number;
  }> {
    this.assertOpen();
    const args = validateArgs<ScanPrefixInput & { withValues?: unknown }>(
      input,
      'listForTransaction',
    );
    const prefix =
      args.prefix === undefined ? '' : validateName(args.prefix, 'prefix', { allowEmpty: true });
    const withValues =
      args.withValues === undefined ? false : validateBoolean(args.withValues, 'withValues');
    return this.pages.forTransaction(this.pageArgs(args, prefix), prefix, withValues);
  }

  /** The latest committed value of a record, or with `atTs` its value as of that commitTs. */
  async getState(input: RecordRef & { readonly atTs?: number }): Promise<StateResult> {
    this.assertOpen();
    const { namespace, agentId, key } = this.recordArgs(input, 'getState');
    if (input.atTs !== undefined) {
      const atTs = validateInteger(input.atTs, 'atTs', 0);
      return toStateResult(await this.records.getStateAsOf(namespace, agentId, key, atTs));
    }
    return toStateResult(await this.records.getState(namespace, agentId, key));
  }

  /** One exact version of a record: VersionNotFoundError when it never existed. */
  async getStateAtVersion(input: RecordRef & { readonly version: number }): Promise<StateResult> {
    this.assertOpen();
    const { namespace, agentId, key } = this.recordArgs(input, 'getStateAtVersion');
    const version = validateInteger(input.version, 'version', 1);
    return toStateResult(await this.records.getStateAtVersion(namespace, agentId, key, version));
  }

  /** Live keys of an agent in UTF-8 byte order, a page at a time; `cursor` is null on the last page. */
  async listKeys(input: ListKeysInput): Promise<{ keys: string[]; cursor: string | null }> {
    this.assertOpen();
    const page = this.pageArgs(validateArgs<ListKeysInput>(input, 'listKeys'), '');
    return this.pages.keys(page, input.atTs);
  }

  /** Live records whose key starts with `prefix`, in UTF-8 byte order of the key, a page at a time. */
  async scanPrefix(
    input: ScanPrefixInput,
  ): Promise<{ entries: StateEntry[]; cursor: string | null }> {
    this.assertOpen();
    const args = validateArgs<ScanPrefixInput>(input, 'scanPrefix');
    const prefix = validateName(args.prefix, 'prefix', { allowEmpty: true });
    return this.pages.scan(this.pageArgs(args, prefix), prefix, args.atTs);
  }

  /** An agent's history in commit order (bounds inclusive), streamed in pages; `follow` goes on live. */
  replay(input: ReplayInput): AsyncIterable<ReplayEvent> {
    this.assertOpen();
    const args = validateArgs<ReplayInput>(input, 'replay');
    const agentId = validateName(args.agentId, 'agentId');
    const namespace = this.namespaceOf(args.namespace);
    const startTs = args.startTs === undefined ? 1 : validateInteger(args.startTs, 'startTs', 0);
    const endTs =
      args.endTs === undefined ? Number.MAX_SAFE_INTEGER : validateInteger(args.endTs, 'endTs', 0);
    const follow = args.follow === undefined ? false : validateBoolean(args.follow, 'follow');
    const fromHorizon =
      args.fromHorizon === undefined ? false : validateBoolean(args.fromHorizon, 'fromHorizon');
    const plan = {
      namespace,
      agentId,
      startTs: Math.max(startTs, 1),
      endTs,
      follow,
      pageSize: this.options.replayPageSize,
      fromHorizon,
    };
    const signal = validateSignal(args.signal);
    return abortable(
      (aborted) =>
        replayEvents(
          this.records,
          plan,
          (followed) => this.live.subscribe(followed.namespace, followed.agentId, followed.endTs),
          aborted,
        ),
      signal,
    ) as AsyncIterable<ReplayEvent>;
  }

  /** Follow-mode replays waiting for new commits right now, on the client's shared log reader. */
  get followers(): number {
    return this.live.followers;
  }

  /**
   * How many transactions of a namespace are open in Redis, begun by any process (buffered and
   * read-only ones live in their clients and are not counted).
   */
  async openTransactionCount(namespace?: string): Promise<number> {
    this.assertOpen();
    return this.records.openTransactionCount(this.namespaceOf(namespace));
  }

  /**
   * Sets a namespace's retention policy (replacing the default policy for it): what its compaction
   * removes. `maxVersionsPerKey` keeps that many versions of each record, `maxAgeMs` removes a
   * version once the one after it is that old, `deletedRecordTtlMs` removes a deleted record
   * whole once deleted that long ago. The latest version of every live record is never removed.
   * No rule (`{}`): keep everything. From then on the namespace is compacted every
   * `compactionIntervalMs` by whichever process's worker takes the job.
   */
  async setRetention(input: SetRetentionInput): Promise<RetentionInfo> {
    this.assertOpen();
    const args = validateArgs<SetRetentionInput>(input, 'setRetention');
    const namespace = this.namespaceOf(args.namespace);
    return this.engine.compactor.setRetention(namespace, validateRetention(args, ''));
  }

  /** The policy in force in a namespace (its own or the default), its horizon and what compaction removed. */
  async getRetention(input: { readonly namespace?: string } = {}): Promise<RetentionInfo> {
    this.assertOpen();
    const args = validateArgs<{ namespace?: string }>(input, 'getRetention');
    return this.engine.compactor.getRetention(this.namespaceOf(args.namespace));
  }

  /**
   * Compacts a namespace now, to completion, under the policy in force (nothing without one), in
   * bounded script calls; returns what it removed and the new horizon (`compactedTs`): reads as of
   * an earlier commitTs and replays from one throw VersionCompactedError from then on.
   */
  async compact(input: { readonly namespace?: string } = {}): Promise<CompactionResult> {
    this.assertOpen();
    const args = validateArgs<{ namespace?: string }>(input, 'compact');
    return this.engine.compactor.compact(this.namespaceOf(args.namespace));
  }

  /** By namespace: what this process's compactions removed and their last horizon (metrics). */
  get compactionStats(): ReadonlyMap<string, Readonly<CompactionStats>> {
    return this.engine.compactor.stats;
  }

  /** The namespace's last commitTs (0 before the first commit). */
  async lastCommitTs(namespace?: string): Promise<number> {
    this.assertOpen();
    return this.records.lastCommitTs(this.namespaceOf(namespace));
  }

  // The operator API (StatehouseApi has their contracts; docs/design.md, "Listing namespaces and
  // agents" and "Snapshots").

  /** Every namespace committed to, in byte order; `allowed` filters (a server's token scope). */
  async listNamespaces(
    allowed?: (namespace: string) => boolean,
  ): Promise<{ namespaces: NamespaceInfo[] }> {
    this.assertOpen();
    return { namespaces: await this.operator.namespaces(allowed) };
  }

  /**
   * The one-time upgrade step for data written before the namespace registry: registers every
   * namespace found in Redis (a SCAN of the keyspace, on every master of a Cluster: an operator's
   * migration, never a request's path). Returns how many it found.
   */
  async indexExistingNamespaces(): Promise<number> {
    this.assertOpen();
    return this.operator.indexExistingNamespaces();
  }

  /** A namespace's agents in byte order, with live key counts and last commits; O(page). */
  async listAgents(
    input: ListAgentsInput = {},
  ): Promise<{ agents: AgentInfo[]; cursor: string | null }> {
    this.assertOpen();
    const args = validateArgs<ListAgentsInput>(input, 'listAgents');
    return this.operator.agents(this.namespaceOf(args.namespace), args);
  }

  /** A consistent snapshot as NDJSON lines, as of one commitTs, a page at a time. */
  exportSnapshot(options: ExportOptions = {}): AsyncIterable<string> {
    this.assertOpen();
    const args = validateArgs<ExportOptions>(options, 'exportSnapshot');
    return this.operator.exportSnapshot(this.namespaceOf(args.namespace), args);
  }

  /**
   * Writes a snapshot into a namespace in batched, atomic, resumable steps. `authorize` is called
   * with the target namespace before anything is written (a server's token check).
   */
  importSnapshot(
    source: ImportSource,
    options: ImportOptions = {},
    authorize: (namespace: string) => void = () => undefined,
  ): Promise<ImportSummary> {
    this.assertOpen();
    return this.operator.importSnapshot(source, options, authorize);
  }

  /** Stops the timeout worker, ends follow-mode replays and closes the connections this client opened. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.live.close();
    await stopEngine(this.engine);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new ClientClosedError();
  }

  private namespaceOf(namespace: unknown): string {
    return namespace === undefined ? this.options.namespace : validateNamespace(namespace);
  }

  private transactionIdArg(id: unknown): string {
    if (typeof id !== 'string') throw new ValidationError('txId', 'must be a string');
    return id;
  }

  private recordArgs(input: RecordRef, call: string): Required<RecordRef> {
    const args = validateArgs<RecordRef>(input, call);
    return {
      namespace: this.namespaceOf(args.namespace),
      agentId: validateName(args.agentId, 'agentId'),
      key: validateName(args.key, 'key'),
    };
  }

  private pageArgs(args: ListKeysInput, prefix: string): NamespacedPage {
    return { namespace: this.namespaceOf(args.namespace), ...validatePage(args, prefix) };
  }
}

function validateSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined || signal instanceof AbortSignal) return signal;
  throw new ValidationError('signal', 'must be an AbortSignal');
}

export type { TransactionState };
