import { TransactionStateEntry, validatePage } from '@statehouse/contract';
import { randomUUID } from 'node:crypto';
import {
  serializeValue,
  TransactionError,
  validateArgs,
  validateInteger,
  validateName,
  validateRecordRefs,
  ValidationError,
  MAX_NAME_BYTES,
  type AppendHandle,
  type AppendInput,
  type DeleteInput,
  type GetInput,
  type TransactionListInput,
  type TransactionReadResult,
  type WriteInput,
} from '@statehouse/contract';
import { mutation, type Mutation, type PendingMutation } from '../model/mutation';
import { recordField } from '../storage/record-fields';
import type { TransactionId } from '../model/transaction-id';
import { BufferedBackend } from './backends/buffered.backend';
import { SnapshotBackend, type ReadOnlySnapshot } from './backends/snapshot.backend';
import { StagedBackend, type LazyOrigin } from './backends/staged.backend';
import { PipelinedBackend } from './backends/pipelined.backend';
import type {
  LearnState,
  TransactionBackend,
  TransactionContext,
} from './backends/transaction-backend';
import type { WriteBuffer } from './backends/write-buffer';
import {
  applyEvent,
  initialSnapshot,
  rejectionFor,
  type TransactionEventType,
  type TransactionSnapshot,
  type TransactionState,
} from '../model/transaction.machine';

/** Appends allocate keys of prefix + this many digits. */
const APPEND_DIGITS = 12;

/**
 * An open transaction. It lives in Redis, not in this object: any process can continue it with
 * `resumeTransaction(id)`. Every operation is checked atomically against the stored state, so
 * racing processes (or a commit racing the timeout) can never both win.
 *
 * Two kinds live in this object only: a read-only transaction (one snapshot, nothing to write),
 * and a buffered one, which keeps its operations and read conditions here and sends them all with
 * its commit, in one script call. This class validates, keeps the machine and what was staged
 * through it, and hands each operation to its kind's backend (`backends/`): StagedBackend,
 * BufferedBackend or SnapshotBackend, chosen once, here.
 */
/** How a Transaction object starts (all optional: an open, resumable transaction). */
export interface TransactionObjectOptions {
  /**
   * The machine's snapshot it is known to be in (a resumed transaction: restored from the one
   * stored in Redis). Default the machine's initial snapshot.
   */
  readonly machine?: TransactionSnapshot;
  /** Operations staged before this object (a resumed transaction). */
  readonly staged?: readonly Mutation[];
  /** Called once when this object sees the transaction end (frees the client's slot). */
  readonly onFinished?: () => void;
  /** A read-only transaction's snapshot: it lives in this object only. */
  readonly snapshot?: ReadOnlySnapshot;
  /** A buffered transaction's operations and conditions: it lives in this object until commit. */
  readonly buffer?: WriteBuffer;
  /** A caller's commit token (a server relaying commit retries); default a new one. */
  readonly commitToken?: string;
  /**
   * This object began the transaction and makes all its stagings: the commit then checks Redis
   * holds exactly those (a failover cannot drop a write from a commit unnoticed).
   */
  readonly countStagings?: boolean;
  /** A pipelined transaction: how to create it in Redis, sent with its first operation. */
  readonly pipelinedBegin?: () => Promise<unknown>;
}

export class Transaction<Id extends string | null = string> implements AsyncDisposable {
  /** The machine as last seen by this object: it decides what this object accepts. */
  private machine: TransactionSnapshot;
  /** Identifies this object's commit attempts, so a retried commit never applies twice. */
  private readonly commitToken: string;
  /**
   * The staged operations known to this object, by record, in the order of their last staging;
   * values stay serialized until someone reads `mutations`.
   */
  private readonly staged = new Map<string, Mutation | PendingMutation>();
  /** Handles of the appends staged through this object, by append id. */
  private appends:
    Map<string, { id: string; agentId: string; prefix: string; key: string | null }> | undefined;
  /** After the commit: the keys allocated to the transaction's appends, by append id. */
  private allocated: ReadonlyMap<string, string> = new Map();
  /** Where this kind of transaction does its operations. */
  private readonly backend: TransactionBackend;

  constructor(
    private readonly context: TransactionContext,
    /** The transaction's id, or for a lazy transaction how to begin it at its first operation. */
    origin: TransactionId | LazyOrigin,
    {
      machine = initialSnapshot(),
      staged = [],
      onFinished,
      snapshot,
      buffer,
      commitToken = randomUUID(),
      countStagings = false,
      pipelinedBegin,
    }: TransactionObjectOptions = {},
  ) {
    this.onFinished = onFinished;
    this.commitToken = commitToken;
    this.machine = machine;
    this.namespaceName = origin.namespace;
    const learn: LearnState = (state) => this.finish(state);
    this.backend =
      pipelinedBegin === undefined || 'begin' in origin
        ? backendFor(context, origin, snapshot, buffer, countStagings, learn)
        : new PipelinedBackend(context.repository, origin, pipelinedBegin, learn);
    staged.forEach((mutation, i) =>
      this.remember(mutation, mutation.type === 'append' ? `resumed-${i}` : undefined),
    );
    if (machine.value !== 'open') onFinished?.();
  }

  private readonly namespaceName: string;
  /** Called once when this object sees the transaction end (frees the client's slot). */
  private readonly onFinished?: () => void;

  /**
   * The operations staged in this transaction: those staged through this object, and for a
   * resumed transaction those staged before it was resumed. Read-only; the last operation on a
   * record replaces the earlier one.
   */
  get readOnly(): boolean {
    return this.backend.readOnly;
  }

  /**
   * True for a buffered transaction (`beginTransaction({ buffered: true })`): its operations stay in
   * this object until the commit sends them in one call; it cannot be resumed elsewhere.
   */
  get buffered(): boolean {
    return this.backend.buffered;
  }

  /** The commitTs a read-only transaction reads at; null for a read-write transaction. */
  get readTs(): number | null {
    return this.backend.readTs;
  }

  get mutations(): readonly Mutation[] {
    for (const [record, staged] of this.staged) {
      if ('json' in staged) {
        const { type, agentId, key, json, ifVersion, prefix } = staged;
        this.staged.set(record, mutation(type, agentId, key, json, ifVersion, prefix));
      }
    }
    return Object.freeze([...(this.staged.values() as Iterable<Mutation>)]);
  }

  /**
   * After the commit, the keys allocated to every append of the transaction, by append id (the
   * `id` of each AppendHandle), wherever they were staged (a transaction continued across
   * processes); empty before.
   */
  get appendedKeys(): ReadonlyMap<string, string> {
    return this.allocated;
  }

  /** The transaction's id; null for a lazy transaction until its first operation. */
  get id(): Id {
    return (this.backend.txId?.id ?? null) as Id;
  }

  get namespace(): string {
    return this.namespaceName;
  }

  /** The state last seen by this object ('open' until it commits, aborts or learns of its timeout). */
  get state(): TransactionState {
    return this.machine.value;
  }

  /**
   * The machine's snapshot as this object knows it; for a resumed transaction, restored from the
   * snapshot stored in Redis.
   */
  get machineSnapshot(): TransactionSnapshot {
    return this.machine;
  }

  private get knownState(): TransactionState {
    return this.machine.value;
  }

  /**
   * Live keys of an agent as this transaction sees them (committed, plus its own staged writes,
   * minus its staged deletes), in UTF-8 byte order, a page at a time. Another transaction that
   * creates or deletes any record of the agent before this one commits makes the commit fail with
   * TransactionConflictError (no phantoms).
   */
  async listKeys(input: TransactionListInput): Promise<{ keys: string[]; cursor: string | null }> {
    const { entries, cursor } = await this.list(input, '', false, 'listKeys');
    return { keys: entries.map((entry) => entry.key), cursor };
  }

  /**
   * Live records whose key starts with `prefix`, as this transaction sees them, with values. Like
   * listKeys, and every record read counts as a read (its change is a conflict).
   */
  async scanPrefix(
    input: TransactionListInput & { readonly prefix: string },
  ): Promise<{ entries: TransactionStateEntry[]; cursor: string | null }> {
    const args = validateArgs<{ prefix: unknown }>(input, 'scanPrefix');
    const prefix = validateName(args.prefix, 'prefix', { allowEmpty: true });
    return this.list(input, prefix, true, 'scanPrefix');
  }

  private async list(
    input: TransactionListInput,
    prefix: string,
    withValues: boolean,
    call: string,
  ): Promise<{ entries: TransactionStateEntry[]; cursor: string | null }> {
    this.accept('READ');
    const { agentId, limit, after } = validatePage(
      validateArgs<TransactionListInput>(input, call),
      prefix,
    );
    return this.backend.list({ agentId, prefix, after, limit, withValues });
  }

  /** Stages a write: the last operation on a record wins; nothing is visible before commit. */
  async write(input: WriteInput): Promise<void> {
    this.accept('WRITE');
    const args = validateArgs<WriteInput>(input, 'write');
    await this.stage('write', args, serializeValue(args.value, this.context.maxValueBytes));
  }

  /** Stages a delete: at commit the record becomes a tombstone (it takes a version, and leaves listings). */
  async delete(input: DeleteInput): Promise<void> {
    this.accept('DELETE');
    await this.stage('delete', validateArgs<DeleteInput>(input, 'delete'), null);
  }

  /** Validates the record and condition of a write or delete, stages it, and remembers it. */
  private async stage(
    type: 'write' | 'delete',
    args: DeleteInput,
    json: string | null,
  ): Promise<void> {
    const agentId = validateName(args.agentId, 'agentId');
    const key = validateName(args.key, 'key');
    const ifVersion = optionalVersion(args.ifVersion);
    const stored = this.backend.stage(agentId, key, json, ifVersion);
    if (stored !== undefined) await stored;
    this.remember({ type, agentId, key, json, ifVersion });
  }

  /**
   * Reads a record: this transaction's own staged write or delete if it has one, else the
   * committed value, whose version the commit then checks is unchanged (TransactionConflictError
   * otherwise). Point reads plus that check make transactions serializable.
   */
  async get(input: GetInput): Promise<TransactionReadResult> {
    this.accept('READ');
    const args = validateArgs<GetInput>(input, 'get');
    const agentId = validateName(args.agentId, 'agentId');
    const key = validateName(args.key, 'key');
    return this.backend.get(agentId, key);
  }

  /**
   * Reads several records at once, each as `get` reads it, in the order asked (the reads go to
   * Redis together). At most MAX_GET_MANY (1,000).
   */
  async getMany(records: readonly GetInput[]): Promise<TransactionReadResult[]> {
    this.accept('READ');
    const refs = validateRecordRefs(records);
    return Promise.all(refs.map(({ agentId, key }) => this.backend.get(agentId, key)));
  }

  /**
   * Applies every staged operation atomically and returns the commitTs. After a CommitUnknownError,
   * calling it again returns the same commitTs if the first attempt committed.
   */
  async commit(): Promise<number> {
    this.accept('COMMIT');
    const outcome = this.backend.commit(this.commitToken);
    const { commitTs, appended } = outcome instanceof Promise ? await outcome : outcome;
    this.allocated = appended;
    for (const [appendId, handle] of this.appends ?? []) {
      const key = appended.get(appendId);
      if (key !== undefined) handle.key = key;
    }
    this.finish('committed');
    return commitTs;
  }

  /**
   * Stages a write whose key is allocated at commit: `prefix` followed by the next value of a
   * counter of the agent and prefix, zero-padded to 12 digits, so keys sort in append order
   * (step logs). The returned handle's `key` is filled in when the commit succeeds.
   */
  async append(input: AppendInput): Promise<AppendHandle> {
    this.accept('WRITE');
    const args = validateArgs<AppendInput>(input, 'append');
    const agentId = validateName(args.agentId, 'agentId');
    const prefix = validateName(args.prefix, 'prefix', { allowEmpty: true });
    if (Buffer.byteLength(prefix) + APPEND_DIGITS > MAX_NAME_BYTES) {
      throw new ValidationError(
        'prefix',
        `must leave room for ${APPEND_DIGITS} digits in a 256-byte key`,
      );
    }
    const json = serializeValue(args.value, this.context.maxValueBytes);
    const appendId = randomUUID();
    const stored = this.backend.append(agentId, prefix, appendId, json);
    if (stored !== undefined) await stored;
    const handle = { id: appendId, agentId, prefix, key: null as string | null };
    (this.appends ??= new Map()).set(appendId, handle);
    this.remember({ type: 'append', agentId, key: null, json, prefix }, appendId);
    return handle;
  }

  /**
   * Waits until every operation of a pipelined transaction (`pipelined: true`) is in Redis, and
   * throws the first one Redis refused (the transaction is then aborted): do it before handing
   * the id to another process. Resolves at once for the other kinds, whose operations are in
   * Redis (or in this object) when they resolve.
   */
  async flush(): Promise<void> {
    this.context.assertOpen();
    if (this.backend instanceof PipelinedBackend && this.knownState === 'open') {
      await this.backend.flush();
    }
  }

  /** Discards staged operations. A no-op when already aborted or timed out. */
  async abort(): Promise<void> {
    // The machine's no-op: ABORT keeps an aborted or timed-out transaction where it is.
    if (applyEvent(this.machine, 'ABORT')?.value === this.knownState) return;
    this.accept('ABORT');
    const outcome = this.backend.abort();
    this.finish(typeof outcome === 'string' ? outcome : await outcome);
  }

  /** `await using tx = await client.beginTransaction()`: leaving the block without commit aborts. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.knownState === 'open') await this.abort();
  }

  private accept(event: TransactionEventType): void {
    this.context.assertOpen();
    const deadline = this.backend.clientDeadline(event);
    if (deadline !== undefined && this.knownState === 'open' && Date.now() >= deadline) {
      this.finish('timedOut');
    }
    if (this.knownState === 'open') this.backend.assertAccepts(event);
    const state = this.knownState;
    if (state !== 'open' && !this.machine.can({ type: event })) {
      throw TransactionError.forState(rejectionFor(state), this.id ?? undefined);
    }
  }

  /** Applies the machine's event into `state`, when the machine leaves its state for it. */
  private finish(state: TransactionState): void {
    if (state === 'open') return;
    const next = applyEvent(this.machine, EVENT_INTO[state]);
    if (next && next.value !== this.knownState) {
      this.machine = next;
      this.onFinished?.();
    }
  }

  /** `appendId` keeps each append apart: appends never replace one another. */
  private remember(staged: Mutation | PendingMutation, appendId?: string): void {
    const record = appendId ?? recordField(staged.agentId, staged.key ?? '');
    this.staged.delete(record);
    this.staged.set(record, staged);
  }
}

/**
 * The backend of the kind the options ask for. `learn` is how a backend's refusal from Redis
 * reaches the machine: the backends learn a state where the Transaction used to (a refusal of a
 * stored operation), so later calls fail fast without a round trip.
 */
function backendFor(
  context: TransactionContext,
  origin: TransactionId | LazyOrigin,
  snapshot: ReadOnlySnapshot | undefined,
  buffer: WriteBuffer | undefined,
  countStagings: boolean,
  learn: LearnState,
): TransactionBackend {
  if (snapshot === undefined && buffer === undefined) {
    return new StagedBackend(context.repository, origin, learn, countStagings);
  }
  if ('begin' in origin) {
    throw new TypeError('A read-only or buffered transaction has its id from the start');
  }
  return snapshot === undefined
    ? new BufferedBackend(context.repository, context.records, origin, buffer!, learn)
    : new SnapshotBackend(context.records, origin, snapshot);
}

function optionalVersion(value: unknown): number | undefined {
  return value === undefined ? undefined : validateInteger(value, 'ifVersion', 0);
}

/** The event that leads an open transaction into each final state. */
const EVENT_INTO: Record<Exclude<TransactionState, 'open'>, TransactionEventType> = {
  committed: 'COMMIT',
  aborted: 'ABORT',
  timedOut: 'TIMEOUT',
};
