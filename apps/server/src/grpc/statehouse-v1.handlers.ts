import { Inject, Injectable } from '@nestjs/common';
import type { Statehouse, StateResult } from '@statehouse/core';
import type { Principal } from '../common/auth';
import { TokenAuthenticator } from '../common/auth';
import { STATEHOUSE_CLIENT } from '../common/injection-tokens';
import { MetricsService } from '../observability/metrics.service';
import { Committer } from '../statehouse/committer';
import { ReplayStreams } from '../statehouse/replay-streams';
import { WireTransactions } from '../statehouse/wire-transactions';
import { replayCall } from './replay-call';
import { SERVER_VERSION } from '../version';
import { replayOptionsOf, text, txnIdOf, type GrpcRequest } from './request-fields';
import { jsonToStruct, structToJson, type StructMessage } from './struct';

/** What every handler gets besides its request. */
export interface CallContext {
  readonly principal: Principal;
  /** Resolves when the client cancels or goes away (for streams). */
  readonly cancelled: () => boolean;
  /** Aborted when the client cancels or goes away (streams; never for unary calls). */
  readonly signal: AbortSignal;
}

type Request = GrpcRequest;

/** The twelve RPCs of statehouse.v1.StatehouseService, over the engine. */
@Injectable()
export class StatehouseV1Handlers {
  constructor(
    @Inject(STATEHOUSE_CLIENT) private readonly client: Statehouse,
    private readonly transactions: WireTransactions,
    private readonly auth: TokenAuthenticator,
    private readonly metrics: MetricsService,
    private readonly committer: Committer,
    private readonly streams: ReplayStreams,
  ) {}

  Health(): Promise<object> {
    return Promise.resolve({ status: 'ok' });
  }

  Version(): Promise<object> {
    return Promise.resolve({ version: SERVER_VERSION.version, git_sha: SERVER_VERSION.gitSha });
  }

  async BeginTransaction(request: Request, context: CallContext): Promise<object> {
    const timeout = request.timeout_ms;
    this.metrics.begun();
    return {
      txn_id: await this.transactions.begin(
        timeout === undefined ? undefined : Number(timeout),
        context.principal,
      ),
    };
  }

  async Write(request: Request, context: CallContext): Promise<object> {
    const tx = await this.transactions.forOperation(
      txnIdOf(request),
      context.principal,
      this.auth.namespaceOf(request.namespace),
    );
    await tx.write({
      agentId: text(request.agent_id),
      key: text(request.key),
      value: structToJson(request.value as StructMessage | undefined),
    });
    return {};
  }

  async Delete(request: Request, context: CallContext): Promise<object> {
    const tx = await this.transactions.forOperation(
      txnIdOf(request),
      context.principal,
      this.auth.namespaceOf(request.namespace),
    );
    await tx.delete({
      agentId: text(request.agent_id),
      key: text(request.key),
    });
    return {};
  }

  async Commit(request: Request, context: CallContext): Promise<object> {
    const tx = await this.transactions.forOperation(txnIdOf(request), context.principal, undefined);
    return { commit_ts: await this.committer.commit(tx) };
  }

  async Abort(request: Request, context: CallContext): Promise<object> {
    await this.transactions.abort(txnIdOf(request), context.principal);
    this.metrics.outcome('aborted');
    return {};
  }

  async GetState(request: Request, context: CallContext): Promise<object> {
    const namespace = this.auth.authorizedNamespace(context.principal, request.namespace);
    return stateResponse(
      await this.client.getState({
        namespace,
        agentId: text(request.agent_id),
        key: text(request.key),
      }),
    );
  }

  async GetStateAtVersion(request: Request, context: CallContext): Promise<object> {
    const namespace = this.auth.authorizedNamespace(context.principal, request.namespace);
    return stateResponse(
      await this.client.getStateAtVersion({
        namespace,
        agentId: text(request.agent_id),
        key: text(request.key),
        version: Number(request.version ?? 0),
      }),
    );
  }

  /** Every live key (statehouse.v1 has no pagination: the whole list in one message). */
  async ListKeys(request: Request, context: CallContext): Promise<object> {
    const namespace = this.auth.authorizedNamespace(context.principal, request.namespace);
    const agentId = text(request.agent_id);
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

  async ScanPrefix(request: Request, context: CallContext): Promise<object> {
    const namespace = this.auth.authorizedNamespace(context.principal, request.namespace);
    const agentId = text(request.agent_id);
    const prefix = text(request.prefix);
    const entries: object[] = [];
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
    request: Request,
    context: CallContext,
    write: (event: object, ended?: AbortSignal) => Promise<void>,
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

function stateResponse(state: StateResult): object {
  return {
    ...(state.value === null ? {} : { value: jsonToStruct(state.value) }),
    version: state.version,
    commit_ts: state.commitTs,
    exists: state.exists,
  };
}
