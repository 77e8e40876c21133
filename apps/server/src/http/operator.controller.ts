import {
  Controller,
  Get,
  HttpCode,
  Inject,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { Response } from 'express';
import {
  ValidationError,
  type AgentInfo,
  type ImportSummary,
  type NamespaceInfo,
  type Statehouse,
} from '@statehouse/core';
import type { Principal } from '../common/auth';
import { TokenAuthenticator } from '../common/auth';
import { firstEvent } from '../common/first-event';
import { STATEHOUSE_CLIENT } from '../common/injection-tokens';
import { importModeOf, mayUse } from '../grpc/operator.handlers';
import { queryBoolean, queryInteger, queryString } from './body';
import { CurrentPrincipal, TokenGuard, type ContextRequest } from './request-context';

type Query = Record<string, unknown>;

/** Operator tools over HTTP: listings of namespaces and agents, snapshots out (NDJSON) and in. */
@Controller('v1')
@UseGuards(TokenGuard)
export class OperatorController {
  constructor(
    @Inject(STATEHOUSE_CLIENT) private readonly client: Statehouse,
    private readonly auth: TokenAuthenticator,
  ) {}

  /** GET /v1/namespaces: every namespace the token may use, in byte-wise order of the name. */
  @Get('namespaces')
  listNamespaces(
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ namespaces: NamespaceInfo[] }> {
    return this.client.listNamespaces(mayUse(principal));
  }

  /** GET /v1/agents?[namespace][&prefix][&cursor][&limit] */
  @Get('agents')
  listAgents(
    @Query() query: Query,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ agents: AgentInfo[]; cursor: string | null }> {
    const prefix = queryString(query.prefix, 'prefix');
    const cursor = queryString(query.cursor, 'cursor');
    const limit = queryInteger(query.limit, 'limit');
    return this.client.listAgents({
      namespace: this.namespace(query, principal),
      ...(prefix ? { prefix } : {}),
      ...(cursor ? { cursor } : {}),
      ...(limit === undefined ? {} : { limit }),
    });
  }

  /**
   * GET /v1/export?[namespace][&agentPrefix][&atTs][&history=true]: the snapshot as NDJSON
   * (application/x-ndjson), streamed with backpressure. A refusal before the header line (bad
   * input, unknown atTs) is a problem document; a failure later cuts the stream before its
   * trailer line, which an import reports as a truncated snapshot.
   */
  @Get('export')
  async exportSnapshot(
    @Query() query: Query,
    @CurrentPrincipal() principal: Principal,
    @Req() request: ContextRequest,
    @Res() response: Response,
  ): Promise<void> {
    const left = new AbortController();
    response.on('close', () => left.abort());
    if (response.closed || request.socket.destroyed) left.abort();
    const agentPrefix = queryString(query.agentPrefix, 'agentPrefix');
    const atTs = queryInteger(query.atTs, 'atTs');
    const lines = this.client.exportSnapshot({
      namespace: this.namespace(query, principal),
      ...(agentPrefix ? { agentPrefix } : {}),
      ...(atTs === undefined ? {} : { atTs }),
      history: queryBoolean(query.history, 'history'),
    });
    const iterator = lines[Symbol.asyncIterator]();
    try {
      let next = await iterator.next(); // the header: every check has passed
      response.status(200);
      response.setHeader('content-type', 'application/x-ndjson');
      response.setHeader('cache-control', 'no-store');
      while (!next.done && !left.signal.aborted) {
        if (!response.write(`${next.value}\n`)) {
          await firstEvent([[response, 'drain']], [left.signal]);
        }
        next = await iterator.next();
      }
      response.end();
    } catch (error) {
      if (!response.headersSent) throw error;
      response.destroy(error instanceof Error ? error : new Error(String(error)));
    } finally {
      await iterator.return?.();
    }
  }

  /**
   * POST /v1/import?[namespace][&mode=empty-only|merge] with an NDJSON body (content-type
   * application/x-ndjson): the snapshot, read as a stream. Answers the import's summary.
   */
  @Post('import')
  @HttpCode(200)
  importSnapshot(
    @Query() query: Query,
    @CurrentPrincipal() principal: Principal,
    @Req() request: ContextRequest,
  ): Promise<ImportSummary> {
    const type = (request.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/x-ndjson') {
      throw new ValidationError(
        'content-type',
        `must be application/x-ndjson: the body is the snapshot's NDJSON (got ${type || 'none'})`,
      );
    }
    const namespace = queryString(query.namespace, 'namespace');
    const requested = namespace ? this.auth.namespaceOf(namespace) : undefined;
    return this.client.importSnapshot(
      request as AsyncIterable<Uint8Array>,
      {
        ...(requested === undefined ? {} : { namespace: requested }),
        mode: importModeOf(queryString(query.mode, 'mode')),
      },
      (target) => this.auth.authorize(principal, target),
    );
  }

  private namespace(query: Query, principal: Principal): string {
    return this.auth.authorizedNamespace(principal, queryString(query.namespace, 'namespace'));
  }
}
