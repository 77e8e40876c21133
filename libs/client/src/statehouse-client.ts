import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import {
  abortable,
  ClientClosedError,
  commitUntilKnown,
  PermissionDeniedError,
  TransactionConflictError,
  ValidationError,
  retryDelayMs,
  validateArgs,
  validateBoolean,
  validateInteger,
  validateNamespace,
  validateRetention,
  compactionFromWire,
  policyToWire,
  retentionInfoFromWire,
  MAX_PAGE,
  type CompactionResult,
  type RetentionInfo,
  type SetRetentionInput,
  type AgentInfo,
  type ExportOptions,
  type ImportOptions,
  type ImportSource,
  type ImportSummary,
  type ListAgentsInput,
  type NamespaceInfo,
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
import {
  exportLines,
  exportRequest,
  importCall,
  listAgents,
  listNamespaces,
  type CallSetup,
} from './operator-calls';
import { BufferedRemoteTransaction } from './transactions/buffered-remote-transaction';
import { RemoteTransaction } from './transactions/remote-transaction';
import { SnapshotRemoteTransaction } from './transactions/snapshot-remote-transaction';
import { StagedRemoteTransaction } from './transactions/staged-remote-transaction';

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

/** The timeout of a transaction whose options name none (the server's default, 30 s). */
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RETRIES = 5;

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
  /** Snapshot streams in progress (exportSnapshot, importSnapshot): close() cancels them. */
  private readonly streams = new Set<{ cancel(): void }>();
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
    const client = new Service(resolved.url, grpc.credentials.createInsecure(), {
      // As the server's: a snapshot line (a commit of a history dump) or a replay event holds a
      // whole transaction, up to maxTransactionBytes (16 MiB), beyond grpc-js' 4 MiB default.
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    });
    const instance = new StatehouseClient(client, resolved);
    // Fails fast with a clear error when the server is unreachable or refuses the token. A token
    // scoped to namespaces other than the default one is refused there, yet the server answered
    // and knows the token: connected (listNamespaces, or calls naming their namespace, work).
    await instance.lastCommitTs().catch((error: unknown) => {
      if (!(error instanceof PermissionDeniedError)) throw error;
    });
    return instance;
  }

  get namespace(): string {
    return this.options.namespace;
  }

  /**
   * Begins a transaction: staged on the server by default (resumable from any process by its id;
   * one call per operation), `buffered` (kept here and sent whole at commit: one call for blind
   * writes), `readOnly` (reads at one snapshot, `readTs` or the last commit), or `lazy` (staged,
   * with its id chosen here and its begin carried by its first operation: no call now).
   */
  async beginTransaction(options: ApiBeginOptions = {}): Promise<RemoteTransaction> {
    this.assertOpen();
    const args = validateArgs<ApiBeginOptions>(options, 'beginTransaction');
    const namespace =
      args.namespace === undefined ? this.namespace : validateNamespace(args.namespace);
    const timeoutMs =
      args.timeoutMs === undefined ? undefined : validateInteger(args.timeoutMs, 'timeoutMs', 1);
    const flag = (name: 'readOnly' | 'buffered' | 'lazy'): boolean =>
      args[name] === undefined ? false : validateBoolean(args[name], name);
    if (flag('readOnly')) {
      if (flag('buffered') || flag('lazy')) {
        throw new ValidationError(
          flag('buffered') ? 'buffered' : 'lazy',
          'is for read-write transactions: a read-only one lives in its client',
        );
      }
      return this.beginReadOnly(namespace, args.readTs, timeoutMs);
    }
    if (args.readTs !== undefined) {
      throw new ValidationError('readTs', 'is for read-only transactions: pass readOnly: true too');
    }
    if (flag('buffered')) {
      if (flag('lazy')) throw new ValidationError('lazy', 'cannot be combined with buffered');
      return new BufferedRemoteTransaction(this.rpc, namespace, timeoutMs ?? DEFAULT_TIMEOUT_MS);
    }
    if (flag('lazy')) {
      return new StagedRemoteTransaction(
        this.rpc,
        `${namespace}~${randomUUID()}`,
        namespace,
        'open',
        timeoutMs ?? 0, // 0: the server's default
      );
    }
    const { txn_id } = await this.rpc('BeginTransaction', {
      namespace,
      ...(timeoutMs === undefined ? {} : { timeout_ms: timeoutMs }),
    });
    return new StagedRemoteTransaction(this.rpc, String(txn_id), namespace);
  }

  /** A staged transaction begun anywhere, continued here by its id. */
  async resumeTransaction(id: string): Promise<RemoteTransaction> {
    const info = await this.describeTransaction(id);
    return new StagedRemoteTransaction(this.rpc, info.id, info.namespace, info.state);
  }

  private async beginReadOnly(
    namespace: string,
    readTs: unknown,
    timeoutMs: number | undefined,
  ): Promise<RemoteTransaction> {
    const last = await this.lastCommitTs(namespace);
    const snapshotTs = readTs === undefined ? last : validateInteger(readTs, 'readTs', 0);
    if (snapshotTs > last) {
      throw new ValidationError(
        'readTs',
        `must not be after the namespace's last commitTs (${last})`,
      );
    }
    return new SnapshotRemoteTransaction(
      this.rpc,
      `${namespace}~${randomUUID()}`,
      namespace,
      snapshotTs,
      Date.now() + (timeoutMs ?? DEFAULT_TIMEOUT_MS),
    );
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

  /**
   * Runs `fn` in a transaction, commits when it returns, aborts when it throws, and runs it again
   * after a conflict. Buffered unless the options say otherwise (`buffered: false` for a staged
   * one, `readOnly: true`): a transaction scoped to a callback is never continued elsewhere, so
   * it keeps its operations here and commits them in one call (blind writes: one call in all; a
   * read-modify-write: its reads and one commit).
   */
  async transaction<T>(
    fn: (tx: RemoteTransaction) => Promise<T>,
    options: ApiTransactionOptions = {},
  ): Promise<T> {
    if (typeof fn !== 'function') {
      throw new ValidationError('transaction callback', 'must be a function');
    }
    const args = validateArgs<ApiTransactionOptions>(options, 'transaction');
    if (args.lazy !== undefined) {
      throw new ValidationError(
        'lazy',
        'is for beginTransaction; client.transaction begins eagerly',
      );
    }
    const { maxRetries: retries, ...begin } = args;
    const maxRetries =
      retries === undefined ? DEFAULT_MAX_RETRIES : validateInteger(retries, 'maxRetries', 0, 1000);
    const mode = begin.readOnly === true ? begin : { buffered: true, ...begin };
    for (let attempt = 0; ; attempt++) {
      const tx = await this.beginTransaction(mode);
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
        ...(input?.atTs === undefined ? {} : { at_ts: validateInteger(input.atTs, 'atTs', 0) }),
      }),
    );
  }

  async getStateAtVersion(input: RecordRef & { readonly version: number }): Promise<StateResult> {
    return stateResult(
      await this.rpc('GetState', {
        ...this.record(input),
        version: validateInteger(input?.version, 'version', 1),
      }),
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
    // Checked now, as the engine checks them: a negative bound would wrap around in a uint64.
    const request = {
      namespace: input?.namespace ?? this.namespace,
      agent_id: input?.agentId,
      ...(input?.startTs === undefined
        ? {}
        : { start_ts: validateInteger(input.startTs, 'startTs', 0) }),
      ...(input?.endTs === undefined ? {} : { end_ts: validateInteger(input.endTs, 'endTs', 0) }),
      follow: input?.follow === true,
      ...(input?.fromHorizon === undefined
        ? {}
        : { from_horizon: validateBoolean(input.fromHorizon, 'fromHorizon') }),
    };
    return abortable((signal) => this.replayCall(request, signal), given);
  }

  private async *replayCall(
    request: ExtRequest<'Replay'>,
    signal: AbortSignal,
  ): AsyncGenerator<ReplayEvent, void, undefined> {
    const call = this.grpcClient.Replay(request, this.metadata());
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
          ...(event.horizon === undefined ? {} : { horizon: Number(event.horizon) }),
          ...(event.time_ms === undefined ? {} : { time: Number(event.time_ms) }),
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

  /** A namespace's retention policy (see the engine's `setRetention`); `{}` keeps everything. */
  async setRetention(input: SetRetentionInput): Promise<RetentionInfo> {
    const { namespace, ...rules } = validateArgs<SetRetentionInput>(input, 'setRetention');
    // Checked here as the engine checks them: a negative rule would wrap around in a uint64.
    const policy = policyToWire(validateRetention(rules, ''));
    return retentionInfoFromWire(
      await this.rpc('SetRetention', { namespace: namespace ?? this.namespace, policy }),
    );
  }

  async getRetention(input: { readonly namespace?: string } = {}): Promise<RetentionInfo> {
    return retentionInfoFromWire(
      await this.rpc('GetRetention', { namespace: input.namespace ?? this.namespace }),
    );
  }

  /** Compacts a namespace now, on the server, to completion. */
  async compact(input: { readonly namespace?: string } = {}): Promise<CompactionResult> {
    return compactionFromWire(
      await this.rpc('Compact', { namespace: input.namespace ?? this.namespace }),
    );
  }

  async lastCommitTs(namespace?: string): Promise<number> {
    const { commit_ts } = await this.rpc('LastCommitTs', {
      namespace: namespace ?? this.namespace,
    });
    return Number(commit_ts ?? 0);
  }

  /** Every namespace the token may use, in byte-wise order of the name. */
  listNamespaces(): Promise<{ namespaces: NamespaceInfo[] }> {
    return listNamespaces(this.rpc);
  }

  /** A namespace's agents in byte-wise order of their id, a page at a time. */
  listAgents(input: ListAgentsInput = {}): Promise<{ agents: AgentInfo[]; cursor: string | null }> {
    return listAgents(this.rpc, input, this.namespace);
  }

  /**
   * A consistent snapshot as NDJSON lines, streamed from the server with backpressure (a message
   * per line): memory bounded however large the namespace. Breaking the loop cancels the call.
   */
  exportSnapshot(options?: ExportOptions): AsyncIterable<string> {
    this.assertOpen();
    const request = exportRequest(options, this.namespace);
    return { [Symbol.asyncIterator]: () => exportLines(this.calls(), request) };
  }

  /**
   * Streams a snapshot to the server (strings are lines; Uint8Arrays raw NDJSON chunks), which
   * writes it in batched transactions; resolves with the import's summary.
   */
  importSnapshot(source: ImportSource, options?: ImportOptions): Promise<ImportSummary> {
    this.assertOpen();
    return importCall(this.calls(), source, options);
  }

  private calls(): CallSetup {
    return {
      grpcClient: this.grpcClient,
      metadata: () => this.metadata(),
      address: this.options.url,
      namespace: this.namespace,
      calls: this.streams,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const call of this.replays) call.cancel();
    for (const call of this.streams) call.cancel();
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
      ...(input?.limit === undefined
        ? {}
        : { limit: validateInteger(input.limit, 'limit', 1, MAX_PAGE) }),
      ...(input?.cursor ? { cursor: input.cursor } : {}),
      ...(input?.atTs === undefined ? {} : { at_ts: validateInteger(input.atTs, 'atTs', 0) }),
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
