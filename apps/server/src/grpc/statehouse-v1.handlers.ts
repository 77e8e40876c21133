import { Inject, Injectable } from '@nestjs/common';
import type { Statehouse, StateResult } from '@statehouse/core';
import { TokenAuthenticator } from '../common/auth';
import { STATEHOUSE_CLIENT } from '../common/injection-tokens';
import { MetricsService } from '../observability/metrics.service';
import { ReplayStreams } from '../statehouse/replay-streams';
import { WireTransactions } from '../statehouse/wire-transactions';
import { SERVER_VERSION } from '../version';
import type { StatehouseServiceHandlers } from './generated/statehouse/v1/StatehouseService';
import { replayCall } from './replay-call';
import { replayOptionsOf, txnIdOf } from './request-fields';
import type { CallContext, RpcHandlers, Rpcs, StreamWrite } from './rpc-handlers';
import { jsonToStruct, structToJson } from './struct';

/** The RPCs of statehouse.v1.StatehouseService: request and response types from its .proto. */
type V1 = Rpcs<StatehouseServiceHandlers>;

/**
 * The twelve RPCs of statehouse.v1.StatehouseService, over the engine. Requests arrive as
 * proto-loader decodes them: an absent field is undefined (a string field then reads as '', which
 * the engine refuses with the field's name).
 */
@Injectable()
export class StatehouseV1Handlers implements RpcHandlers<V1> {
  constructor(
    @Inject(STATEHOUSE_CLIENT) private readonly client: Statehouse,
    private readonly transactions: WireTransactions,
    private readonly auth: TokenAuthenticator,
    private readonly metrics: MetricsService,
    private readonly streams: ReplayStreams,
  ) {}

  Health(): Promise<V1['Health']['response']> {
    return Promise.resolve({ status: 'ok' });
  }

  Version(): Promise<V1['Version']['response']> {
    return Promise.resolve({ version: SERVER_VERSION.version, git_sha: SERVER_VERSION.gitSha });
  }

  async BeginTransaction(
    request: V1['BeginTransaction']['request'],
    context: CallContext,
  ): Promise<V1['BeginTransaction']['response']> {
    this.metrics.begun();
    return { txn_id: await this.transactions.begin(request.timeout_ms, context.principal) };
  }

  async Write(
    request: V1['Write']['request'],
    context: CallContext,
  ): Promise<V1['Write']['response']> {
    const tx = await this.transactions.forOperation(
      txnIdOf(request),
      context.principal,
      this.auth.namespaceOf(request.namespace),
    );
    await tx.write({
      agentId: request.agent_id ?? '',
      key: request.key ?? '',
      value: structToJson(request.value),
    });
    return {};
  }

  async Delete(
    request: V1['Delete']['request'],
    context: CallContext,
  ): Promise<V1['Delete']['response']> {
    const tx = await this.transactions.forOperation(
      txnIdOf(request),
      context.principal,
      this.auth.namespaceOf(request.namespace),
    );
    await tx.delete({
      agentId: request.agent_id ?? '',
      key: request.key ?? '',
    });
    return {};
  }

  async Commit(
    request: V1['Commit']['request'],
    context: CallContext,
  ): Promise<V1['Commit']['response']> {
    const { commitTs } = await this.transactions.commit(txnIdOf(request), context.principal);
    return { commit_ts: commitTs };
  }

  async Abort(
    request: V1['Abort']['request'],
    context: CallContext,
  ): Promise<V1['Abort']['response']> {
    await this.transactions.abort(txnIdOf(request), context.principal);
    return {};
  }

  async GetState(
    request: V1['GetState']['request'],
    context: CallContext,
  ): Promise<V1['GetState']['response']> {
    const namespace = this.auth.authorizedNamespace(context.principal, request.namespace);
    return stateResponse(
      await this.client.getState({
        namespace,
        agentId: request.agent_id ?? '',
        key: request.key ?? '',
      }),
    );
  }

  async GetStateAtVersion(
    request: V1['GetStateAtVersion']['request'],
    context: CallContext,
  ): Promise<V1['GetStateAtVersion']['response']> {
    const namespace = this.auth.authorizedNamespace(context.principal, request.namespace);
    return stateResponse(
      await this.client.getStateAtVersion({
        namespace,
        agentId: request.agent_id ?? '',
        key: request.key ?? '',
        version: request.version ?? 0,
      }),
    );
  }

  /** Every live key (statehouse.v1 has no pagination: the whole list in one message). */
  async ListKeys(
    request: V1['ListKeys']['request'],
    context: CallContext,
  ): Promise<V1['ListKeys']['response']> {
    const namespace = this.auth.authorizedNamespace(context.principal, request.namespace);
    const agentId = request.agent_id ?? '';
    const keys: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { keys: string[]; cursor: string | null } = await this.client.listKeys({
        namespace,
        agentId,
        limit: 10_000,
        cursor,
      });
      keys.push(...page.keys);
      cursor = page.cursor;
    } while (cursor !== null);
    return { keys };
  }

  async ScanPrefix(
    request: V1['ScanPrefix']['request'],
    context: CallContext,
  ): Promise<V1['ScanPrefix']['response']> {
    const namespace = this.auth.authorizedNamespace(context.principal, request.namespace);
    const agentId = request.agent_id ?? '';
    const prefix = request.prefix ?? '';
    const entries: NonNullable<V1['ScanPrefix']['response']['entries']> = [];
    let cursor: string | null = null;
    do {
      const page = await this.client.scanPrefix({
        namespace,
        agentId,
        prefix,
        limit: 1000,
        cursor,
      });
      for (const entry of page.entries) {
        entries.push({
          key: entry.key,
          value: jsonToStruct(entry.value),
          version: entry.version,
          commit_ts: entry.commitTs,
        });
      }
      cursor = page.cursor;
    } while (cursor !== null);
    return { entries };
  }

  /**
   * Events in commit order, start_ts and end_ts inclusive; `write` waits while the client is slow.
   * At shutdown the stream ends at once with status UNAVAILABLE "server shutting down" (the Python
   * SDK's replay iterator raises it as a grpc.RpcError).
   */
  Replay(
    request: V1['Replay']['request'],
    context: CallContext,
    write: StreamWrite<V1['Replay']['response']>,
  ): Promise<void> {
    const namespace = this.auth.authorizedNamespace(context.principal, request.namespace);
    return replayCall(
      this.streams,
      context,
      false,
      (signal) => this.client.replay(replayOptionsOf(request, namespace, false, signal)),
      (event, stop) =>
        write(
          {
            // The id the client knows: a wire transaction's is the part after "<namespace>~".
            txn_id: event.txId.startsWith(`${namespace}~`)
              ? event.txId.slice(namespace.length + 1)
              : event.txId,
            commit_ts: event.commitTs,
            operations: event.operations.map((op) => ({
              key: op.key,
              ...(op.value === null ? {} : { value: jsonToStruct(op.value) }),
              version: op.version,
            })),
          },
          stop,
        ),
    );
  }
}

function stateResponse(state: StateResult): V1['GetState']['response'] {
  return {
    ...(state.value === null ? {} : { value: jsonToStruct(state.value) }),
    version: state.version,
    commit_ts: state.commitTs,
    exists: state.exists,
  };
}
