// (h) Full transactions (begin, three writes, commit) through the server, at concurrency 64: the
// statehouse.v1 gRPC protocol, the HTTP API per operation, the HTTP one-request commit and the
// network client (@statehouse/client, over statehouse_ts.v1). The
// server runs as its own process (apps/server/dist/main.js) on the bench's Redis, as deployed.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Agent, request } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { StatehouseClient } from '@statehouse/client';
import type { BenchRedis } from '../redis-env';
import { runLoad, withCpu, type LatencySummary, transactionFigures } from '../stats';

const ROOT = join(__dirname, '..', '..', '..');
/** The server the bench starts; BENCH_SERVER_MAIN names another build (an A/B of two builds). */
const SERVER_MAIN =
  process.env.BENCH_SERVER_MAIN ?? join(ROOT, 'apps', 'server', 'dist', 'main.js');
const PROTO_DIR = join(ROOT, 'apps', 'server', 'dist', 'grpc', 'proto');

export type ServerTransport = 'grpc' | 'http' | 'http-commit' | 'client';

export interface ServerBenchOptions {
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly maxOps: number;
}

export interface ServerTransportResult {
  readonly transport: ServerTransport;
  readonly transactions: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly txPerSec: number;
  readonly latency: LatencySummary;
  /** CPU of this (client) process per transaction. */
  readonly clientCpuUsPerTx: number;
}

export interface ServerBenchResult {
  readonly concurrency: number;
  readonly results: ServerTransportResult[];
}

export interface RunningServer {
  readonly child: ChildProcess;
  readonly grpcPort: number;
  readonly httpPort: number;
}

/**
 * Node options for the server processes the bench starts, e.g. to profile them:
 * `BENCH_SERVER_NODE_OPTIONS='--cpu-prof --cpu-prof-dir=/tmp/prof'` (a profile per process, written
 * when it stops).
 */
const SERVER_NODE_OPTIONS = (process.env.BENCH_SERVER_NODE_OPTIONS ?? '')
  .split(/\s+/)
  .filter(Boolean);

export function startServer(redisUrl: string): Promise<RunningServer> {
  const child = spawn(
    process.execPath,
    [
      ...SERVER_NODE_OPTIONS,
      SERVER_MAIN,
      '--redis-url',
      redisUrl,
      '--grpc-port',
      '0',
      '--http-port',
      '0',
      '--log-level',
      'info',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let buffer = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (const line of buffer.split('\n').slice(0, -1)) {
        const entry = JSON.parse(line) as { msg?: string; grpcPort?: number; httpPort?: number };
        if (entry.msg === 'statehouse server ready') {
          resolve({ child, grpcPort: entry.grpcPort!, httpPort: entry.httpPort! });
        }
      }
      buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${stderr}`)));
  });
}

export async function stopServer(server: RunningServer): Promise<void> {
  const exited = new Promise((done) => server.child.on('exit', done));
  server.child.kill('SIGTERM');
  await exited;
}

export type Unary = (method: string, request: object) => Promise<Record<string, unknown>>;

export function grpcClient(port: number): { call: Unary; close(): void } {
  const definition = protoLoader.loadSync('statehouse/v1/statehouse.proto', {
    keepCase: true,
    longs: Number,
    defaults: false,
    oneofs: true,
    includeDirs: [PROTO_DIR],
  });
  const Service = (
    grpc.loadPackageDefinition(definition) as unknown as {
      statehouse: { v1: { StatehouseService: grpc.ServiceClientConstructor } };
    }
  ).statehouse.v1.StatehouseService;
  const client = new Service(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  ) as unknown as grpc.Client &
    Record<string, (r: object, cb: (e: Error | null, r: Record<string, unknown>) => void) => void>;
  return {
    call: (method, body) =>
      new Promise((resolve, reject) =>
        client[method]!(body, (error, response) => (error ? reject(error) : resolve(response))),
      ),
    close: () => client.close(),
  };
}

export function httpClient(port: number, concurrency: number): { post: Unary; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  return {
    post: (path, body) =>
      new Promise((resolve, reject) => {
        const payload = JSON.stringify(body);
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path,
            method: 'POST',
            agent,
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(payload),
            },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () => {
              if ((res.statusCode ?? 500) >= 300)
                reject(new Error(`HTTP ${res.statusCode}: ${text}`));
              else resolve(text ? (JSON.parse(text) as Record<string, unknown>) : {});
            });
          },
        );
        req.on('error', reject);
        req.end(payload);
      }),
    close: () => agent.destroy(),
  };
}

export const struct = (n: number) => ({
  fields: { n: { numberValue: n }, note: { stringValue: 'small' } },
});

export async function runServerTransports(
  env: BenchRedis,
  options: ServerBenchOptions,
): Promise<ServerBenchResult> {
  await env.resetIfPrivate();
  const server = await startServer(env.url);
  const grpcClientInstance = grpcClient(server.grpcPort);
  const http = httpClient(server.httpPort, options.concurrency);
  const namespace = env.namespace('server');
  const network = await StatehouseClient.connect({
    url: `127.0.0.1:${server.grpcPort}`,
    namespace,
  });
  const transactions: Record<ServerTransport, (worker: number) => Promise<void>> = {
    grpc: async (worker) => {
      const { txn_id } = await grpcClientInstance.call('BeginTransaction', {});
      for (let k = 1; k <= 3; k++) {
        await grpcClientInstance.call('Write', {
          txn_id,
          namespace,
          agent_id: `agent-${worker}`,
          key: `k${k}`,
          value: struct(k),
        });
      }
      await grpcClientInstance.call('Commit', { txn_id });
    },
    http: async (worker) => {
      const { txId } = await http.post('/v1/transactions', { namespace });
      for (let k = 1; k <= 3; k++) {
        await http.post(`/v1/transactions/${encodeURIComponent(txId as string)}/write`, {
          agentId: `agent-${worker}`,
          key: `k${k}`,
          value: { n: k, note: 'small' },
        });
      }
      await http.post(`/v1/transactions/${encodeURIComponent(txId as string)}/commit`, {});
    },
    client: async (worker) => {
      const tx = await network.beginTransaction();
      for (let k = 1; k <= 3; k++) {
        await tx.write({
          agentId: `agent-${worker}`,
          key: `k${k}`,
          value: { n: k, note: 'small' },
        });
      }
      await tx.commit();
    },
    'http-commit': async (worker) => {
      await http.post('/v1/commit', {
        namespace,
        operations: [1, 2, 3].map((k) => ({
          op: 'write',
          agentId: `agent-${worker}`,
          key: `k${k}`,
          value: { n: k, note: 'small' },
        })),
      });
    },
  };
  try {
    const results: ServerTransportResult[] = [];
    for (const transport of ['grpc', 'http', 'http-commit', 'client'] as const) {
      const op = transactions[transport];
      await runLoad(options.concurrency, { maxOps: options.maxOps, maxMs: options.warmupMs }, op);
      const { result, cpuMs } = await withCpu(() =>
        runLoad(options.concurrency, { maxOps: options.maxOps, maxMs: options.durationMs }, op),
      );
      results.push({
        transport,
        ...transactionFigures(result),
        clientCpuUsPerTx: (cpuMs * 1000) / Math.max(1, result.ops),
      });
    }
    return { concurrency: options.concurrency, results };
  } finally {
    grpcClientInstance.close();
    http.close();
    await network.close();
    await stopServer(server);
  }
}
