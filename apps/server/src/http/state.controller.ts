import { Controller, Get, Inject, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import type { ReplayEvent, Statehouse } from '@statehouse/core';
import type { Principal } from '../common/auth';
import { TokenAuthenticator } from '../common/auth';
import { SERVER_CONFIG, STATEHOUSE_CLIENT } from '../common/injection-tokens';
import type { ServerConfig } from '../config/server-config';
import { ReplayStreams } from '../statehouse/replay-streams';
import { ApiOperation, type JsonOf, type QueryOf } from './openapi/operation.decorator';
import { ValidQuery } from './openapi/request-input';
import { lastEventId, writeReplay } from './replay-response';
import {
  clientDeparture,
  CurrentPrincipal,
  TokenGuard,
  type ContextRequest,
} from './request-context';
import { GET_STATE, LIST_KEYS, REPLAY, SCAN_PREFIX } from './state.api';

const DEFAULT_SSE_HEARTBEAT_MS = 15_000;

/** Committed reads over HTTP: one record (latest, a version, or as of a commitTs), listings, replay. */
@Controller('v1')
@UseGuards(TokenGuard)
export class StateController {
  constructor(
    @Inject(STATEHOUSE_CLIENT) private readonly client: Statehouse,
    private readonly auth: TokenAuthenticator,
    private readonly streams: ReplayStreams,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
  ) {}

  /** GET /v1/state?agentId&key[&namespace][&version | &atTs] */
  @Get('state')
  @ApiOperation(GET_STATE)
  getState(
    @ValidQuery() query: QueryOf<typeof GET_STATE>,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JsonOf<typeof GET_STATE>> {
    const { version, atTs } = query;
    const record = {
      namespace: this.namespace(query, principal),
      agentId: query.agentId,
      key: query.key,
    };
    if (version !== undefined) return this.client.getStateAtVersion({ ...record, version });
    return this.client.getState(atTs === undefined ? record : { ...record, atTs });
  }

  /** GET /v1/keys?agentId[&namespace][&limit][&cursor][&atTs] */
  @Get('keys')
  @ApiOperation(LIST_KEYS)
  listKeys(
    @ValidQuery() query: QueryOf<typeof LIST_KEYS>,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JsonOf<typeof LIST_KEYS>> {
    return this.client.listKeys({
      namespace: this.namespace(query, principal),
      agentId: query.agentId,
      ...page(query),
    });
  }

  /** GET /v1/scan?agentId&prefix[&namespace][&limit][&cursor][&atTs] */
  @Get('scan')
  @ApiOperation(SCAN_PREFIX)
  scanPrefix(
    @ValidQuery() query: QueryOf<typeof SCAN_PREFIX>,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JsonOf<typeof SCAN_PREFIX>> {
    return this.client.scanPrefix({
      namespace: this.namespace(query, principal),
      agentId: query.agentId,
      prefix: query.prefix ?? '',
      ...page(query),
    });
  }

  /**
   * GET /v1/replay?agentId[&namespace][&startTs][&endTs][&follow=true][&fromHorizon=true]: the
   * agent's events in commit order as NDJSON (one event per line), or as server-sent events with
   * `accept: text/event-stream` (each event's `id` its commitTs; a `Last-Event-ID` header resumes
   * after that commit; a heartbeat comment every --sse-heartbeat-ms). With fromHorizon, a start
   * below the compaction horizon starts at it. A client that leaves (at any time, before the first
   * event too) ends the replay at once; at shutdown the stream ends with a final event
   * (writeReplay).
   */
  @Get('replay')
  @ApiOperation(REPLAY)
  async replay(
    @ValidQuery() query: QueryOf<typeof REPLAY>,
    @CurrentPrincipal() principal: Principal,
    @Req() request: ContextRequest,
    @Res() response: Response,
  ): Promise<void> {
    // First of all: whenever the client goes away, the replay (and its place in the feed) ends.
    const left = clientDeparture(request, response);
    const namespace = this.namespace(query, principal);
    const lastId = lastEventId(request.header('last-event-id'));
    const { startTs: asked, endTs, follow = false, fromHorizon = false } = query;
    // A reconnect resumes after the last event it received, never before the range it asked for.
    const startTs = lastId === undefined ? asked : Math.max(asked ?? 0, lastId + 1);
    const sse = (request.header('accept') ?? '').includes('text/event-stream');
    const stream = this.streams.open(principal, sse ? 'http-sse' : 'http-ndjson', follow);
    let iterator: AsyncIterator<ReplayEvent> | undefined;
    try {
      const events = this.client.replay({
        namespace,
        agentId: query.agentId,
        ...(startTs === undefined ? {} : { startTs }),
        ...(endTs === undefined ? {} : { endTs }),
        follow,
        ...(fromHorizon ? { fromHorizon } : {}),
        signal: AbortSignal.any([left, stream.ended]),
      });
      iterator = events[Symbol.asyncIterator]();
      await writeReplay(iterator, response, {
        sse,
        heartbeatMs: this.config.sseHeartbeatMs ?? DEFAULT_SSE_HEARTBEAT_MS,
        left,
        ended: stream.ended,
      });
    } finally {
      stream.release();
      await iterator?.return?.();
      if (!response.writableEnded && response.headersSent) response.end();
    }
  }

  private namespace(query: { namespace?: string }, principal: Principal): string {
    return this.auth.authorizedNamespace(principal, query.namespace);
  }
}

/** A listing's page options, as the engine takes them (an empty cursor is none). */
function page(query: { limit?: number; cursor?: string; atTs?: number }): {
  limit?: number;
  cursor?: string;
  atTs?: number;
} {
  const { limit, cursor, atTs } = query;
  return {
    ...(limit === undefined ? {} : { limit }),
    ...(cursor ? { cursor } : {}),
    ...(atTs === undefined ? {} : { atTs }),
  };
}
