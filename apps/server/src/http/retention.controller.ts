import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Post,
  Put,
  Query,
  UseGuards,
} from '@nestjs/common';
import type { CompactionResult, RetentionInfo, Statehouse } from '@statehouse/core';
import type { Principal } from '../common/auth';
import { TokenAuthenticator } from '../common/auth';
import { STATEHOUSE_CLIENT } from '../common/injection-tokens';
import { objectBody, queryString } from './body';
import { CurrentPrincipal, TokenGuard } from './request-context';

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

  /** GET /v1/retention?namespace: the policy in force, its source, the horizon, what was removed. */
  @Get('retention')
  async get(
    @Query('namespace') namespace: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RetentionInfo> {
    const ns = this.auth.authorizedNamespace(principal, queryString(namespace, 'namespace'));
    return this.client.getRetention({ namespace: ns });
  }

  /**
   * PUT /v1/retention { namespace?, maxVersionsPerKey?, maxAgeMs?, deletedRecordTtlMs? }: replaces
   * the namespace's policy ({}: keep everything, whatever the default).
   */
  @Put('retention')
  async set(
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RetentionInfo> {
    const { namespace, ...rules } = objectBody(body);
    const ns = this.auth.authorizedNamespace(principal, namespace);
    return this.client.setRetention({ ...rules, namespace: ns });
  }

  /** POST /v1/compact { namespace? }: compacts the namespace now, to completion. */
  @Post('compact')
  @HttpCode(200)
  async compact(
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CompactionResult> {
    const ns = this.auth.authorizedNamespace(principal, objectBody(body).namespace);
    return this.client.compact({ namespace: ns });
  }
}
