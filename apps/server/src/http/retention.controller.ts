import { Controller, Get, HttpCode, Inject, Post, Put, UseGuards } from '@nestjs/common';
import type { Statehouse } from '@statehouse/core';
import type { Principal } from '../common/auth';
import { TokenAuthenticator } from '../common/auth';
import { STATEHOUSE_CLIENT } from '../common/injection-tokens';
import {
  ApiOperation,
  type BodyOf,
  type JsonOf,
  type QueryOf,
} from './openapi/operation.decorator';
import { ValidBody, ValidQuery } from './openapi/request-input';
import { CurrentPrincipal, TokenGuard } from './request-context';
import { COMPACT, GET_RETENTION, SET_RETENTION } from './retention.api';

/**
 * Retention over HTTP: a namespace's policy (the server's `--retention-*` flags give the default),
 * and compaction on demand. Scoped by tokens like every namespace.
 */
@Controller('v1')
@UseGuards(TokenGuard)
export class RetentionController {
  constructor(
    @Inject(STATEHOUSE_CLIENT) private readonly client: Statehouse,
    private readonly auth: TokenAuthenticator,
  ) {}

  @Get('retention')
  @ApiOperation(GET_RETENTION)
  async get(
    @ValidQuery() query: QueryOf<typeof GET_RETENTION>,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JsonOf<typeof GET_RETENTION>> {
    const namespace = this.auth.authorizedNamespace(principal, query.namespace);
    return this.client.getRetention({ namespace });
  }

  @Put('retention')
  @ApiOperation(SET_RETENTION)
  async set(
    @ValidBody() body: BodyOf<typeof SET_RETENTION>,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JsonOf<typeof SET_RETENTION>> {
    const { namespace, ...rules } = body;
    const ns = this.auth.authorizedNamespace(principal, namespace);
    return this.client.setRetention({ ...rules, namespace: ns });
  }

  @Post('compact')
  @HttpCode(200)
  @ApiOperation(COMPACT)
  async compact(
    @ValidBody() body: BodyOf<typeof COMPACT>,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JsonOf<typeof COMPACT>> {
    const namespace = this.auth.authorizedNamespace(principal, body.namespace);
    return this.client.compact({ namespace });
  }
}
