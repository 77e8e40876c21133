import { Inject, Injectable } from '@nestjs/common';
import {
  compactionToWire,
  policyFromWire,
  retentionInfoToWire,
  type StatehouseExtServiceHandlers,
} from '@statehouse/contract';
import { ValidationError, type Statehouse } from '@statehouse/core';
import { TokenAuthenticator, type Principal } from '../common/auth';
import { STATEHOUSE_CLIENT } from '../common/injection-tokens';
import type { CallContext, RpcHandlers, Rpcs, StreamWrite } from './rpc-handlers';

type Ext = Rpcs<StatehouseExtServiceHandlers>;

/** The operator's RPCs of statehouse_ts.v1.StatehouseExtService (the rest: statehouse-ext.handlers.ts). */
export type OperatorRpc =
  | 'ListNamespaces'
  | 'ListAgents'
  | 'ExportSnapshot'
  | 'ImportSnapshot'
  | 'SetRetention'
  | 'GetRetention'
  | 'Compact';
type Operator = Pick<Ext, OperatorRpc>;

/** The most lines, and about the most bytes, of one ExportSnapshot message with batch_lines. */
const EXPORT_PAGE_LINES = 1000;
const EXPORT_PAGE_BYTES = 256 * 1024;

/** Whether the principal may see the namespace (the listing of namespaces shows only those). */
export function mayUse(principal: Principal): (namespace: string) => boolean {
  const allowed = principal.namespaces;
  return allowed === '*' ? () => true : (namespace) => allowed.has(namespace);
}

/** The import modes, as the wire names them ('' : the default). */
export function importModeOf(mode: unknown): 'empty-only' | 'merge' {
  if (mode === undefined || mode === null || mode === '' || mode === 'empty-only') {
    return 'empty-only';
  }
  if (mode === 'merge') return 'merge';
  throw new ValidationError(
    'mode',
    `must be "empty-only" or "merge" (got ${JSON.stringify(mode)})`,
  );
}

/**
 * Operator tools over gRPC: listings of namespaces and agents (token-scoped), snapshots streamed
 * out (a page of NDJSON lines per message, or one for an older client) and in (chunks of NDJSON), retention policies and compaction.
 */
@Injectable()
export class OperatorHandlers implements RpcHandlers<Operator> {
  constructor(
    @Inject(STATEHOUSE_CLIENT) private readonly client: Statehouse,
    private readonly auth: TokenAuthenticator,
  ) {}

  async ListNamespaces(
    _request: Ext['ListNamespaces']['request'],
    context: CallContext,
  ): Promise<Ext['ListNamespaces']['response']> {
    const { namespaces } = await this.client.listNamespaces(mayUse(context.principal));
    return {
      namespaces: namespaces.map((info) => ({
        namespace: info.namespace,
        agent_count: info.agentCount,
        last_commit_ts: info.lastCommitTs,
      })),
    };
  }

  async ListAgents(
    request: Ext['ListAgents']['request'],
    context: CallContext,
  ): Promise<Ext['ListAgents']['response']> {
    const limit = request.limit ?? 0;
    const page = await this.client.listAgents({
      namespace: this.auth.authorizedNamespace(context.principal, request.namespace),
      ...(request.prefix ? { prefix: request.prefix } : {}),
      ...(request.cursor ? { cursor: request.cursor } : {}),
      ...(limit > 0 ? { limit } : {}),
    });
    return {
      agents: page.agents.map((agent) => ({
        agent_id: agent.agentId,
        key_count: agent.keyCount,
        last_commit_ts: agent.lastCommitTs,
      })),
      cursor: page.cursor ?? '',
    };
  }

  async ExportSnapshot(
    request: Ext['ExportSnapshot']['request'],
    context: CallContext,
    write: StreamWrite<Ext['ExportSnapshot']['response']>,
  ): Promise<void> {
    const lines = this.client.exportSnapshot({
      namespace: this.auth.authorizedNamespace(context.principal, request.namespace),
      ...(request.agent_prefix ? { agentPrefix: request.agent_prefix } : {}),
      ...(request.at_ts === undefined ? {} : { atTs: request.at_ts }),
      history: request.history ?? false,
    });
    if (!request.batch_lines) {
      for await (const line of lines) {
        if (context.signal.aborted) return;
        await write({ line });
      }
      return;
    }
    // A page of lines per message: a message per line cost the server more than the lines.
    let page: string[] = [];
    let bytes = 0;
    for await (const line of lines) {
      if (context.signal.aborted) return;
      page.push(line);
      bytes += line.length;
      if (page.length >= EXPORT_PAGE_LINES || bytes >= EXPORT_PAGE_BYTES) {
        await write({ lines: page });
        page = [];
        bytes = 0;
      }
    }
    if (page.length > 0 && !context.signal.aborted) await write({ lines: page });
  }

  async ImportSnapshot(
    requests: AsyncIterable<Ext['ImportSnapshot']['request']>,
    context: CallContext,
  ): Promise<Ext['ImportSnapshot']['response']> {
    let first: Ext['ImportSnapshot']['request'] | undefined;
    const iterator = requests[Symbol.asyncIterator]();
    const head = await iterator.next();
    if (!head.done) first = head.value;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      if (first?.data) yield first.data;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        if (next.value.data) yield next.value.data;
      }
    }
    const requested = first?.namespace ? this.auth.namespaceOf(first.namespace) : undefined;
    const summary = await this.client.importSnapshot(
      chunks(),
      {
        ...(requested === undefined ? {} : { namespace: requested }),
        mode: importModeOf(first?.mode),
      },
      // The namespace is known once the header is read (default: the snapshot's own).
      (namespace) => this.auth.authorize(context.principal, namespace),
    );
    return {
      namespace: summary.namespace,
      records: summary.records,
      versions: summary.versions,
      commits: summary.commits,
      at_ts: summary.atTs,
    };
  }

  /** A namespace's retention policy (replacing the server's default for it). */
  async SetRetention(
    request: Ext['SetRetention']['request'],
    context: CallContext,
  ): Promise<Ext['SetRetention']['response']> {
    const namespace = this.auth.authorizedNamespace(context.principal, request.namespace);
    return retentionInfoToWire(
      await this.client.setRetention({ namespace, ...policyFromWire(request.policy) }),
    );
  }

  async GetRetention(
    request: Ext['GetRetention']['request'],
    context: CallContext,
  ): Promise<Ext['GetRetention']['response']> {
    const namespace = this.auth.authorizedNamespace(context.principal, request.namespace);
    return retentionInfoToWire(await this.client.getRetention({ namespace }));
  }

  /** Compacts a namespace now, to completion (bounded script calls). */
  async Compact(
    request: Ext['Compact']['request'],
    context: CallContext,
  ): Promise<Ext['Compact']['response']> {
    const namespace = this.auth.authorizedNamespace(context.principal, request.namespace);
    return compactionToWire(await this.client.compact({ namespace }));
  }
}
