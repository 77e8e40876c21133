import { Controller, Get, Inject, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import type { ReplayEvent, Statehouse, StateEntry, StateResult } from '@statehouse/core';
import type { Principal } from '../common/auth';
import { TokenAuthenticator } from '../common/auth';
import { SERVER_CONFIG, STATEHOUSE_CLIENT } from '../common/injection-tokens';
import type { ServerConfig } from '../config/server-config';
import { ReplayStreams } from '../statehouse/replay-streams';
import { queryBoolean, queryInteger, queryString } from './body';
import { lastEventId, writeReplay } from './replay-response';
import { CurrentPrincipal, TokenGuard, type ContextRequest } from './request-context';

type Query = Record<string, unknown>;

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
  getState(@Query() query: Query, @CurrentPrincipal() principal: Principal): Promise<StateResult> {
    const record = {
      namespace: this.namespace(query, principal),
      agentId: queryString(query.agentId, 'agentId') as string,
      key: queryString(query.key, 'key') as string,
    };
    const version = queryInteger(query.version, 'version');
    if (version !== undefined) return this.client.getStateAtVersion({ ...record, version });
    const atTs = queryInteger(query.atTs, 'atTs');
    return this.client.getState(atTs === undefined ? record : { ...record, atTs });
  }

  /** GET /v1/keys?agentId[&namespace][&limit][&cursor][&atTs] */
  @Get('keys')
  listKeys(
    @Query() query: Query,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ keys: string[]; cursor: string | null }> {
    return this.client.listKeys({
      namespace: this.namespace(query, principal),
      agentId: queryString(query.agentId, 'agentId') as string,
      ...this.page(query),
    });
  }

  /** GET /v1/scan?agentId&prefix[&namespace][&limit][&cursor][&atTs] */
  @Get('scan')
  scanPrefix(
    @Query() query: Query,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ entries: StateEntry[]; cursor: string | null }> {
    return this.client.scanPrefix({
      namespace: this.namespace(query, principal),
      agentId: queryString(query.agentId, 'agentId') as string,
      prefix: queryString(query.prefix, 'prefix') ?? '',
      ...this.page(query),
    });
  }

  /**
   * GET /v1/replay?agentId[&namespace][&startTs][&endTs][&follow=true]: the agent's events in commit
   * order as NDJSON (one event per line), or as server-sent events with `accept: text/event-stream`
   * (each event's `id` its commitTs; a `Last-Event-ID` header resumes after that commit; a heartbeat
   * comment every --sse-heartbeat-ms). A client that leaves (at any time, before the first event
   * too) ends the replay at once; at shutdown the stream ends with a final event (writeReplay).
   */
  @Get('replay')
  async replay(
    @Query() query: Query,
    @CurrentPrincipal() principal: Principal,
    @Req() request: ContextRequest,
    @Res() response: Response,
  ): Promise<void> {
    // First of all: whenever the client goes away, the replay (and its place in the feed) ends.
    const left = new AbortController();
    response.on('close', () => left.abort());
    if (response.closed || request.socket.destroyed) left.abort(); // gone during the guards
    const namespace = this.namespace(query, principal);
    const lastId = lastEventId(request.header('last-event-id'));
    const asked = queryInteger(query.startTs, 'startTs');
    // A reconnect resumes after the last event it received, never before the range it asked for.
    const startTs = lastId === undefined ? asked : Math.max(asked ?? 0, lastId + 1);
    const endTs = queryInteger(query.endTs, 'endTs');
    const follow = queryBoolean(query.follow, 'follow');
    const sse = (request.header('accept') ?? '').includes('text/event-stream');
    const stream = this.streams.open(principal, sse ? 'http-sse' : 'http-ndjson', follow);
    let iterator: AsyncIterator<ReplayEvent> | undefined;
    try {
      const events = this.client.replay({
        namespace,
        agentId: queryString(query.agentId, 'agentId') as string,
        ...(startTs === undefined ? {} : { startTs }),
        ...(endTs === undefined ? {} : { endTs }),
        follow,
        signal: AbortSignal.any([left.signal, stream.ended]),
      });
      iterator = events[Symbol.asyncIterator]();
      await writeReplay(iterator, response, {
        sse,
        heartbeatMs: this.config.sseHeartbeatMs ?? DEFAULT_SSE_HEARTBEAT_MS,
        left: left.signal,
        ended: stream.ended,
      });
    } finally {
      stream.release();
      await iterator?.return?.();
      if (!response.writableEnded && response.headersSent) response.end();
    }
  }

  private namespace(query: Query, principal: Principal): string {
    return this.auth.authorizedNamespace(principal, queryString(query.namespace, 'namespace'));
  }

  private page(query: Query): { limit?: number; cursor?: string; atTs?: number } {
    const limit = queryInteger(query.limit, 'limit');
    const cursor = queryString(query.cursor, 'cursor');
    const atTs = queryInteger(query.atTs, 'atTs');
    return {
      ...(limit === undefined ? {} : { limit }),
      ...(cursor ? { cursor } : {}),
      ...(atTs === undefined ? {} : { atTs }),
    };
  }
}
