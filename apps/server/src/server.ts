import 'reflect-metadata';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Cluster, Redis } from 'ioredis';
import { startEmbeddedRedis, Statehouse, type EmbeddedRedis } from '@statehouse/core';
import { AppModule } from './app.module';
import { DEFAULT_LIMITS, type ServerConfig } from './config/server-config';
import { GrpcServer } from './grpc/grpc-server';
import { BodyGateMiddleware } from './http/body-gate.middleware';
import { JSON_BODY_OPTIONS } from './http/body';
import { docsAssets } from './http/docs.controller';
import { inspectorFiles } from './http/inspector-files';
import { ProblemFilter } from './http/problem.filter';
import { ReplayStreams } from './statehouse/replay-streams';
import { RequestContextMiddleware } from './http/request-context';
import { BackgroundErrors } from './observability/background-errors';
import { JsonLogger } from './observability/json-logger';
import { nodeSupportWarning } from './runtime/node-support';

export interface RunningServer {
  readonly grpcPort: number;
  readonly httpPort: number;
  /** The Redis it uses (the embedded one's URL when it started one; `cluster:host:port,...` for a cluster). */
  readonly redisUrl: string;
  readonly app: INestApplication;
  /**
   * Graceful shutdown: stop accepting, end every replay stream at once with a final event, let
   * in-flight requests (commits included) finish within the grace period (HTTP and gRPC drain at
   * the same time), then close the timeout worker, the connections and the embedded Redis.
   */
  close(): Promise<void>;
}

/** Starts the server: Redis (its own when none is configured), the engine, HTTP and gRPC. */
export async function startServer(
  config: ServerConfig,
  logger = new JsonLogger(config.logLevel),
): Promise<RunningServer> {
  for (const warning of config.warnings ?? []) logger.entry('warn', warning);
  let embedded: EmbeddedRedis | undefined;
  if (config.redisUrl === undefined && !config.clusterNodes) {
    embedded = await startEmbeddedRedis({
      dataDir: config.dataDir,
      ...(config.embeddedRedisPort ? { port: config.embeddedRedisPort } : {}),
      onStaleLock: (stale) =>
        logger.entry('warn', 'took over the stale lock of the data directory', {
          dataDir: config.dataDir,
          stale,
        }),
    });
    logger.entry('info', 'started an embedded redis-server', {
      url: embedded.url,
      dataDir: config.dataDir,
      lockFile: embedded.lockFile,
      persistence: 'AOF, appendfsync always',
    });
  }
  const redisUrl =
    config.redisUrl ??
    (config.clusterNodes
      ? `cluster:${config.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',')}`
      : embedded!.url);
  const opened: Array<() => Promise<void>> = [];
  const closeOpened = async (): Promise<void> => {
    for (const close of opened.reverse()) await close().catch(() => undefined);
  };
  if (embedded) opened.push(() => embedded.stop());
  const backgroundErrors = new BackgroundErrors(logger);
  try {
    const connection = () => {
      const redis = config.clusterNodes
        ? new Cluster([...config.clusterNodes], {
            redisOptions: {
              maxRetriesPerRequest: 2,
              connectTimeout: 2000,
              password: config.redisPassword,
            },
          })
        : // Auto-pipelined like the engine's own connection: the script calls of concurrent
          // requests leave in one socket write instead of one write (a system call) each.
          new Redis(redisUrl, {
            maxRetriesPerRequest: 2,
            connectTimeout: 2000,
            enableAutoPipelining: true,
          });
      // Requests see a lost connection as STORAGE_UNAVAILABLE; the connection's errors (one per
      // failed reconnect attempt) are reported: counted, and logged at most every 30 s. The engine
      // reports those of a cluster given to it too: the same error is counted once.
      redis.on('error', (error: Error) => backgroundErrors.report(error, 'redis-connection'));
      opened.push(async () => void (await redis.quit().catch(() => redis.disconnect())));
      return redis;
    };
    const limits = config.limits ?? DEFAULT_LIMITS;
    const client = await Statehouse.connect({
      // The engine opens (and closes) its own connection to one Redis; a cluster's is ours.
      redis: config.clusterNodes ? connection() : redisUrl,
      namespace: config.namespace,
      ...(config.keyPrefix ? { keyPrefix: config.keyPrefix } : {}),
      ...limits,
      // A transaction naming no timeout gets 30 s (the Statehouse SDK's), or the maximum if lower.
      defaultTimeoutMs: Math.min(30_000, limits.maxTimeoutMs),
      durability: config.durability ?? 'primary',
      ...(config.replication ? { replication: config.replication } : {}),
      onError: backgroundErrors.report,
      ...(config.retention ? { retention: config.retention } : {}),
      ...(config.compactionIntervalMs ? { compactionIntervalMs: config.compactionIntervalMs } : {}),
    });
    opened.push(() => client.close());
    const registryRedis = connection();
    if (config.replication) await warnOfMissingReplicas(registryRedis, config.replication, logger);

    const app = await NestFactory.create<NestExpressApplication>(
      AppModule.forResources({ config, client, registryRedis, logger, backgroundErrors }),
      {
        logger,
        abortOnError: false,
        bodyParser: false,
        ...(config.tls
          ? {
              httpsOptions: {
                cert: config.tls.cert,
                key: config.tls.key,
                ...(config.tls.clientCa
                  ? { ca: config.tls.clientCa, requestCert: true, rejectUnauthorized: true }
                  : {}),
              },
            }
          : {}),
      },
    );
    app.disable('x-powered-by');
    // No ETag: Express hashes every response body (SHA-1) for it, 2% of the server's CPU per
    // request, for answers that are never the same twice (commits) or read once (state).
    app.set('etag', false);
    // Once shutdown begins, every answer closes its connection, so keep-alive clients move to
    // another instance instead of holding this one open past the grace period.
    let draining = false;
    app.use((_request: unknown, response: ServerResponse, next: () => void) => {
      if (draining) response.setHeader('connection', 'close');
      next();
    });
    // Request ids, measures and logs first, so that even a body the parser refuses has them.
    const context = app.get(RequestContextMiddleware);
    app.use(context.use.bind(context));
    // Token, media type and the number of large bodies are checked before a body is read.
    const gate = app.get(BodyGateMiddleware);
    app.use(gate.use.bind(gate));
    // Swagger UI's own files for /docs (public, no CDN).
    app.use('/docs/assets', docsAssets);
    // The web inspector's page and assets (public; its data requests carry a token).
    app.use('/ui', inspectorFiles);
    app.useBodyParser('json', JSON_BODY_OPTIONS);
    app.useGlobalFilters(new ProblemFilter(logger));
    await app.listen(config.httpPort, config.host);
    const httpPort = (app.getHttpServer() as { address(): AddressInfo }).address().port;
    const grpcPort = await app.get(GrpcServer).listen();
    embedded?.describeOwner({ grpcPort, httpPort });
    logger.entry('info', 'statehouse server ready', {
      host: config.host,
      ...(config.grpcHost ? { grpcHost: config.grpcHost } : {}),
      grpcPort,
      httpPort,
      tls: config.tls ? (config.tls.clientCa ? 'mutual' : 'server') : 'none',
      auth: config.tokens.size > 0 ? `${config.tokens.size} token(s)` : 'none',
      redis: redactedAddress(redisUrl),
      ...(embedded ? { embeddedRedis: { pid: embedded.pid, dataDir: config.dataDir } } : {}),
      durability: config.durability ?? 'primary',
    });
    const nodeWarning = nodeSupportWarning();
    if (nodeWarning) logger.entry('warn', nodeWarning);
    if (config.insecure && config.tokens.size === 0) {
      logger.entry('warn', `serving ${config.host} without authentication (--insecure)`);
    }
    let closing: Promise<void> | undefined;
    return {
      grpcPort,
      httpPort,
      redisUrl,
      app,
      close: () =>
        (closing ??= (async () => {
          logger.entry('info', 'shutting down: no new requests; in-flight ones may finish');
          draining = true;
          // Replay streams (followers never finish by themselves) end now, with a final event.
          app.get(ReplayStreams).endAll();
          // HTTP and gRPC drain side by side, each for at most the grace period.
          const http = app.getHttpServer();
          const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
          // A connection whose request was under way when shutdown began (a replay stream that
          // just ended) is closed as soon as it is idle, not when its keep-alive timeout ends.
          http.closeIdleConnections();
          const idle = setInterval(() => http.closeIdleConnections(), 50);
          // Connections still busy when the grace period ends are cut (gRPC does the same).
          const cut = setTimeout(() => http.closeAllConnections(), config.shutdownGraceMs);
          try {
            await Promise.all([httpClosed, app.get(GrpcServer).drain()]);
            await app.close(); // the shutdown hooks; both servers are closed already
          } finally {
            clearTimeout(cut);
            clearInterval(idle);
          }
          await closeOpened();
          logger.entry('info', 'stopped');
        })()),
    };
  } catch (error) {
    await closeOpened();
    throw error;
  }
}

/** A Redis address for logs: the URL without its password (`cluster:` and its nodes as given). */
function redactedAddress(redisUrl: string): string {
  if (!/^rediss?:\/\//.test(redisUrl)) return redisUrl;
  try {
    const url = new URL(redisUrl);
    url.password = '';
    url.username = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return redisUrl.replace(/\/\/[^@/]*@/, '//');
  }
}

/**
 * durability 'replicated' on a primary with fewer replicas than required confirms no commit: say
 * so at start (the replicas may still be connecting, so this warns instead of refusing).
 */
async function warnOfMissingReplicas(
  redis: Redis | Cluster,
  replication: { readonly replicas: number },
  logger: JsonLogger,
): Promise<void> {
  const primaries = (redis as Cluster).isCluster
    ? (redis as Cluster).nodes('master')
    : [redis as Redis];
  for (const primary of primaries) {
    const info = await primary.info('replication').catch(() => '');
    const connected = Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? NaN);
    if (connected < replication.replicas) {
      logger.entry(
        'warn',
        `durability replicated needs ${replication.replicas} replica(s) per primary, but ` +
          `${primary.options.host}:${primary.options.port} has ${connected}: its commits will ` +
          'fail with COMMIT_UNKNOWN until enough replicas are connected',
      );
    }
  }
}
