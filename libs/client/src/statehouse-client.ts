import * as grpc from '@grpc/grpc-js';
import {
  abortable,
  ClientClosedError,
  commitUntilKnown,
  TransactionConflictError,
  ValidationError,
  retryDelayMs,
  type ApiBeginOptions,
  type ApiTransactionOptions,
  type JsonObject,
  type ListKeysInput,
  type RecordRef,
  type ReplayEvent,
  type ReplayInput,
  type ScanPrefixInput,
  type StateEntry,
  type StatehouseApi,
  type StateResult,
  type TransactionDescription,
  type TransactionState,
  type ReplayEvent__Output,
  type StatehouseExtServiceClient,
  type StateResult__Output,
} from '@statehouse/contract';
import { extServiceClient, type ExtRequest, type ExtResponse, type ExtUnaryMethod } from './proto';
import { remoteError } from './remote-errors';
import { RemoteTransaction } from './remote-transaction';

export interface StatehouseClientOptions {
  /** The server's gRPC address, `host:port` (e.g. `localhost:50051`). */
  readonly url: string;
  /** A bearer token, when the server has tokens. */
  readonly token?: string;
  /** The namespace of calls that name none. Default `default`. */
  readonly namespace?: string;
  /** Per-call deadline, ms (not for replay). Default 30000. */
  readonly callTimeoutMs?: number;
}

/** One unary call of statehouse_ts.v1, typed from the .proto (scripts/proto-types.mjs). */
export type Rpc = <M extends ExtUnaryMethod>(
  method: M,
  request: ExtRequest<M>,
  options?: { commit?: boolean },
) => Promise<ExtResponse<M>>;

/** The overload of a generated client method the unary calls use. */
type Unary<M extends ExtUnaryMethod> = (
  request: ExtRequest<M>,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: ExtResponse<M>) => void,
) => grpc.ClientUnaryCall;

/**
 * A Statehouse server's client: the same API as the embedded `Statehouse` (`StatehouseApi`), over
 * gRPC (the server's statehouse_ts.v1 service).
 *
 * ```ts
 * const client = await StatehouseClient.connect({ url: 'localhost:50051', token, namespace: 'prod' });
 * await client.transaction(async (tx) => tx.write({ agentId, key: 'memory', value: { fact } }));
 * ```
 */
export class StatehouseClient implements StatehouseApi {
  private closed = false;
  /** Replay calls in progress: close() cancels them (grpc-js' close() would wait for them). */
  private readonly replays = new Set<grpc.ClientReadableStream<ReplayEvent__Output>>();
  private readonly rpc: Rpc;

  private constructor(
    private readonly grpcClient: StatehouseExtServiceClient,
    private readonly options: Required<Omit<StatehouseClientOptions, 'token'>> & { token?: string },
  ) {
    this.rpc = (method, request, { commit = false } = {}) => this.unary(method, request, commit);
  }

  /** Connects (waits until the server answers, at most `callTimeoutMs`). */
  static async connect(options: StatehouseClientOptions): Promise<StatehouseClient> {
    if (typeof options?.url !== 'string' || options.url === '') {
      throw new ValidationError('url', 'must be the server address, host:port');
    }
    const resolved = {
      url: options.url.replace(/^grpc:\/\//, ''),
      namespace: options.namespace ?? 'default',
      callTimeoutMs: options.callTimeoutMs ?? 30_000,
      ...(options.token ? { token: options.token } : {}),
    };
    const Service = extServiceClient();
    const client = new Service(resolved.url, grpc.credentials.createInsecure());
    const instance = new StatehouseClient(client, resolved);
    await instance.lastCommitTs(); // fails fast with a clear error when the server is unreachable
    return instance;
  }

  get namespace(): string {
    return this.options.namespace;
  }

  async beginTransaction(options: ApiBeginOptions = {}): Promise<RemoteTransaction> {
    const namespace = options.namespace ?? this.namespace;
    const { txn_id } = await this.rpc('BeginTransaction', {
      namespace,
      ...(options.timeoutMs === undefined ? {} : { timeout_ms: options.timeoutMs }),
    });
    return new RemoteTransaction(this.rpc, String(txn_id), namespace);
  }

  async resumeTransaction(id: string): Promise<RemoteTransaction> {
    const info = await this.describeTransaction(id);
    return new RemoteTransaction(this.rpc, info.id, info.namespace, info.state);
  }

  async describeTransaction(id: string): Promise<TransactionDescription> {
    const info = await this.rpc('DescribeTransaction', { txn_id: id });
    return {
      id: String(info.txn_id),
      namespace: String(info.namespace),
      state: info.state as TransactionState,
      deadline: Number(info.deadline ?? 0),
      createdAt: Number(info.created_at ?? 0),
      finishedAt: info.finished_at === undefined ? null : Number(info.finished_at),
      commitTs: info.commit_ts === undefined ? null : Number(info.commit_ts),
    };
  }

  async transaction<T>(
    fn: (tx: RemoteTransaction) => Promise<T>,
    options: ApiTransactionOptions = {},
  ): Promise<T> {
    const maxRetries = options.maxRetries ?? 5;
    for (let attempt = 0; ; attempt++) {
      const tx = await this.beginTransaction(options);
      try {
        const result = await fn(tx);
        if (tx.state === 'open') await commitUntilKnown(() => tx.commit());
        return result;
      } catch (error) {
        if (tx.state === 'open') await tx.abort().catch(() => undefined);
        if (!(error instanceof TransactionConflictError) || attempt >= maxRetries) throw error;
        await new Promise((done) => setTimeout(done, retryDelayMs(attempt)));
      }
    }
  }

  async getState(input: RecordRef & { readonly atTs?: number }): Promise<StateResult> {
    return stateResult(
      await this.rpc('GetState', {
        ...this.record(input),
        ...(input?.atTs === undefined ? {} : { at_ts: input.atTs }),
      }),
    );
  }

  async getStateAtVersion(input: RecordRef & { readonly version: number }): Promise<StateResult> {
    return stateResult(
      await this.rpc('GetState', { ...this.record(input), version: input?.version }),
    );
  }

  async listKeys(input: ListKeysInput): Promise<{ keys: string[]; cursor: string | null }> {
    const page = await this.rpc('ListKeys', this.page(input));
    return { keys: page.keys ?? [], cursor: page.cursor || null };
  }

  async scanPrefix(
    input: ScanPrefixInput,
  ): Promise<{ entries: StateEntry[]; cursor: string | null }> {
    const page = await this.rpc('ScanPrefix', { ...this.page(input), prefix: input?.prefix });
    const entries = (page.entries ?? []).map((entry) => ({
      key: String(entry.key),
      value: JSON.parse(String(entry.value_json)) as JsonObject,
      version: Number(entry.version),
      commitTs: Number(entry.commit_ts),
    }));
    return { entries, cursor: (page.cursor as string) || null };
  }

  /**
   * The agent's events in commit order; with `follow`, then new commits until the loop breaks, the
   * iterator's return() is called, `signal` aborts or the client closes (each cancels the call at
   * once, also while it waits for a commit). A server shutting down ends the stream with ShuttingDownError.
   */
  replay(input: ReplayInput): AsyncIterable<ReplayEvent> {
    this.assertOpen();
    const given = input?.signal;
    if (given !== undefined && !(given instanceof AbortSignal)) {
      throw new ValidationError('signal', 'must be an AbortSignal');
    }
    return abortable((signal) => this.replayCall(input, signal), given);
  }

  private async *replayCall(
    input: ReplayInput,
    signal: AbortSignal,
  ): AsyncGenerator<ReplayEvent, void, undefined> {
    const call = this.grpcClient.Replay(
      {
        namespace: input?.namespace ?? this.namespace,
        agent_id: input?.agentId,
        ...(input?.startTs === undefined ? {} : { start_ts: input.startTs }),
        ...(input?.endTs === undefined ? {} : { end_ts: input.endTs }),
        follow: input?.follow === true,
      },
      this.metadata(),
    );
    const cancel = (): void => call.cancel();
    signal.addEventListener('abort', cancel, { once: true });
    this.replays.add(call);
    try {
      for await (const event of call as AsyncIterable<ReplayEvent__Output>) {
        yield {
          txId: String(event.txn_id),
          commitTs: Number(event.commit_ts),
          operations: (event.operations ?? []).map((op) => ({
            key: String(op.key),
            value: JSON.parse(String(op.value_json)) as JsonObject | null,
            version: Number(op.version),
          })),
        };
      }
    } catch (error) {
      if ((error as grpc.ServiceError).code === grpc.status.CANCELLED) return;
      throw remoteError(error, { address: this.options.url });
    } finally {
      this.replays.delete(call);
      signal.removeEventListener('abort', cancel);
      call.cancel(); // the loop broke early: stop the server's stream
    }
  }

  async lastCommitTs(namespace?: string): Promise<number> {
    const { commit_ts } = await this.rpc('LastCommitTs', {
      namespace: namespace ?? this.namespace,
    });
    return Number(commit_ts ?? 0);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const call of this.replays) call.cancel();
    this.grpcClient.close();
    return Promise.resolve();
  }

  private unary<M extends ExtUnaryMethod>(
    method: M,
    request: ExtRequest<M>,
    commit: boolean,
  ): Promise<ExtResponse<M>> {
    this.assertOpen();
    const txId = (request as { txn_id?: string }).txn_id;
    return new Promise((resolve, reject) => {
      const fn = (this.grpcClient[method] as Unary<M>).bind(this.grpcClient);
      fn(
        request,
        this.metadata(),
        { deadline: Date.now() + this.options.callTimeoutMs },
        (error, response) =>
          error
            ? reject(
                remoteError(error, {
                  commit,
                  address: this.options.url,
                  ...(txId ? { txId } : {}),
                }),
              )
            : resolve(response!),
      );
    });
  }

  private metadata(): grpc.Metadata {
    const metadata = new grpc.Metadata();
    if (this.options.token) metadata.set('authorization', `Bearer ${this.options.token}`);
    return metadata;
  }

  private record(input: RecordRef): ExtRequest<'GetState'> {
    return {
      namespace: input?.namespace ?? this.namespace,
      agent_id: input?.agentId,
      key: input?.key,
    };
  }

  private page(input: ListKeysInput): ExtRequest<'ListKeys'> {
    return {
      namespace: input?.namespace ?? this.namespace,
      agent_id: input?.agentId,
      ...(input?.limit === undefined ? {} : { limit: input.limit }),
      ...(input?.cursor ? { cursor: input.cursor } : {}),
    };
  }

  private assertOpen(): void {
    if (this.closed) throw new ClientClosedError();
  }
}

function stateResult(state: StateResult__Output): StateResult {
  return {
    exists: state.exists === true,
    value: JSON.parse(
      typeof state.value_json === 'string' ? state.value_json : 'null',
    ) as JsonObject | null,
    version: Number(state.version ?? 0),
    commitTs: Number(state.commit_ts ?? 0),
  };
}
