import {
  Controller,
  Get,
  HttpCode,
  Inject,
  Res,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { Response } from 'express';
import type { Statehouse } from '@statehouse/core';
import { STATEHOUSE_CLIENT } from '../common/injection-tokens';
import { MetricsService } from '../observability/metrics.service';
import { SERVER_VERSION } from '../version';

/** Liveness, readiness, version and metrics: unauthenticated, for probes and scrapers. */
@Controller()
export class HealthController {
  constructor(
    @Inject(STATEHOUSE_CLIENT) private readonly client: Statehouse,
    private readonly metrics: MetricsService,
  ) {}

  /** The process is up and serving. */
  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready when Redis answers (a read of the default namespace's commit counter). */
  @Get('readyz')
  @HttpCode(200)
  async readyz(): Promise<{ status: 'ready'; lastCommitTs: number }> {
    try {
      return { status: 'ready', lastCommitTs: await this.client.lastCommitTs() };
    } catch (error) {
      throw new ServiceUnavailableException(
        `not ready: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  @Get('v1/version')
  version(): { version: string; gitSha: string } {
    return { version: SERVER_VERSION.version, gitSha: SERVER_VERSION.gitSha };
  }

  @Get('metrics')
  async prometheus(@Res() response: Response): Promise<void> {
    response.setHeader('content-type', this.metrics.registry.contentType);
    response.send(await this.metrics.registry.metrics());
  }
}
