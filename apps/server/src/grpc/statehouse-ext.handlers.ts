import { Inject, Injectable } from '@nestjs/common';
import type { StatehouseExtServiceHandlers } from '@statehouse/contract';
import {
  parseJsonText,
  validateRecordRefs,
  readTransactionId,
  ValidationError,
  type DeleteInput,
  type JsonObject,
  type Statehouse,
  type SentOperation,
  type StateResult,
  type Transaction,
  type WriteInput,
} from '@statehouse/core';
import { TokenAuthenticator } from '../common/auth';
import { SERVER_CONFIG, STATEHOUSE_CLIENT } from '../common/injection-tokens';
import type { ServerConfig } from '../config/server-config';
import { MetricsService } from '../observability/metrics.service';
import { ReplayStreams } from '../statehouse/replay-streams';
import { WireTransactions } from '../statehouse/wire-transactions';
import type { OperatorRpc } from './operator.handlers';
import { replayCall } from './replay-call';
import { replayOptionsOf, txnIdOf } from './request-fields';
import type { CallContext, RpcHandlers, Rpcs, StreamWrite } from './rpc-handlers';

/** The RPCs of statehouse_ts.v1.StatehouseExtService: types from its .proto (in @statehouse/contract). */
type Ext = Rpcs<StatehouseExtServiceHandlers>;

/** The fields of a write (WriteRequest, or an Operation of CommitOperations). */
type WriteFields = Pick<Ext['Write']['request'], 'agent_id' | 'key' | 'value_json' | 'if_version'>;
/** The fields of a delete (DeleteRequest, or an Operation of CommitOperations). */
type DeleteFields = Pick<Ext['Delete']['request'], 'agent_id' | 'key' | 'if_version'>;

/**
 * statehouse_ts.v1.StatehouseExtService: what statehouse.v1 cannot express (see its .proto). The
 * transaction ids are engine ids (`<namespace>~<uuid>`), accepted by statehouse.v1 as well.
 */
@Injectable()
export class StatehouseExtHandlers implements RpcHandlers<Omit<Ext, OperatorRpc>> {
  constructor(
    @Inject(STATEHOUSE_CLIENT) private readonly client: Statehouse,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    private readonly transactions: WireTransactions,
    private readonly auth: TokenAuthenticator,
    private readonly metrics: MetricsService,
    private readonly streams: ReplayStreams,
  ) {}

  async BeginTransaction(
    request: Ext['BeginTransaction']['request'],
    context: CallContext,
  ): Promise<Ext['BeginTransaction']['response']> {
    if (request.txn_id) {
      const tx = await this.transactions.beginning(
        request.txn_id,
        context.principal,
        request.timeout_ms || this.client.limits.defaultTimeoutMs, // 0: the server's default
      );
      return { txn_id: tx.id, namespace: tx.namespace };
    }
    const namespace = this.auth.authorizedNamespace(context.principal, request.namespace);
    const tx = await this.client.beginTransaction({
      namespace,
      detached: true,
      ...(request.timeout_ms === undefined ? {} : { timeoutMs: request.timeout_ms }),
    });
    this.metrics.begun();
    return { txn_id: tx.id, namespace };
  }

  async Write(
    request: Ext['Write']['request'],
    context: CallContext,
  ): Promise<Ext['Write']['response']> {
    const tx = await transactionOf(this.client, this.transactions, request, context);
    await tx.write(writeInput(request));
    return {};
  }

  async Delete(
    request: Ext['Delete']['request'],
    context: CallContext,
  ): Promise<Ext['Delete']['response']> {
    const tx = await transactionOf(this.client, this.transactions, request, context);
    await tx.delete(deleteInput(request));
    return {};
  }

  async Append(
    request: Ext['Append']['request'],
    context: CallContext,
  ): Promise<Ext['Append']['response']> {
    const tx = await transactionOf(this.client, this.transactions, request, context);
    const handle = await tx.append({
      agentId: request.agent_id ?? '',
      prefix: request.prefix ?? '',
      value: parseValue(request.value_json),
    });
    return { append_id: handle.id };
  }

  async Get(request: Ext['Get']['request'], context: CallContext): Promise<Ext['Get']['response']> {
    const tx = await transactionOf(this.client, this.transactions, request, context);
    const read = await tx.get({ agentId: request.agent_id ?? '', key: request.key ?? '' });
    return { ...stateResult(read), staged: read.staged };
  }

  async Commit(
    request: Ext['Commit']['request'],
    context: CallContext,
  ): Promise<Ext['Commit']['response']> {
    const id = txnIdOf(request);
    const token = request.commit_token ?? '';
    const { commitTs, appended } = await this.transactions.commit(
      id,
      context.principal,
      token || undefined,
    );
    return {
      commit_ts: commitTs,
      txn_id: id,
      appended: [...appended].map(([append_id, key]) => ({ append_id, key })),
    };
  }

  async Abort(
    request: Ext['Abort']['request'],
    context: CallContext,
  ): Promise<Ext['Abort']['response']> {
    await this.transactions.abort(txnIdOf(request), context.principal);
    return {};
  }

  async DescribeTransaction(
    request: Ext['DescribeTransaction']['request'],
    context: CallContext,
  ): Promise<Ext['DescribeTransaction']['response']> {
    const id = txnIdOf(request);
    // Read from the right: a namespace may hold '~' itself.
    const namespace = readTransactionId(id)?.namespace ?? this.config.namespace;
    this.auth.authorize(context.principal, namespace, id);
    const info = await this.client.describeTransaction(id);
    return {
      txn_id: info.id,
      namespace: info.namespace,
      state: info.state,
      deadline: info.deadline,
      created_at: info.createdAt,
      ...(info.finishedAt === null ? {} : { finished_at: info.finishedAt }),
      ...(info.commitTs === null ? {} : { commit_ts: info.commitTs }),
    };
  }

  /**
   * A whole transaction in one call, applied atomically in one script (a buffered transaction
   * sent whole: operations, and the conditions of its reads and listings). With the client's
   * txn_id and commit_token, a resend after a lost answer returns the first commit_ts.
   */
  async CommitOperations(
    request: Ext['CommitOperations']['request'],
    context: CallContext,
  ): Promise<Ext['CommitOperations']['response']> {
    const txnId = request.txn_id ?? '';
    const named = txnId === '' ? undefined : readTransactionId(txnId);
    if (txnId !== '' && !named) {
      throw new ValidationError('txn_id', 'must be "<namespace>~<lowercase uuid>" or empty');
    }
    const namespace = this.auth.authorizedNamespace(
      context.principal,
      named?.namespace ?? request.namespace,
    );
    const { commitTs, txId, appendedKeys } = await this.transactions.commitOperations({
      namespace,
      ...(named ? { id: txnId } : {}),
      ...(request.commit_token ? { commitToken: request.commit_token } : {}),
      operations: (request.operations ?? []).map((operation, i) => sentOperation(operation, i)),
      reads: (request.reads ?? []).map((read) => ({
        agentId: read.agent_id ?? '',
        key: read.key ?? '',
        version: read.version ?? 0,
      })),
      listings: (request.listings ?? []).map((listing) => ({
        agentId: listing.agent_id ?? '',
        membership: listing.membership ?? 0,
      })),
    });
    return { commit_ts: commitTs, txn_id: txId, appended_keys: appendedKeys };
  }

  async GetState(
    request: Ext['GetState']['request'],
    context: CallContext,
  ): Promise<Ext['GetState']['response']> {
    const record = {
      namespace: this.auth.authorizedNamespace(context.principal, request.namespace),
      agentId: request.agent_id ?? '',
      key: request.key ?? '',
    };
    if (request.version !== undefined) {
      return stateResult(
        await this.client.getStateAtVersion({ ...record, version: request.version }),
      );
    }
    return stateResult(
      await this.client.getState(
        request.at_ts === undefined ? record : { ...record, atTs: request.at_ts },
      ),
    );
  }

  /** Several records, each as GetState reads it (latest, or as of at_ts), in the order asked. */
  async GetStates(
    request: Ext['GetStates']['request'],
    context: CallContext,
  ): Promise<Ext['GetStates']['response']> {
    const namespace = this.auth.authorizedNamespace(context.principal, request.namespace);
    const records = validateRecordRefs(
      (request.records ?? []).map((ref) => ({ agentId: ref.agent_id ?? '', key: ref.key ?? '' })),
    );
    const atTs = request.at_ts === undefined ? {} : { atTs: request.at_ts };
    const states = await Promise.all(
      records.map((ref) => this.client.getState({ namespace, ...ref, ...atTs })),
    );
    return { states: states.map(stateResult) };
  }

  async ListKeys(
    request: Ext['ListKeys']['request'],
    context: CallContext,
  ): Promise<Ext['ListKeys']['response']> {
    if (request.txn_id) {
      const tx = await this.transactions.forOperation(request.txn_id, context.principal, undefined);
      const page = await tx.listKeys({ agentId: request.agent_id ?? '', ...pageOf(request) });
      return { keys: page.keys, cursor: page.cursor ?? '' };
    }
    const page = await this.client.listKeys({
      namespace: this.auth.authorizedNamespace(context.principal, request.namespace),
      agentId: request.agent_id ?? '',
      ...pageOf(request),
      ...atTsOf(request),
    });
    return { keys: page.keys, cursor: page.cursor ?? '' };
  }

  async ScanPrefix(
    request: Ext['ScanPrefix']['request'],
    context: CallContext,
  ): Promise<Ext['ScanPrefix']['response']> {
    const input = {
      agentId: request.agent_id ?? '',
      prefix: request.prefix ?? '',
      ...pageOf(request),
    };
    const page = request.txn_id
      ? await (
          await this.transactions.forOperation(request.txn_id, context.principal, undefined)
        ).scanPrefix(input)
      : await this.client.scanPrefix({
          namespace: this.auth.authorizedNamespace(context.principal, request.namespace),
          ...input,
          ...atTsOf(request),
        });
    return {
      entries: page.entries.map((entry) => ({
        key: entry.key,
        value_json: JSON.stringify(entry.value),
        version: entry.version,
        commit_ts: entry.commitTs,
        staged: 'staged' in entry && entry.staged === true,
      })),
      cursor: page.cursor ?? '',
    };
  }

  async ListForTransaction(
    request: Ext['ListForTransaction']['request'],
    context: CallContext,
  ): Promise<Ext['ListForTransaction']['response']> {
    const { committed, membership } = await this.client.listForTransaction({
      namespace: this.auth.authorizedNamespace(context.principal, request.namespace),
      agentId: request.agent_id ?? '',
      prefix: request.prefix ?? '',
      withValues: request.with_values === true,
      ...pageOf(request),
    });
    return {
      entries: committed.map(({ key, stored }) => ({
        key,
        value_json: stored ? JSON.stringify(stored.value) : '',
        version: stored?.version ?? 0,
        commit_ts: stored?.commitTs ?? 0,
      })),
      membership,
    };
  }

  /** Like statehouse.v1's Replay, with `follow`; ended at shutdown with UNAVAILABLE "server shutting down". */
  Replay(
    request: Ext['Replay']['request'],
    context: CallContext,
    write: StreamWrite<Ext['Replay']['response']>,
  ): Promise<void> {
    const namespace = this.auth.authorizedNamespace(context.principal, request.namespace);
    const follow = request.follow === true;
    return replayCall(
      this.streams,
      context,
      follow,
      (signal) =>
        this.client.replay({
          ...replayOptionsOf(request, namespace, follow, signal),
          ...(request.from_horizon ? { fromHorizon: true } : {}),
        }),
      (event, stop) =>
        write(
          {
            txn_id: event.txId,
            commit_ts: event.commitTs,
            operations: event.operations.map((op) => ({
              key: op.key,
              value_json: JSON.stringify(op.value),
              version: op.version,
            })),
            ...(event.horizon === undefined ? {} : { horizon: event.horizon }),
            ...(event.time === undefined ? {} : { time_ms: event.time }),
          },
          stop,
        ),
    );
  }

  async LastCommitTs(
    request: Ext['LastCommitTs']['request'],
    context: CallContext,
  ): Promise<Ext['LastCommitTs']['response']> {
    return {
      commit_ts: await this.client.lastCommitTs(
        this.auth.authorizedNamespace(context.principal, request.namespace),
      ),
    };
  }
}

function stateResult(state: StateResult): Ext['GetState']['response'] {
  return {
    exists: state.exists,
    value_json: JSON.stringify(state.value),
    version: state.version,
    commit_ts: state.commitTs,
  };
}

/** `value_json` as an object: refused when not JSON, nested too deep or holding an unsafe integer. */
function parseValue(json: string | undefined): JsonObject {
  if (json === undefined || json === '') {
    throw new ValidationError('value_json', 'is required: a JSON object as text');
  }
  return parseJsonText(json, 'value_json') as JsonObject;
}

function writeInput(request: WriteFields): WriteInput {
  return {
    agentId: request.agent_id ?? '',
    key: request.key ?? '',
    value: parseValue(request.value_json),
    ...(request.if_version === undefined ? {} : { ifVersion: request.if_version }),
  };
}

function deleteInput(request: DeleteFields): DeleteInput {
  return {
    agentId: request.agent_id ?? '',
    key: request.key ?? '',
    ...(request.if_version === undefined ? {} : { ifVersion: request.if_version }),
  };
}

function pageOf(request: Ext['ListKeys']['request']): { limit?: number; cursor?: string } {
  const limit = request.limit ?? 0;
  const cursor = request.cursor ?? '';
  return { ...(limit > 0 ? { limit } : {}), ...(cursor ? { cursor } : {}) };
}

/** The transaction of a Write, Delete or Get; begun first when the request carries its begin (lazy). */
function transactionOf(
  client: Statehouse,
  transactions: WireTransactions,
  request: { txn_id?: string; begin_timeout_ms?: number },
  context: CallContext,
): Promise<Transaction> {
  if (request.begin_timeout_ms === undefined) {
    return transactions.forOperation(txnIdOf(request), context.principal, undefined);
  }
  // 0: the server's default timeout.
  const timeoutMs = request.begin_timeout_ms || client.limits.defaultTimeoutMs;
  return transactions.beginning(txnIdOf(request), context.principal, timeoutMs);
}

/** A listing's point in time (`at_ts`); not for a listing inside a transaction. */
function atTsOf(request: Ext['ListKeys']['request']): { atTs?: number } {
  return request.at_ts === undefined ? {} : { atTs: request.at_ts };
}

/** An Operation of CommitOperations as the engine takes it (`value_json` parsed, checked). */
function sentOperation(
  operation: NonNullable<Ext['CommitOperations']['request']['operations']>[number],
  i: number,
): SentOperation {
  switch (operation.op) {
    case 'write':
      return { op: 'write', ...writeInput(operation) };
    case 'delete':
      return { op: 'delete', ...deleteInput(operation) };
    case 'append':
      return {
        op: 'append',
        agentId: operation.agent_id ?? '',
        prefix: operation.prefix ?? '',
        value: parseValue(operation.value_json),
      };
    default:
      throw new ValidationError(`operations[${i}].op`, 'must be "write", "delete" or "append"');
  }
}
