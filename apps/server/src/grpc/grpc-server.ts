import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { protoPath as HEALTH_PROTO } from 'grpc-health-check';
import {
  EXT_PROTO_FILE,
  PROTO_DIR as EXT_PROTO_DIR,
  LOADER_OPTIONS as CONTRACT_LOADER_OPTIONS,
} from '@statehouse/contract';
import { ValidationError, VersionCompactedError } from '@statehouse/core';
import { TokenAuthenticator, type Principal } from '../common/auth';
import { mapError } from '../common/error-mapping';
import { firstEvent } from '../common/first-event';
import { SERVER_CONFIG } from '../common/injection-tokens';
import type { ServerConfig } from '../config/server-config';
import { JsonLogger } from '../observability/json-logger';
import { MetricsService } from '../observability/metrics.service';
import { GrpcHealth } from './grpc-health';
import type { CallContext, ClientStreamHandler, StreamHandler, UnaryHandler } from './rpc-handlers';
import { OperatorHandlers } from './operator.handlers';
import { bindHandlers } from './service-handlers';
import { StatehouseExtHandlers } from './statehouse-ext.handlers';
import { StatehouseV1Handlers } from './statehouse-v1.handlers';
import { refuseTruncatedStrings } from './strict-protobuf';

refuseTruncatedStrings();

const PROTO_DIR = join(__dirname, 'proto');
/**
 * The contract's options (what the generated types in ./generated and @statehouse/contract assume;
 * scripts/proto-types.mjs), with both services' .proto directories (statehouse_ts.v1 from the
 * @statehouse/contract package).
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  ...CONTRACT_LOADER_OPTIONS,
  includeDirs: [PROTO_DIR, EXT_PROTO_DIR],
};

const NEVER_ABORTED = new AbortController().signal;

/** A request that did not decode: answered INVALID_ARGUMENT instead of grpc-js' INTERNAL. */
const MALFORMED = Symbol('malformed');
/** Services open without a token: probes (grpc.health.v1) and server reflection, as on HTTP. */
const PUBLIC_SERVICE = /^\/grpc\.(health|reflection)\./;

type Handler = UnaryHandler<unknown, object>;
type AnyStreamHandler = StreamHandler<unknown, object>;
type AnyClientStreamHandler = ClientStreamHandler<unknown, object>;

/**
 * The gRPC server (grpc-js, inside the Nest application) on `host:grpcPort`:
 * statehouse.v1.StatehouseService (the daemon's protocol) and statehouse_ts.v1.StatehouseExtService
 * (ours, for what statehouse.v1 cannot express). Every call is authenticated (bearer token in the `authorization` metadata),
 * gets a request id (`x-request-id` metadata, or a new one, sent back), is measured and logged,
 * and every error leaves as a status with a clear message and the stable code in the
 * `statehouse-code` trailer.
 * Beside them, unauthenticated: grpc.health.v1.Health (GrpcHealth) and server reflection (v1 and
 * v1alpha, describing all three), so grpcurl and Kubernetes gRPC probes work. With --tls-cert it
 * serves TLS (with --tls-client-ca, only to clients with a certificate that CA signed).
 */
@Injectable()
export class GrpcServer implements OnApplicationShutdown {
  private server: grpc.Server | undefined;
  private boundPort = 0;
  private draining: Promise<void> | undefined;

  constructor(
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    private readonly v1: StatehouseV1Handlers,
    private readonly ext: StatehouseExtHandlers,
    private readonly operator: OperatorHandlers,
    private readonly auth: TokenAuthenticator,
    private readonly metrics: MetricsService,
    private readonly logger: JsonLogger,
    private readonly health: GrpcHealth,
  ) {}

  /** The port it listens on (the configured one, or the one picked for port 0). */
  get port(): number {
    return this.boundPort;
  }

  async listen(): Promise<number> {
    const server = new grpc.Server({
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      // Without tokens there is nothing to refuse early, and every layer of interception costs
      // each call (bench --only server-calls).
      interceptors: this.auth.enabled ? [this.authenticateBeforeMessage()] : [],
      // Channelz (call counters and traces per server and socket) is kept for a channelz service
      // that this server does not serve: 2.5% of its CPU per call, for nothing.
      'grpc.enable_channelz': 0,
      // A connection without calls is closed (GOAWAY) after the idle timeout; clients reconnect
      // on their next call. Keepalive pings find dead peers of open streams (a follow replay).
      'grpc.max_connection_idle_ms': this.config.grpcIdleTimeoutMs ?? 300_000,
      'grpc.keepalive_time_ms': 120_000,
      'grpc.keepalive_timeout_ms': 20_000,
    });
    const services: Array<[proto: string, service: string, handlers: object | object[]]> = [
      ['statehouse/v1/statehouse.proto', 'statehouse.v1.StatehouseService', this.v1],
      [EXT_PROTO_FILE, 'statehouse_ts.v1.StatehouseExtService', [this.ext, this.operator]],
    ];
    for (const [proto, name, handlers] of services) {
      const service = protoLoader.loadSync(proto, LOADER_OPTIONS)[name] as grpc.ServiceDefinition;
      const implementation: grpc.UntypedServiceImplementation = {};
      const methods: Record<string, grpc.MethodDefinition<unknown, object>> = {};
      // Throws at start, naming the RPCs without a handler (and handlers without an RPC).
      for (const { method, definition, handler } of bindHandlers(service, handlers, {
        proto,
        service: name,
      })) {
        methods[method] = {
          ...definition,
          requestDeserialize: tolerant(definition.requestDeserialize),
        };
        implementation[method] = definition.requestStream
          ? this.clientStreaming(`/${name}/${method}`, handler as AnyClientStreamHandler)
          : definition.responseStream
            ? this.streaming(`/${name}/${method}`, handler as AnyStreamHandler)
            : this.unary(`/${name}/${method}`, handler as Handler);
      }
      server.addService(methods, implementation);
    }
    this.health.addToServer(server);
    new ReflectionService({
      ...protoLoader.loadSync(
        services.map(([proto]) => proto),
        LOADER_OPTIONS,
      ),
      ...protoLoader.loadSync('health/v1/health.proto', {
        ...LOADER_OPTIONS,
        includeDirs: [dirname(dirname(dirname(HEALTH_PROTO)))],
      }),
    }).addToServer(server);
    await this.health.start();
    const host = this.config.grpcHost ?? this.config.host;
    this.boundPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        `${host.includes(':') ? `[${host}]` : host}:${this.config.grpcPort}`,
        this.credentials(),
        (error, port) => (error ? reject(error) : resolve(port)),
      ),
    );
    this.server = server;
    return this.boundPort;
  }

  private credentials(): grpc.ServerCredentials {
    const tls = this.config.tls;
    if (!tls) return grpc.ServerCredentials.createInsecure();
    return grpc.ServerCredentials.createSsl(
      tls.clientCa ?? null,
      [{ cert_chain: tls.cert, private_key: tls.key }],
      tls.clientCa !== undefined,
    );
  }

  /** Stops accepting calls, lets running ones finish (up to the grace period), then cancels them. */
  onApplicationShutdown(): Promise<void> {
    return this.drain();
  }

  /**
   * The same, callable before the application's shutdown hooks (server.ts drains gRPC and HTTP at
   * once); every call after the first returns the same promise.
   */
  drain(): Promise<void> {
    return (this.draining ??= new Promise<void>((resolve) => {
      // NOT_SERVING for probes, and Watch streams end so they do not hold the grace period.
      this.health.stop();
      const server = this.server;
      this.server = undefined;
      if (!server) return resolve();
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, this.config.shutdownGraceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    }));
  }

  private unary(method: string, handler: Handler): grpc.handleUnaryCall<unknown, object> {
    return (call, callback) =>
      this.answer(method, call, callback, () =>
        handler(this.decoded(call.request), this.context(call)),
      );
  }

  /**
   * A client-streaming call: the handler reads the messages as an async iterable (a message that
   * does not decode ends it with INVALID_ARGUMENT) and answers once. A client that cancels ends
   * the iteration with an error, so the handler stops.
   */
  private clientStreaming(
    method: string,
    handler: AnyClientStreamHandler,
  ): grpc.handleClientStreamingCall<unknown, object> {
    return (call, callback) => {
      const cancelled = new AbortController();
      call.on('cancelled', () => cancelled.abort());
      const decoded = this.decoded.bind(this);
      async function* requests(): AsyncGenerator<unknown> {
        for await (const request of call as AsyncIterable<unknown>) {
          yield decoded(request);
        }
      }
      this.answer(method, call, callback, () =>
        handler(requests(), { ...this.context(call), signal: cancelled.signal }),
      );
    };
  }

  /** Runs a call that answers once (unary, client streaming): measured, logged, mapped. */
  private answer(
    method: string,
    call: AnyCall,
    callback: grpc.sendUnaryData<object>,
    work: () => Promise<object>,
  ): void {
    const started = process.hrtime.bigint();
    const requestId = requestIdOf(call);
    void (async () => {
      try {
        const response = await work();
        this.finish(method, requestId, started, grpc.status.OK);
        // The headers go with the answer: sent at the start, they took a write of their own.
        sendRequestId(call, requestId);
        callback(null, response);
      } catch (error) {
        const failure = this.failure(method, requestId, started, error);
        sendRequestId(call, requestId);
        callback(failure);
      }
    })();
  }

  private streaming(
    method: string,
    handler: AnyStreamHandler,
  ): grpc.handleServerStreamingCall<unknown, object> {
    return (call) => {
      // First of all: a client that cancels or goes away ends the handler's work at once.
      const cancelled = new AbortController();
      call.on('cancelled', () => cancelled.abort());
      if (call.cancelled) cancelled.abort();
      const started = process.hrtime.bigint();
      // Headers at once: a follower may wait long for its first event.
      const requestId = requestIdOf(call);
      sendRequestId(call, requestId);
      void (async () => {
        try {
          const request = this.decoded(call.request);
          const context = { ...this.context(call), signal: cancelled.signal };
          // Backpressure: when the socket's buffer is full, wait for it to drain.
          const write = async (message: object, ended?: AbortSignal): Promise<void> => {
            if (!call.write(message)) {
              await firstEvent([[call, 'drain']], [cancelled.signal, ...(ended ? [ended] : [])]);
            }
          };
          await handler(request, context, write);
          this.finish(method, requestId, started, grpc.status.OK);
          call.end();
        } catch (error) {
          call.emit('error', this.failure(method, requestId, started, error));
        }
      })();
    };
  }

  /**
   * Checks the token as soon as the metadata arrives: a refused call is answered before its message
   * (up to 64 MiB) is read, as HTTP answers 401 before reading a body. The handlers authenticate
   * again for their principal (a map lookup).
   */
  private authenticateBeforeMessage(): grpc.ServerInterceptor {
    return (method, call) =>
      PUBLIC_SERVICE.test(method.path)
        ? new grpc.ServerInterceptingCall(call)
        : new grpc.ServerInterceptingCall(call, {
            start: (next) =>
              next({
                onReceiveMetadata: (metadata, nextMetadata) => {
                  try {
                    this.principal(metadata);
                  } catch (error) {
                    const mapped = mapError(error);
                    const trailer = new grpc.Metadata();
                    trailer.set('statehouse-code', mapped.code);
                    call.sendStatus({
                      code: mapped.grpcStatus,
                      details: mapped.message,
                      metadata: trailer,
                    });
                    return;
                  }
                  nextMetadata(metadata);
                },
              }),
          });
  }

  private context(call: AnyCall): CallContext {
    return {
      principal: this.principal(call.metadata),
      cancelled: () => call.cancelled,
      signal: NEVER_ABORTED,
    };
  }

  private principal(metadata: grpc.Metadata): Principal {
    // Without tokens everyone is the same principal: no metadata to read.
    if (!this.auth.enabled) return this.auth.authenticate(undefined);
    const value = metadata.get('authorization')[0];
    return this.auth.authenticate(typeof value === 'string' ? value : undefined);
  }

  private decoded(request: unknown): unknown {
    if (request !== null && typeof request === 'object' && MALFORMED in request) {
      throw new ValidationError(
        'request',
        `is not a valid protobuf message of this RPC (${String((request as Record<symbol, unknown>)[MALFORMED])})`,
      );
    }
    return request ?? {};
  }

  private finish(method: string, requestId: string, started: bigint, code: grpc.status): void {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.metrics.rpcDuration.observe(
      {
        transport: 'grpc',
        method: method.slice(method.lastIndexOf('/') + 1),
        route: method,
        code: grpc.status[code],
      },
      seconds,
    );
    if (this.logger.enabled('debug')) {
      this.logger.entry('debug', 'grpc call', {
        requestId,
        method,
        code: grpc.status[code],
        ms: Math.round(seconds * 1e6) / 1e3,
      });
    }
  }

  private failure(
    method: string,
    requestId: string,
    started: bigint,
    error: unknown,
  ): grpc.ServiceError {
    const mapped = mapError(error);
    this.finish(method, requestId, started, mapped.grpcStatus);
    if (!mapped.expected) {
      this.logger.entry('error', 'grpc call failed', {
        requestId,
        method,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    } else if (this.logger.enabled('info') && mapped.grpcStatus === grpc.status.UNAVAILABLE) {
      this.logger.entry('warn', mapped.message, { requestId, method, code: mapped.code });
    }
    const trailer = new grpc.Metadata();
    trailer.set('statehouse-code', mapped.code);
    trailer.set('x-request-id', requestId);
    if (error instanceof VersionCompactedError && error.compactedTs !== null) {
      trailer.set('statehouse-compacted-ts', String(error.compactedTs));
    }
    const failure: grpc.ServiceError = Object.assign(new Error(mapped.message), {
      code: mapped.grpcStatus,
      details: mapped.message,
      metadata: trailer,
    });
    return failure;
  }
}

type AnyCall =
  | grpc.ServerUnaryCall<unknown, object>
  | grpc.ServerWritableStream<unknown, object>
  | grpc.ServerReadableStream<unknown, object>;

/** The call's request id: its `x-request-id` metadata when well-formed, else a new one. */
function requestIdOf(call: AnyCall): string {
  const given = call.metadata.get('x-request-id')[0];
  return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

/** Sends the request id back in the call's headers (initial metadata). */
function sendRequestId(call: AnyCall, requestId: string): void {
  const metadata = new grpc.Metadata();
  metadata.set('x-request-id', requestId);
  call.sendMetadata(metadata);
}

/** A deserializer that never throws: a malformed message becomes a marker the handler refuses. */
function tolerant(deserialize: grpc.deserialize<unknown>): grpc.deserialize<unknown> {
  return (bytes: Buffer) => {
    try {
      return deserialize(bytes);
    } catch (error) {
      return { [MALFORMED]: error instanceof Error ? error.message : String(error) };
    }
  };
}
