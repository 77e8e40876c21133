import { randomUUID } from 'node:crypto';
import {
  stateOfCode,
  serializeValue,
  TransactionError,
  validateArgs,
  validateInteger,
  validateName,
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
import { validatePage } from '../validation/page';
import { mutation, type Mutation, type PendingMutation } from '../model/mutation';
import {
  listAsOf,
  listBuffered,
  readAsOf,
  readBuffered,
  type ClientSideReads,
} from './client-side-reads';
import { mergeListing, type TransactionStateEntry } from './transaction-listing';
import type { ReadOnlySnapshot, TransactionContext } from './transaction.types';
import { recordField } from '../storage/record-fields';
import type { CommitResult } from '../storage/transaction.repository';
import type { TransactionId } from '../model/transaction-id';
import type { WriteBuffer } from './write-buffer';
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
 * its commit, in one script call.
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
  private appends: Map<string, { agentId: string; prefix: string; key: string | null }> | undefined;
  private txId: TransactionId | null;
  private beginning: Promise<TransactionId> | undefined;

  constructor(
    private readonly context: TransactionContext,
    /** The transaction's id, or for a lazy transaction how to begin it at its first operation. */
    origin: TransactionId | { readonly namespace: string; begin(): Promise<TransactionId> },
    {
      machine = initialSnapshot(),
      staged = [],
      onFinished,
      snapshot,
      buffer,
      commitToken = randomUUID(),
    }: TransactionObjectOptions = {},
  ) {
    this.onFinished = onFinished;
    this.snapshot = snapshot;
    this.buffer = buffer;
    this.commitToken = commitToken;
    this.machine = machine;
    if ('begin' in origin) {
      this.txId = null;
      this.namespaceName = origin.namespace;
      this.lazyBegin = () => origin.begin();
    } else {
      this.txId = origin;
      this.namespaceName = origin.namespace;
    }
    staged.forEach((mutation, i) =>
      this.remember(mutation, mutation.type === 'append' ? `resumed-${i}` : undefined),
    );
    if (machine.value !== 'open') onFinished?.();
  }

  private readonly namespaceName: string;

  /** Where read-only and buffered transactions read (they have no transaction in Redis). */
  private get clientSideReads(): ClientSideReads {
    return { records: this.context.records, namespace: this.namespaceName };
  }
  private readonly lazyBegin?: () => Promise<TransactionId>;
  /** Set for a read-only transaction: it lives in this object only and never writes. */
  private readonly snapshot?: ReadOnlySnapshot;
  /** Set for a buffered transaction: its operations and conditions, until the commit sends them. */
  private readonly buffer?: WriteBuffer;
  /** Called once when this object sees the transaction end (frees the client's slot). */
  private readonly onFinished?: () => void;

  /**
   * The operations staged in this transaction: those staged through this object, and for a
   * resumed transaction those staged before it was resumed. Read-only; the last operation on a
   * record replaces the earlier one.
   */
  get readOnly(): boolean {
    return this.snapshot !== undefined;
  }

  /**
   * True for a buffered transaction (`beginTransaction({ buffered: true })`): its operations stay in
   * this object until the commit sends them in one call; it cannot be resumed elsewhere.
   */
  get buffered(): boolean {
    return this.buffer !== undefined;
  }

  /** The commitTs a read-only transaction reads at; null for a read-write transaction. */
  get readTs(): number | null {
    return this.snapshot?.readTs ?? null;
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

  /** The transaction's id; null for a lazy transaction until its first operation. */
  get id(): Id {
    return (this.txId?.id ?? null) as Id;
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
    const asked = { agentId, prefix, after, limit, withValues };
    if (this.snapshot) return listAsOf(this.clientSideReads, this.snapshot, asked);
    if (this.buffer) return listBuffered(this.clientSideReads, this.buffer, asked);
    const page = await this.track(
      this.context.repository.list(
        this.txId ?? (await this.beginLazily()),
        agentId,
        prefix,
        after,
        limit + 1,
        withValues,
      ),
    );
    return mergeListing(page.committed, page.staged, prefix, after, limit);
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
    if (this.buffer) {
      this.buffer.stage(this.id!, agentId, key, json, ifVersion);
      this.remember({ type, agentId, key, json, ifVersion });
      return;
    }
    const txId = this.txId ?? (await this.beginLazily());
    await this.track(this.context.repository.stage(txId, agentId, key, json, ifVersion));
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
    if (this.snapshot) return readAsOf(this.clientSideReads, this.snapshot, agentId, key);
    if (this.buffer) return readBuffered(this.clientSideReads, this.buffer, agentId, key);
    const read = await this.track(
      this.context.repository.read(this.txId ?? (await this.beginLazily()), agentId, key),
    );
    const committed = read.committed;
    const value = read.source === 'staged' ? read.value : (committed?.value ?? null);
    return {
      exists: value !== null,
      value,
      version: committed?.version ?? 0,
      commitTs: committed?.commitTs ?? 0,
      staged: read.source === 'staged',
    };
  }

  /**
   * Applies every staged operation atomically and returns the commitTs. After a CommitUnknownError,
   * calling it again returns the same commitTs if the first attempt committed.
   */
  async commit(): Promise<number> {
    this.accept('COMMIT');
    if (this.snapshot) {
      this.finish('committed');
      return this.snapshot.readTs; // nothing to apply: a read-only commit ends the snapshot
    }
    let outcome: Promise<CommitResult>;
    if (this.buffer) {
      outcome = this.context.repository.commitBuffered(
        this.buffer.toCommit(this.txId!, this.commitToken),
      );
    } else {
      outcome = this.context.repository.commit(
        this.txId ?? (await this.beginLazily()),
        this.commitToken,
      );
    }
    const { commitTs, appended } = await this.track(outcome);
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
    if (this.buffer) {
      this.buffer.stageAppend(this.id!, agentId, prefix, appendId, json);
    } else {
      const txId = this.txId ?? (await this.beginLazily());
      await this.track(this.context.repository.stageAppend(txId, agentId, prefix, appendId, json));
    }
    const handle = { agentId, prefix, key: null as string | null };
    (this.appends ??= new Map()).set(appendId, handle);
    this.remember({ type: 'append', agentId, key: null, json, prefix }, appendId);
    return handle;
  }

  /** Discards staged operations. A no-op when already aborted or timed out. */
  async abort(): Promise<void> {
    // The machine's no-op: ABORT keeps an aborted or timed-out transaction where it is.
    if (applyEvent(this.machine, 'ABORT')?.value === this.knownState) return;
    this.accept('ABORT');
    if (this.snapshot || this.buffer || (this.txId === null && this.beginning === undefined)) {
      return this.finish('aborted'); // nothing in Redis to abort
    }
    const state = await this.track(
      this.context.repository.abort(this.txId ?? (await this.beginLazily())),
    );
    this.finish(state);
  }

  /** `await using tx = await client.beginTransaction()`: leaving the block without commit aborts. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.knownState === 'open') await this.abort();
  }

  private accept(event: TransactionEventType): void {
    this.context.assertOpen();
    const deadline = this.snapshot?.deadline ?? this.buffer?.deadline;
    // A buffered commit already sent may have committed: its retry must reach Redis to find out.
    const sent = this.buffer?.sent === true && event === 'COMMIT';
    if (deadline !== undefined && !sent && this.knownState === 'open' && Date.now() >= deadline) {
      this.finish('timedOut');
    }
    if (this.snapshot && this.knownState === 'open' && (event === 'WRITE' || event === 'DELETE')) {
      throw new TransactionError('Transaction is read-only', {
        code: 'TRANSACTION_READ_ONLY',
        txId: this.id ?? undefined,
      });
    }
    const state = this.knownState;
    if (state !== 'open' && !this.machine.can({ type: event })) {
      throw TransactionError.forState(rejectionFor(state), this.id ?? undefined);
    }
  }

  /** Learns the stored state from a refusal, so later calls fail fast without a round trip. */
  private async track<T>(operation: Promise<T>): Promise<T> {
    try {
      return await operation;
    } catch (error) {
      if (error instanceof TransactionError) {
        const learned = stateOfCode(error.code);
        if (learned) this.finish(learned);
      }
      throw error;
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

  /** Begins a lazy transaction in Redis, once, at its first operation. */
  private beginLazily(): Promise<TransactionId> {
    this.beginning ??= this.lazyBegin!().then(
      (txId) => (this.txId = txId),
      (error: unknown) => {
        this.beginning = undefined; // the next operation tries again
        throw error;
      },
    );
    return this.beginning;
  }

  /** `appendId` keeps each append apart: appends never replace one another. */
  private remember(staged: Mutation | PendingMutation, appendId?: string): void {
    const record = appendId ?? recordField(staged.agentId, staged.key ?? '');
    this.staged.delete(record);
    this.staged.set(record, staged);
  }
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
