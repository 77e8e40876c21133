import { request as httpsRequest } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as HEALTH_PROTO } from 'grpc-health-check';
import { FileDescriptorProto } from 'protobufjs/ext/descriptor';
import { startEmbeddedRedis } from '@statehouse/core';
import { loadConfig } from '../src/config/server-config';
import { LOADER_OPTIONS } from '../src/grpc/grpc-server';
import type { RunningServer } from '../src/server';
import { makeCertificates, type TestCertificates } from './support/certificates';
import { PROTO_DIR, startTestServer } from './support/server';

// The operations side of gRPC, with real clients: health (Check, Watch), reflection, the idle
// timeout, STATEHOUSE_ADDR, and TLS (server and mutual) on gRPC and HTTP.

type Client = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

function clientOf(
  file: string,
  includeDir: string,
  service: string,
): new (address: string, credentials: grpc.ChannelCredentials) => Client {
  const definition = protoLoader.loadSync(file, { ...LOADER_OPTIONS, includeDirs: [includeDir] });
  let node: unknown = grpc.loadPackageDefinition(definition);
  for (const part of service.split('.')) node = (node as Record<string, unknown>)[part];
  return node as new (address: string, credentials: grpc.ChannelCredentials) => Client;
}

const Health = clientOf(
  'health/v1/health.proto',
  dirname(dirname(dirname(HEALTH_PROTO))),
  'grpc.health.v1.Health',
);
const Statehouse = clientOf(
  'statehouse/v1/statehouse.proto',
  PROTO_DIR,
  'statehouse.v1.StatehouseService',
);
const REFLECTION_PROTO_DIR = join(
  dirname(require.resolve('@grpc/reflection/package.json')),
  'build',
  'proto',
);

function unary<T>(client: Client, method: string, request: object): Promise<T> {
  return new Promise((resolve, reject) =>
    (client[method] as (r: object, cb: (e: Error | null, v: T) => void) => void)(
      request,
      (error, value) => (error ? reject(error) : resolve(value)),
    ),
  );
}

/** Polls `read` until it returns `expected`, for up to 5 s; returns the last value read. */
async function eventually<T>(read: () => T | Promise<T>, expected: T): Promise<T> {
  const deadline = Date.now() + 5000;
  let value = await read();
  while (value !== expected && Date.now() < deadline) {
    await new Promise((done) => setTimeout(done, 50));
    value = await read();
  }
  return value;
}

describe('grpc.health.v1', () => {
  let server: RunningServer;
  let health: Client;

  beforeAll(async () => {
    server = await startTestServer();
    health = new Health(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    health.close();
    await server.close();
  });

  it('Check answers SERVING for the server and statehouse.v1, NOT_FOUND for another service', async () => {
    expect(await unary(health, 'Check', { service: '' })).toEqual({ status: 'SERVING' });
    expect(await unary(health, 'Check', { service: 'statehouse.v1.StatehouseService' })).toEqual({
      status: 'SERVING',
    });
    await expect(unary(health, 'Check', { service: 'no.such.Service' })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
  });

  it('Watch streams SERVING, then NOT_SERVING when the server shuts down, and ends', async () => {
    const own = await startTestServer();
    const client = new Health(`127.0.0.1:${own.grpcPort}`, grpc.credentials.createInsecure());
    const statuses: string[] = [];
    const stream = (client.Watch as (r: object) => grpc.ClientReadableStream<{ status: string }>)({
      service: '',
    });
    const ended = new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('error', () => resolve());
    });
    stream.on('data', (message: { status: string }) => statuses.push(message.status));
    expect(await eventually(() => statuses[0], 'SERVING')).toBe('SERVING');
    const closed = own.close();
    await ended;
    await closed;
    client.close();
    expect(statuses).toEqual(['SERVING', 'NOT_SERVING']);
  });

  it('answers probes without a token when tokens are on; statehouse.v1 still needs one', async () => {
    const own = await startTestServer({ tokens: new Map([['secret', '*']]) });
    const address = `127.0.0.1:${own.grpcPort}`;
    const probe = new Health(address, grpc.credentials.createInsecure());
    const statehouse = new Statehouse(address, grpc.credentials.createInsecure());
    try {
      expect(await unary(probe, 'Check', { service: '' })).toEqual({ status: 'SERVING' });
      await expect(unary(statehouse, 'Health', {})).rejects.toMatchObject({
        code: grpc.status.UNAUTHENTICATED,
      });
    } finally {
      probe.close();
      statehouse.close();
      await own.close();
    }
  });

  it('turns NOT_SERVING while Redis is unreachable, and SERVING again once it is back', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'statehouse-health-'));
    let redis = await startEmbeddedRedis({ dataDir });
    const own = await startTestServer({ redisUrl: redis.url });
    const client = new Health(`127.0.0.1:${own.grpcPort}`, grpc.credentials.createInsecure());
    const check = async () =>
      (await unary<{ status: string }>(client, 'Check', { service: '' })).status;
    try {
      expect(await check()).toBe('SERVING');
      await redis.stop();
      expect(await eventually(check, 'NOT_SERVING')).toBe('NOT_SERVING');
      redis = await startEmbeddedRedis({ dataDir, port: redis.port });
      expect(await eventually(check, 'SERVING')).toBe('SERVING');
    } finally {
      client.close();
      await own.close();
      await redis.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 20_000);
});

describe('server reflection', () => {
  it.each(['v1', 'v1alpha'])(
    '%s lists our services and describes statehouse.v1 to a client without a token, tokens on',
    async (version) => {
      const server = await startTestServer({ tokens: new Map([['secret', '*']]) });
      const Reflection = clientOf(
        `grpc/reflection/${version}/reflection.proto`,
        REFLECTION_PROTO_DIR,
        `grpc.reflection.${version}.ServerReflection`,
      );
      const client = new Reflection(
        `127.0.0.1:${server.grpcPort}`,
        grpc.credentials.createInsecure(),
      );
      try {
        const ask = (request: object) =>
          new Promise<Record<string, unknown>>((resolve, reject) => {
            const call = (
              client.ServerReflectionInfo as () => grpc.ClientDuplexStream<
                object,
                Record<string, unknown>
              >
            )();
            call.on('data', (response: Record<string, unknown>) => {
              resolve(response);
              call.end();
            });
            call.on('error', reject);
            call.write(request);
          });
        const listed = (await ask({ list_services: '' })) as {
          list_services_response: { service: Array<{ name: string }> };
        };
        expect(listed.list_services_response.service.map((s) => s.name)).toEqual(
          expect.arrayContaining([
            'statehouse.v1.StatehouseService',
            'statehouse_ts.v1.StatehouseExtService',
            'grpc.health.v1.Health',
          ]),
        );
        const described = (await ask({
          file_containing_symbol: 'statehouse.v1.StatehouseService',
        })) as { file_descriptor_response: { file_descriptor_proto: Buffer[] } };
        const files = described.file_descriptor_response.file_descriptor_proto.map(
          (bytes) =>
            FileDescriptorProto.decode(bytes) as unknown as {
              name: string;
              service: Array<{ name: string; method: Array<{ name: string }> }>;
            },
        );
        const file = files.find((f) => f.service.some((s) => s.name === 'StatehouseService'));
        expect(file?.service[0]!.method.map((m) => m.name)).toEqual(
          expect.arrayContaining(['BeginTransaction', 'Commit', 'Replay']),
        );
      } finally {
        client.close();
        await server.close();
      }
    },
  );
});

describe('connections', () => {
  it('closes a gRPC connection idle for --grpc-idle-timeout-ms; the next call reconnects', async () => {
    const server = await startTestServer({ grpcIdleTimeoutMs: 300 });
    const client = new Health(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure());
    try {
      await unary(client, 'Check', { service: '' });
      const channel = client.getChannel();
      expect(channel.getConnectivityState(false)).toBe(grpc.connectivityState.READY);
      const state = await eventually(
        () => channel.getConnectivityState(false),
        grpc.connectivityState.IDLE,
      );
      expect(grpc.connectivityState[state]).toBe('IDLE');
      expect(await unary(client, 'Check', { service: '' })).toEqual({ status: 'SERVING' });
    } finally {
      client.close();
      await server.close();
    }
  });

  it('listens for gRPC on STATEHOUSE_ADDR, HTTP staying on STATEHOUSE_HOST', async () => {
    const probe = await startTestServer(); // a port that was just free
    const port = probe.grpcPort;
    await probe.close();
    const config = loadConfig(
      { STATEHOUSE_ADDR: `127.0.0.1:${port}`, STATEHOUSE_HTTP_PORT: '0' },
      [],
    );
    const server = await startTestServer({ grpcHost: config.grpcHost, grpcPort: config.grpcPort });
    const client = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      expect(server.grpcPort).toBe(port);
      expect(await unary(client, 'Check', { service: '' })).toEqual({ status: 'SERVING' });
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('TLS', () => {
  let certificates: TestCertificates;
  beforeAll(() => {
    certificates = makeCertificates();
  });
  afterAll(() => certificates.remove());

  const https = (
    port: number,
    path: string,
    client?: { cert: Buffer; key: Buffer },
  ): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const request = httpsRequest(
        { host: '127.0.0.1', port, path, ca: certificates.ca, servername: 'localhost', ...client },
        (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        },
      );
      request.on('error', reject);
      request.end();
    });

  const tlsConfig = (mutual: boolean) => {
    const { tls } = loadConfig(
      {
        STATEHOUSE_TLS_CERT: certificates.files.serverCert,
        STATEHOUSE_TLS_KEY: certificates.files.serverKey,
        ...(mutual ? { STATEHOUSE_TLS_CLIENT_CA: certificates.files.ca } : {}),
      },
      [],
    );
    return tls!;
  };

  it('serves HTTPS and gRPC over TLS with --tls-cert and --tls-key', async () => {
    const server = await startTestServer({ tls: tlsConfig(false) });
    const client = new Statehouse(
      `localhost:${server.grpcPort}`,
      grpc.credentials.createSsl(certificates.ca),
    );
    const plaintext = new Statehouse(
      `127.0.0.1:${server.grpcPort}`,
      grpc.credentials.createInsecure(),
    );
    try {
      expect(await https(server.httpPort, '/healthz')).toEqual({
        status: 200,
        body: '{"status":"ok"}',
      });
      expect(await unary(client, 'Version', {})).toMatchObject({
        version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      });
      await expect(unary(plaintext, 'Version', {})).rejects.toMatchObject({
        code: grpc.status.UNAVAILABLE,
      });
      await expect(fetch(`http://127.0.0.1:${server.httpPort}/healthz`)).rejects.toThrow();
    } finally {
      client.close();
      plaintext.close();
      await server.close();
    }
  });

  it('with --tls-client-ca, serves only clients with a certificate that CA signed', async () => {
    const server = await startTestServer({ tls: tlsConfig(true) });
    const withCertificate = new Statehouse(
      `localhost:${server.grpcPort}`,
      grpc.credentials.createSsl(certificates.ca, certificates.clientKey, certificates.clientCert),
    );
    const without = new Statehouse(
      `localhost:${server.grpcPort}`,
      grpc.credentials.createSsl(certificates.ca),
    );
    try {
      expect(await unary(withCertificate, 'Health', {})).toEqual({ status: 'ok' });
      await expect(unary(without, 'Health', {})).rejects.toMatchObject({
        code: grpc.status.UNAVAILABLE,
      });
      const client = { cert: certificates.clientCert, key: certificates.clientKey };
      expect((await https(server.httpPort, '/healthz', client)).status).toBe(200);
      await expect(https(server.httpPort, '/healthz')).rejects.toThrow();
    } finally {
      withCertificate.close();
      without.close();
      await server.close();
    }
  });
});
