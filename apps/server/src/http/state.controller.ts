import { once } from 'node:events';
import { Controller, Get, Inject, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import type { Statehouse, StateEntry, StateResult } from '@statehouse/core';
import type { Principal } from '../common/auth';
import { TokenAuthenticator } from '../common/auth';
import { STATEHOUSE_CLIENT } from '../common/injection-tokens';
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

  /** GET /v1/keys?agentId[&namespace][&limit][&cursor] */
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

  /** GET /v1/scan?agentId&prefix[&namespace][&limit][&cursor] */
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
   * order as NDJSON (one event per line), or as server-sent events with `accept: text/event-stream`.
   * Streamed with backpressure: a slow reader slows the reading of the history, never the memory.
   */
  @Get('replay')
  async replay(
    @Query() query: Query,
    @CurrentPrincipal() principal: Principal,
    @Req() request: ContextRequest,
    @Res() response: Response,
  ): Promise<void> {
    const namespace = this.namespace(query, principal);
    const startTs = queryInteger(query.startTs, 'startTs');
    const endTs = queryInteger(query.endTs, 'endTs');
    const events = this.client.replay({
      namespace,
      agentId: queryString(query.agentId, 'agentId') as string,
      ...(startTs === undefined ? {} : { startTs }),
      ...(endTs === undefined ? {} : { endTs }),
      follow: queryBoolean(query.follow, 'follow'),
    });
    const iterator = events[Symbol.asyncIterator]();
    // Wait briefly for the first event before sending headers, so a refused request (bad input,
    // Redis down) still gets a problem document; a follower with no history gets headers anyway.
    const first = iterator.next();
    await Promise.race([first, new Promise((done) => setTimeout(done, 200))]);
    const sse = (request.header('accept') ?? '').includes('text/event-stream');
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
    if (!settled) open();
    let next = await first;
    if (!response.headersSent) open();
    let gone = false;
    response.on('close', () => {
      gone = true;
    });
    try {
      while (!next.done && !gone) {
        const json = JSON.stringify(next.value);
        const chunk = sse
          ? `event: replay\nid: ${next.value.commitTs}\ndata: ${json}\n\n`
          : `${json}\n`;
        if (!response.write(chunk))
          await Promise.race([once(response, 'drain'), once(response, 'close')]);
        if (gone) break;
        next = await iterator.next();
      }
    } finally {
      await iterator.return?.();
      response.end();
    }
  }

  private namespace(query: Query, principal: Principal): string {
    return this.auth.authorizedNamespace(principal, queryString(query.namespace, 'namespace'));
  }

  private page(query: Query): { limit?: number; cursor?: string } {
    const limit = queryInteger(query.limit, 'limit');
    const cursor = queryString(query.cursor, 'cursor');
    return { ...(limit === undefined ? {} : { limit }), ...(cursor ? { cursor } : {}) };
  }
}
