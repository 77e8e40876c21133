import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ServerConfig } from '../../src/config/server-config';
import { JsonLogger } from '../../src/observability/json-logger';
import { startServer, type RunningServer } from '../../src/server';
import { LOADER_OPTIONS } from '../../src/grpc/grpc-server';

export const PROTO_DIR = join(__dirname, '..', '..', 'src', 'grpc', 'proto');

/**
 * A server on the test Redis, on free ports, logging only errors (to the test output, or to
 * `logger`).
 */
export async function startTestServer(
  overrides: Partial<ServerConfig> = {},
  logger = new JsonLogger('error'),
): Promise<RunningServer> {
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) throw new Error('REDIS_URL is not set: run the tests with `npm test`');
  const config: ServerConfig = {
    host: '127.0.0.1',
    grpcPort: 0,
    httpPort: 0,
    redisUrl,
    dataDir: 'data',
    tokens: new Map(),
    insecure: false,
    logLevel: 'error',
    namespace: 'default',
    shutdownGraceMs: 5000,
    ...overrides,
  };
  return startServer(config, logger);
}

type Callback = (error: grpc.ServiceError | null, response: Record<string, unknown>) => void;
export type V1Client = grpc.Client &
  Record<
    string,
    (
      request: object,
      metadata: grpc.Metadata,
      callback: Callback,
    ) => grpc.ClientUnaryCall & grpc.ClientReadableStream<Record<string, unknown>>
  >;

function serviceClient(proto: string, name: string): grpc.ServiceClientConstructor {
  const definition = protoLoader.loadSync(proto, LOADER_OPTIONS);
  let node: unknown = grpc.loadPackageDefinition(definition);
  for (const part of name.split('.')) node = (node as Record<string, unknown>)[part];
  return node as grpc.ServiceClientConstructor;
}

const SERVICES = {
  v1: () => serviceClient('statehouse/v1/statehouse.proto', 'statehouse.v1.StatehouseService'),
  ext: () =>
    serviceClient('statehouse_ts/v1/statehouse_ts.proto', 'statehouse_ts.v1.StatehouseExtService'),
};

/** A client of statehouse.v1 (or, with `service: 'ext'`, of our own service), promise-based. */
export class V1 {
  readonly raw: V1Client;

  constructor(
    port: number,
    private readonly token?: string,
    service: keyof typeof SERVICES = 'v1',
  ) {
    const Service = SERVICES[service]();
    this.raw = new Service(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    ) as unknown as V1Client;
  }

  metadata(): grpc.Metadata {
    const metadata = new grpc.Metadata();
    if (this.token) metadata.set('authorization', `Bearer ${this.token}`);
    return metadata;
  }

  call<T = Record<string, unknown>>(method: string, request: object = {}): Promise<T> {
    return new Promise((resolve, reject) => {
      this.raw[method]!(request, this.metadata(), (error, response) =>
        error ? reject(error) : resolve(response as T),
      );
    });
  }

  /** Replay's events, all of them. */
  replay(request: object): Promise<Array<Record<string, unknown>>> {
    return new Promise((resolve, reject) => {
      const events: Array<Record<string, unknown>> = [];
      const stream = (
        this.raw as unknown as {
          Replay(r: object, m: grpc.Metadata): grpc.ClientReadableStream<Record<string, unknown>>;
        }
      ).Replay(request, this.metadata());
      stream.on('data', (event: Record<string, unknown>) => events.push(event));
      stream.on('error', reject);
      stream.on('end', () => resolve(events));
    });
  }

  close(): void {
    this.raw.close();
  }
}

/** A rejected call's status, message and stable code. */
export async function failure(
  promise: Promise<unknown>,
): Promise<{ status: string; message: string; code: string | undefined }> {
  try {
    await promise;
  } catch (error) {
    const e = error as grpc.ServiceError;
    const code = e.metadata?.get('statehouse-code')[0];
    return { status: grpc.status[e.code], message: e.details, code: code as string | undefined };
  }
  throw new Error('expected the call to fail');
}

/** A Struct holding `json` (numbers as doubles, as on the wire). */
export { jsonToStruct as struct, structToJson as json } from '../../src/grpc/struct';
