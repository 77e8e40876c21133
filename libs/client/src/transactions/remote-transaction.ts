import {
  stateOfCode,
  TransactionError,
  validateRecordRefs,
  type AppendHandle,
  type AppendInput,
  type DeleteInput,
  type GetInput,
  type JsonObject,
  type Mutation,
  type TransactionApi,
  type TransactionListInput,
  type TransactionReadResult,
  type TransactionState,
  type TransactionStateEntry,
  type WriteInput,
} from '@statehouse/contract';

interface PendingMutation {
  readonly type: Mutation['type'];
  readonly agentId: string;
  readonly key: string | null;
  /** The value written, as JSON text; undefined for a delete. */
  readonly json: string | undefined;
  readonly ifVersion?: number;
  readonly prefix?: string;
}

/**
 * A transaction of the network client, of one of three kinds (as the engine's): staged on the
 * server (`StagedRemoteTransaction`, the default of beginTransaction; resumable anywhere),
 * buffered in this client (`BufferedRemoteTransaction`, the default of client.transaction: one
 * call at commit), read-only at one snapshot (`SnapshotRemoteTransaction`). This class keeps what
 * they share: the state as last seen, the refusal of a finished transaction, and `mutations`.
 */
export abstract class RemoteTransaction implements TransactionApi {
  abstract readonly readOnly: boolean;
  abstract readonly buffered: boolean;
  abstract readonly readTs: number | null;
  protected knownState: TransactionState;
  /**
   * The operations staged through this object, by record (appends by their own id), their values
   * still JSON text: `mutations` parses them when asked (a write pays no copy).
   */
  private readonly staged = new Map<string, PendingMutation>();
  private listed: readonly Mutation[] | undefined;

  protected constructor(
    readonly id: string,
    readonly namespace: string,
    state: TransactionState = 'open',
  ) {
    this.knownState = state;
  }

  get state(): TransactionState {
    return this.knownState;
  }

  get mutations(): readonly Mutation[] {
    this.listed ??= Object.freeze(
      [...this.staged.values()].map(({ type, agentId, key, json, ifVersion, prefix }) =>
        Object.freeze({
          type,
          agentId,
          key,
          ...(prefix === undefined ? {} : { prefix }),
          ...(json === undefined ? {} : { value: JSON.parse(json) as JsonObject }),
          ...(ifVersion === undefined ? {} : { ifVersion }),
        }),
      ),
    );
    return this.listed;
  }

  abstract write(input: WriteInput): Promise<void>;
  abstract delete(input: DeleteInput): Promise<void>;
  abstract append(input: AppendInput): Promise<AppendHandle>;
  abstract get(input: GetInput): Promise<TransactionReadResult>;
  /** Several records, each as `get` reads it, in order (here: a call each, sent together). */
  async getMany(records: readonly GetInput[]): Promise<TransactionReadResult[]> {
    return Promise.all(validateRecordRefs(records).map((ref) => this.get(ref)));
  }
  abstract listKeys(
    input: TransactionListInput,
  ): Promise<{ keys: string[]; cursor: string | null }>;
  abstract scanPrefix(
    input: TransactionListInput & { readonly prefix: string },
  ): Promise<{ entries: TransactionStateEntry[]; cursor: string | null }>;
  abstract commit(): Promise<number>;
  abstract abort(): Promise<void>;

  /** `await using tx = await client.beginTransaction()`: leaving the block without commit aborts. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.knownState === 'open') await this.abort();
  }

  /** Remembers a staged operation for `mutations` (the last one on a record wins). */
  protected remember(
    type: Mutation['type'],
    agentId: string,
    key: string | null,
    json: string | undefined,
    extra: { ifVersion?: number; prefix?: string; appendId?: string } = {},
  ): void {
    // Length-prefixed: no two (agentId, key) pairs give the same id.
    const id = extra.appendId ?? `${agentId.length}:${agentId}${key ?? ''}`;
    this.staged.delete(id);
    this.staged.set(id, { type, agentId, key, json, ...extra });
    this.listed = undefined;
  }

  /** Refuses any operation once the transaction is known to be finished (the engine's messages). */
  protected refuseIfFinished(): void {
    if (this.knownState === 'committed') {
      throw TransactionError.forState('TRANSACTION_ALREADY_COMMITTED', this.id);
    }
    if (this.knownState === 'aborted') {
      throw TransactionError.forState('TRANSACTION_ALREADY_ABORTED', this.id);
    }
    if (this.knownState === 'timedOut') {
      throw TransactionError.forState('TRANSACTION_TIMEOUT', this.id);
    }
  }

  /**
   * For a transaction kept in this client (buffered, read-only): refuses an operation of a
   * finished transaction, or one past its deadline on this client's clock.
   */
  protected refuseIfPast(deadline: number): void {
    this.refuseIfFinished();
    if (Date.now() >= deadline) {
      this.knownState = 'timedOut';
      throw TransactionError.forState('TRANSACTION_TIMEOUT', this.id);
    }
  }

  /** Learns the transaction's state from a refusal, as the embedded transaction does. */
  protected async track<T>(call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (error) {
      const learned = stateOfCode((error as { code?: string }).code);
      if (learned) this.knownState = learned;
      throw error;
    }
  }
}
