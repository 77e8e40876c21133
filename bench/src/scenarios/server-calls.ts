// (l) The server's cost per call: its CPU (from /proc/<pid>/stat, utime + stime) per gRPC call
// and HTTP request, and calls/s, at concurrency 64, for five kinds of call: a gRPC Health check,
// a statehouse.v1 GetState (a read), a statehouse.v1 transaction (BeginTransaction, three Writes,
// Commit: five calls), an HTTP GET /v1/state and an HTTP POST /v1/commit (three writes). The kinds
// run one after the other, round after round, so that a noisy neighbour spreads over all of them;
// each figure is the median of the rounds, with their range.
// Profile the server with BENCH_SERVER_NODE_OPTIONS='--cpu-prof --cpu-prof-dir=<dir>', one kind
// at a time with BENCH_SERVER_CALLS=grpc-tx (a comma-separated list of kinds), then summarize the
// profile with `node bench/dist/profile-summary.js <file>.cpuprofile`.
import { Agent, request } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as HEALTH_PROTO } from 'grpc-health-check';
import { diffCounters, type BenchRedis } from '../redis-env';
import { processCpuMs, runLoad, withCpu } from '../stats';
import { grpcClient, httpClient, startServer, stopServer, struct, type Unary } from './server';

export const CALL_KINDS = [
  'grpc-health',
  'grpc-get',
  'grpc-tx',
  'http-get',
  'http-commit',
] as const;
export type CallKind = (typeof CALL_KINDS)[number];

/** Server calls (gRPC calls, HTTP requests) per operation of each kind. */
const CALLS_PER_OP: Record<CallKind, number> = {
  'grpc-health': 1,
  'grpc-get': 1,
  'grpc-tx': 5,
  'http-get': 1,
  'http-commit': 1,
};

export interface ServerCallsOptions {
  readonly concurrency: number;
  readonly rounds: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

export interface ServerCallsRound {
  readonly ops: number;
  readonly errors: number;
  readonly callsPerSec: number;
  readonly serverCpuUsPerCall: number;
  /** CPU of the bench (the clients: grpc-js, node:http) and of Redis per call. */
  readonly benchCpuUsPerCall: number;
  readonly redisCpuUsPerCall: number;
  /** Server CPU as a share of one core while it ran, percent. */
  readonly serverCpuPercent: number;
}

export interface ServerCallsKind {
  readonly kind: CallKind;
  readonly callsPerOp: number;
  readonly rounds: ServerCallsRound[];
  readonly firstError?: string;
}

export interface ServerCallsResult {
  readonly concurrency: number;
  readonly kinds: ServerCallsKind[];
}

/** A gRPC client of grpc.health.v1.Health (the server's own, from grpc-health-check). */
function healthClient(port: number): { check: Unary; close(): void } {
  const definition = protoLoader.loadSync(HEALTH_PROTO, { keepCase: true, longs: Number });
  const Health = (
    grpc.loadPackageDefinition(definition) as unknown as {
      grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
    }
  ).grpc.health.v1.Health;
  const client = new Health(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  ) as unknown as grpc.Client & {
    check(r: object, cb: (e: Error | null, r: Record<string, unknown>) => void): void;
  };
  return {
    check: (_method, body) =>
      new Promise((resolve, reject) =>
        client.check(body, (error, response) => (error ? reject(error) : resolve(response))),
      ),
    close: () => client.close(),
  };
}

/** GET of a path over keep-alive connections; rejects on a status of 300 or more. */
function httpGet(
  port: number,
  concurrency: number,
): { get(path: string): Promise<string>; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  return {
    get: (path) =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () =>
            (res.statusCode ?? 500) >= 300
              ? reject(new Error(`HTTP ${res.statusCode}: ${text}`))
              : resolve(text),
          );
        });
        req.on('error', reject);
        req.end();
      }),
    close: () => agent.destroy(),
  };
}

export async function runServerCalls(
  env: BenchRedis,
  options: ServerCallsOptions,
): Promise<ServerCallsResult> {
  await env.resetIfPrivate();
  const server = await startServer(env.url);
  const pid = server.child.pid;
  const v1 = grpcClient(server.grpcPort);
  const health = healthClient(server.grpcPort);
  const http = httpClient(server.httpPort, options.concurrency);
  const get = httpGet(server.httpPort, options.concurrency);
  const namespace = env.namespace('server-calls');
  const statePath = (worker: number): string =>
    `/v1/state?namespace=${encodeURIComponent(namespace)}&agentId=reader-${worker % 16}&key=k`;
  const ops: Record<CallKind, (worker: number) => Promise<unknown>> = {
    'grpc-health': () => health.check('Check', { service: '' }),
    'grpc-get': (worker) =>
      v1.call('GetState', { namespace, agent_id: `reader-${worker % 16}`, key: 'k' }),
    'grpc-tx': async (worker) => {
      const { txn_id } = await v1.call('BeginTransaction', {});
      for (let k = 1; k <= 3; k++) {
        await v1.call('Write', {
          txn_id,
          namespace,
          agent_id: `agent-${worker}`,
          key: `k${k}`,
          value: struct(k),
        });
      }
      await v1.call('Commit', { txn_id });
    },
    'http-get': (worker) => get.get(statePath(worker)),
    'http-commit': (worker) =>
      http.post('/v1/commit', {
        namespace,
        operations: [1, 2, 3].map((k) => ({
          op: 'write',
          agentId: `agent-${worker}`,
          key: `k${k}`,
          value: { n: k, note: 'small' },
        })),
      }),
  };
  const chosen = process.env.BENCH_SERVER_CALLS?.split(',') ?? CALL_KINDS;
  const run = CALL_KINDS.filter((kind) => chosen.includes(kind));
  const kinds = new Map<CallKind, { rounds: ServerCallsRound[]; firstError?: string }>(
    run.map((kind) => [kind, { rounds: [] }]),
  );
  try {
    // The records the reads find: 16 agents, one small record each.
    await http.post('/v1/commit', {
      namespace,
      operations: Array.from({ length: 16 }, (_, i) => ({
        op: 'write',
        agentId: `reader-${i}`,
        key: 'k',
        value: { n: i, note: 'small' },
      })),
    });
    const bounds = (maxMs: number) => ({ maxOps: 2_000_000, maxMs });
    for (let round = 0; round < options.rounds; round++) {
      for (const kind of run) {
        const op = ops[kind];
        await runLoad(options.concurrency, bounds(options.warmupMs), op);
        const redisBefore = await env.counters();
        const before = processCpuMs(pid);
        const { result, cpuMs: benchCpuMs } = await withCpu(() =>
          runLoad(options.concurrency, bounds(options.durationMs), op),
        );
        const cpuMs = processCpuMs(pid) - before;
        const redis = diffCounters(redisBefore, await env.counters());
        const calls = Math.max(1, result.ops * CALLS_PER_OP[kind]);
        const entry = kinds.get(kind)!;
        entry.rounds.push({
          ops: result.ops,
          errors: result.errors,
          callsPerSec: (calls / result.elapsedMs) * 1000,
          serverCpuUsPerCall: (cpuMs * 1000) / calls,
          benchCpuUsPerCall: (benchCpuMs * 1000) / calls,
          redisCpuUsPerCall: (redis.cpuMs * 1000) / calls,
          serverCpuPercent: (cpuMs / result.elapsedMs) * 100,
        });
        if (result.errors && entry.firstError === undefined) {
          entry.firstError = String(result.firstError);
        }
      }
    }
    return {
      concurrency: options.concurrency,
      kinds: run.map((kind) => ({
        kind,
        callsPerOp: CALLS_PER_OP[kind],
        ...kinds.get(kind)!,
      })),
    };
  } finally {
    v1.close();
    health.close();
    http.close();
    get.close();
    await stopServer(server);
  }
}
