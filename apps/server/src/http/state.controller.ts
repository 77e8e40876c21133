import { Controller, Get, Inject, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import type { ReplayEvent, Statehouse, StateEntry, StateResult } from '@statehouse/core';
import type { Principal } from '../common/auth';
import { TokenAuthenticator } from '../common/auth';
import { firstEvent } from '../common/first-event';
import { STATEHOUSE_CLIENT } from '../common/injection-tokens';
import { ReplayStreams } from '../statehouse/replay-streams';
import { queryBoolean, queryInteger, queryString } from './body';
import { CurrentPrincipal, TokenGuard, type ContextRequest } from './request-context';

type Query = Record<string, unknown>;

/** Committed reads over HTTP: one record (latest, a version, or as of a commitTs), listings, replay. */
@Controller('v1')
@UseGuards(TokenGuard)
export class StateController {
  constructor(
    @Inject(STATEHOUSE_CLIENT) private readonly client: Statehouse,
    private readonly auth: TokenAuthenticator,
    private readonly streams: ReplayStreams,
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
   * GET /v1/replay?agentId[&namespace][&startTs][&endTs][&follow=true][&fromHorizon=true]: the
   * agent's events in commit
   * order as NDJSON (one event per line), or as server-sent events with `accept: text/event-stream`.
   * Streamed with backpressure: a slow reader slows the reading of the history, never the memory.
   * A client that leaves (at any time, before the first event too) ends the replay at once. At
   * shutdown the stream ends with a final event: the NDJSON line `{"end":"server shutting down"}`,
   * or the SSE event `end` with data `{"reason":"server shutting down"}`.
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
    const startTs = queryInteger(query.startTs, 'startTs');
    const endTs = queryInteger(query.endTs, 'endTs');
    const follow = queryBoolean(query.follow, 'follow');
    const fromHorizon = queryBoolean(query.fromHorizon, 'fromHorizon');
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
        ...(fromHorizon ? { fromHorizon } : {}),
        signal: AbortSignal.any([left.signal, stream.ended]),
      });
      iterator = events[Symbol.asyncIterator]();
      await this.pump(iterator, response, sse, left.signal, stream.ended);
    } finally {
      stream.release();
      await iterator?.return?.();
      if (!response.writableEnded && response.headersSent) response.end();
    }
  }

  private async pump(
    iterator: AsyncIterator<ReplayEvent>,
    response: Response,
    sse: boolean,
    left: AbortSignal,
    ended: AbortSignal,
  ): Promise<void> {
    // Wait briefly for the first event before sending headers, so a refused request (bad input,
    // Redis down) still gets a problem document; a follower with no history gets headers anyway.
    const first = iterator.next();
    await Promise.race([first, new Promise((done) => setTimeout(done, 200))]);
    const open = (): void => {
      response.status(200);
      response.setHeader('content-type', sse ? 'text/event-stream' : 'application/x-ndjson');
      response.setHeader('cache-control', 'no-store');
      response.flushHeaders();
    };
    let settled = false;
    void first.then(
      () => (settled = true),
      () => (settled = true),
    );
    await Promise.resolve();
    if (!settled && !left.aborted) open();
    let next = await first;
    if (left.aborted) return;
    if (!response.headersSent) open();
    while (!next.done && !left.aborted) {
      const json = JSON.stringify(next.value);
      const chunk = sse
        ? `event: replay\nid: ${next.value.commitTs}\ndata: ${json}\n\n`
        : `${json}\n`;
      if (!response.write(chunk)) {
        await firstEvent([[response, 'drain']], [left, ended]);
      }
      if (left.aborted || ended.aborted) break;
      next = await iterator.next();
    }
    if (ended.aborted && !left.aborted) {
      const reason = 'server shutting down';
      response.write(
        sse
          ? `event: end\ndata: ${JSON.stringify({ reason })}\n\n`
          : `${JSON.stringify({ end: reason })}\n`,
      );
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
