import {
  Controller,
  Get,
  Headers,
  HttpCode,
  Inject,
  Res,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { Response } from 'express';
import type { Statehouse } from '@statehouse/core';
import { TokenAuthenticator } from '../common/auth';
import { SERVER_CONFIG, STATEHOUSE_CLIENT } from '../common/injection-tokens';
import type { ServerConfig } from '../config/server-config';
import { MetricsService } from '../observability/metrics.service';
import { SERVER_VERSION } from '../version';
import { HEALTHZ, METRICS, READYZ, VERSION } from './health.api';
import { ApiOperation, type JsonOf } from './openapi/operation.decorator';

/**
 * Liveness, readiness and version: unauthenticated, for probes, and they disclose no data.
 * Metrics: with tokens configured, any valid token may read them (they carry no namespace's
 * name or data), unless --metrics-public opens them to anonymous scrapers.
 */
@Controller()
export class HealthController {
  constructor(
    @Inject(STATEHOUSE_CLIENT) private readonly client: Statehouse,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    private readonly auth: TokenAuthenticator,
    private readonly metrics: MetricsService,
  ) {}

  /** The process is up and serving. */
  @Get('healthz')
  @ApiOperation(HEALTHZ)
  healthz(): JsonOf<typeof HEALTHZ> {
    return { status: 'ok' };
  }

  /** Ready when Redis answers (a read of the default namespace's commit counter, not shown). */
  @Get('readyz')
  @ApiOperation(READYZ)
  @HttpCode(200)
  async readyz(): Promise<JsonOf<typeof READYZ>> {
    try {
      await this.client.lastCommitTs();
      return { status: 'ready' };
    } catch (error) {
      throw new ServiceUnavailableException(
        `not ready: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  @Get('v1/version')
  @ApiOperation(VERSION)
  version(): JsonOf<typeof VERSION> {
    return { version: SERVER_VERSION.version, gitSha: SERVER_VERSION.gitSha };
  }

  @Get('metrics')
  @ApiOperation(METRICS)
  async prometheus(
    @Headers('authorization') authorization: string | undefined,
    @Res() response: Response,
  ): Promise<void> {
    // Throws UnauthenticatedError (401 problem+json) when tokens are on and this one is not valid.
    if (!this.config.metricsPublic) this.auth.authenticate(authorization);
    response.setHeader('content-type', this.metrics.registry.contentType);
    response.send(await this.metrics.registry.metrics());
  }
}
