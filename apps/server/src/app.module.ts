import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { Cluster, Redis } from 'ioredis';
import type { Statehouse } from '@statehouse/core';
import { TokenAuthenticator } from './common/auth';
import { REGISTRY_REDIS, SERVER_CONFIG, STATEHOUSE_CLIENT } from './common/injection-tokens';
import type { ServerConfig } from './config/server-config';
import { GrpcHealth } from './grpc/grpc-health';
import { GrpcServer } from './grpc/grpc-server';
import { OperatorHandlers } from './grpc/operator.handlers';
import { StatehouseExtHandlers } from './grpc/statehouse-ext.handlers';
import { StatehouseV1Handlers } from './grpc/statehouse-v1.handlers';
import { DocsController } from './http/docs.controller';
import { HealthController } from './http/health.controller';
import { OpenApiDocument } from './http/openapi/openapi-document';
import { OperatorController } from './http/operator.controller';
import { BodyGateMiddleware } from './http/body-gate.middleware';
import { RequestContextMiddleware } from './http/request-context';
import { RetentionController } from './http/retention.controller';
import { StateController } from './http/state.controller';
import { TransactionsController } from './http/transactions.controller';
import { BackgroundErrors } from './observability/background-errors';
import { JsonLogger } from './observability/json-logger';
import { MetricsService } from './observability/metrics.service';
import { ReplayStreams } from './statehouse/replay-streams';
import { WireTransactions } from './statehouse/wire-transactions';

/** What the application runs on, opened before it starts and closed after it stops (server.ts). */
export interface AppResources {
  readonly config: ServerConfig;
  readonly client: Statehouse;
  readonly registryRedis: Redis | Cluster;
  readonly logger: JsonLogger;
  readonly backgroundErrors: BackgroundErrors;
}

/** The server: gRPC (statehouse.v1) and HTTP over one engine client. */
@Module({})
export class AppModule {
  static forResources({
    config,
    client,
    registryRedis,
    logger,
    backgroundErrors,
  }: AppResources): DynamicModule {
    return {
      module: AppModule,
      imports: [DiscoveryModule],
      controllers: [
        HealthController,
        DocsController,
        TransactionsController,
        StateController,
        RetentionController,
        OperatorController,
      ],
      providers: [
        { provide: SERVER_CONFIG, useValue: config },
        { provide: STATEHOUSE_CLIENT, useValue: client },
        { provide: REGISTRY_REDIS, useValue: registryRedis },
        { provide: JsonLogger, useValue: logger },
        { provide: BackgroundErrors, useValue: backgroundErrors },
        TokenAuthenticator,
        MetricsService,
        WireTransactions,
        ReplayStreams,
        OpenApiDocument,
        RequestContextMiddleware,
        BodyGateMiddleware,
        StatehouseV1Handlers,
        StatehouseExtHandlers,
        OperatorHandlers,
        GrpcHealth,
        GrpcServer,
      ],
    };
  }
}
