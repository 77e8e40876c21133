import { Controller, Get, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { ValidationError, type Statehouse } from '@statehouse/core';
import type { Principal } from '../common/auth';
import { TokenAuthenticator } from '../common/auth';
import { firstEvent } from '../common/first-event';
import { STATEHOUSE_CLIENT } from '../common/injection-tokens';
import { importModeOf, mayUse } from '../grpc/operator.handlers';
import { ApiOperation, type JsonOf, type QueryOf } from './openapi/operation.decorator';
import { ValidQuery } from './openapi/request-input';
import { EXPORT_SNAPSHOT, IMPORT_SNAPSHOT, LIST_AGENTS, LIST_NAMESPACES } from './operator.api';
import {
  clientDeparture,
  CurrentPrincipal,
  TokenGuard,
  type ContextRequest,
} from './request-context';

/** Operator tools over HTTP: listings of namespaces and agents, snapshots out (NDJSON) and in. */

/** About how many characters of NDJSON an export writes at once. */
const EXPORT_CHUNK_CHARS = 64 * 1024;

@Controller('v1')
@UseGuards(TokenGuard)
export class OperatorController {
  constructor(
    @Inject(STATEHOUSE_CLIENT) private readonly client: Statehouse,
    private readonly auth: TokenAuthenticator,
  ) {}

  /** GET /v1/namespaces: every namespace the token may use, in byte-wise order of the name. */
  @Get('namespaces')
  @ApiOperation(LIST_NAMESPACES)
  listNamespaces(
    @CurrentPrincipal() principal: Principal,
  ): Promise<JsonOf<typeof LIST_NAMESPACES>> {
    return this.client.listNamespaces(mayUse(principal));
  }

  /** GET /v1/agents?[namespace][&prefix][&cursor][&limit] */
  @Get('agents')
  @ApiOperation(LIST_AGENTS)
  listAgents(
    @ValidQuery() query: QueryOf<typeof LIST_AGENTS>,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JsonOf<typeof LIST_AGENTS>> {
    const { prefix, cursor, limit } = query;
    return this.client.listAgents({
      namespace: this.auth.authorizedNamespace(principal, query.namespace),
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
  @ApiOperation(EXPORT_SNAPSHOT)
  async exportSnapshot(
    @ValidQuery() query: QueryOf<typeof EXPORT_SNAPSHOT>,
    @CurrentPrincipal() principal: Principal,
    @Req() request: ContextRequest,
    @Res() response: Response,
  ): Promise<void> {
    const left = clientDeparture(request, response);
    const { agentPrefix, atTs, history = false } = query;
    const lines = this.client.exportSnapshot({
      namespace: this.auth.authorizedNamespace(principal, query.namespace),
      ...(agentPrefix ? { agentPrefix } : {}),
      ...(atTs === undefined ? {} : { atTs }),
      history,
    });
    const iterator = lines[Symbol.asyncIterator]();
    try {
      let next = await iterator.next(); // the header: every check has passed
      response.status(200);
      response.setHeader('content-type', 'application/x-ndjson');
      response.setHeader('cache-control', 'no-store');
      // Lines go out in chunks of about EXPORT_CHUNK_CHARS: a write per line cost more than the line.
      let chunk = '';
      const send = async (): Promise<void> => {
        const full = !response.write(chunk);
        chunk = '';
        if (full) await firstEvent([[response, 'drain']], [left]);
      };
      while (!next.done && !left.aborted) {
        chunk += `${next.value}\n`;
        if (chunk.length >= EXPORT_CHUNK_CHARS) await send();
        next = await iterator.next();
      }
      if (chunk.length > 0 && !left.aborted) await send();
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
  @ApiOperation(IMPORT_SNAPSHOT)
  importSnapshot(
    @ValidQuery() query: QueryOf<typeof IMPORT_SNAPSHOT>,
    @CurrentPrincipal() principal: Principal,
    @Req() request: ContextRequest,
  ): Promise<JsonOf<typeof IMPORT_SNAPSHOT>> {
    const type = (request.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/x-ndjson') {
      throw new ValidationError(
        'content-type',
        `must be application/x-ndjson: the body is the snapshot's NDJSON (got ${type || 'none'})`,
      );
    }
    const requested = query.namespace ? this.auth.namespaceOf(query.namespace) : undefined;
    return this.client.importSnapshot(
      request as AsyncIterable<Uint8Array>,
      {
        ...(requested === undefined ? {} : { namespace: requested }),
        mode: importModeOf(query.mode),
      },
      (target) => this.auth.authorize(principal, target),
    );
  }
}
