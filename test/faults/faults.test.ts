import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedRedis, Statehouse, type EmbeddedRedis } from '@statehouse/core';
import { FlakyProxy } from '../../libs/core/test/support/flaky-proxy';
import { startServerProcess, type ServerProcess } from '../support/server-process';
import { checkHistory, type FinalRecord, type LoggedCommit } from './checker';
import {
  ACCOUNTS,
  BANK,
  INITIAL_BALANCE,
  engineClient,
  httpClient,
  timeoutClient,
  type Recorder,
} from './workload';

// Fault injection with a history checker (`npm run test:faults`; also part of `npm test`).
// Clients run mixed transactions (blind writes, deletes, bank transfers, timeouts) directly, through
// a proxy that drops connections mid-commit, and over HTTP through two server processes, while
// Redis (AOF, appendfsync always) is killed with SIGKILL and restarted, paused and resumed, and a
// server is killed with SIGKILL. Afterwards checker.ts compares every outcome with the replay log
// and the final state. FAULTS_DURATION_MS sets the length of the run (default 20 s).

const DURATION_MS = Number(process.env.FAULTS_DURATION_MS ?? 20_000);
const FAULTS = ['kill-redis', 'drop-connections', 'kill-server', 'pause-redis'] as const;
type Fault = (typeof FAULTS)[number];

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

let dataDir: string;
let redis: EmbeddedRedis;
let proxy: FlakyProxy;
let proxyUrl: string;
const servers: Array<ServerProcess | undefined> = [];
const clients: Statehouse[] = [];

async function startServer(index: number): Promise<void> {
  servers[index] = await startServerProcess([], {
    ...process.env,
    STATEHOUSE_REDIS_URL: redis.url,
    STATEHOUSE_LOG_LEVEL: 'info',
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'statehouse-faults-'));
  redis = await startEmbeddedRedis({ dataDir, appendfsync: 'always' });
  proxy = new FlakyProxy({ host: '127.0.0.1', port: redis.port });
  proxyUrl = await proxy.listen();
  await startServer(0);
  await startServer(1);
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
  for (const server of servers) {
    server?.child.kill('SIGTERM');
    await server?.exited;
  }
  await proxy?.close();
  await redis?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function connect(url: string, namespace: string, worker = true): Promise<Statehouse> {
  const client = await Statehouse.connect({
    redis: url,
    namespace,
    ...(worker ? {} : { timeoutWorker: false }),
  });
  clients.push(client);
  return client;
}

async function inject(fault: Fault): Promise<void> {
  switch (fault) {
    case 'kill-redis': {
      process.kill(redis.pid, 'SIGKILL');
      await redis.stop(); // waits for the exit
      // Down long enough for commits in flight to run out of reconnect attempts: their clients
      // get CommitUnknownError and must find out by committing again.
      await sleep(1000);
      redis = await startEmbeddedRedis({ dataDir, port: redis.port, appendfsync: 'always' });
      return;
    }
    case 'pause-redis':
      process.kill(redis.pid, 'SIGSTOP');
      await sleep(1000);
      process.kill(redis.pid, 'SIGCONT');
      return;
    case 'kill-server': {
      const victim = servers[1]!;
      victim.child.kill('SIGKILL');
      await victim.exited;
      servers[1] = undefined;
      await sleep(500);
      await startServer(1);
      return;
    }
    case 'drop-connections':
      // Each drop loses the next reply Redis sends through the proxy, after Redis ran the command.
      for (let i = 0; i < 10; i++) {
        proxy.arm();
        await sleep(100);
      }
      return;
  }
}

it('keeps every acknowledged commit, once and in order, through Redis and server crashes', async () => {
  const namespace = `faults-${Date.now().toString(36)}`;
  const direct = await connect(redis.url, namespace);
  // The bank's accounts, in the namespace's first commit.
  await direct.transaction(async (tx) => {
    for (const key of ACCOUNTS)
      await tx.write({ agentId: BANK, key, value: { balance: INITIAL_BALANCE } });
  });
  const setupCommits = new Set([1]);

  let stopped = false;
  const recorder: Recorder = {
    attempts: [],
    untyped: [],
    operations: 0,
    resolvedAfterRetry: 0,
    stopped: () => stopped,
  };
  const actors = [
    engineClient(recorder, direct, 'e0'),
    engineClient(recorder, await connect(redis.url, namespace), 'e1'),
    engineClient(recorder, await connect(proxyUrl, namespace, false), 'p0'),
    engineClient(recorder, await connect(proxyUrl, namespace, false), 'p1'),
    // Pipelined transactions: begin, writes and commit sent without waiting for each answer.
    engineClient(recorder, await connect(redis.url, namespace), 'q0', { pipelined: true }),
    engineClient(recorder, await connect(proxyUrl, namespace, false), 'q1', { pipelined: true }),
    timeoutClient(recorder, await connect(redis.url, namespace), 't0'),
    httpClient(recorder, liveServers, namespace, 'h0'),
    httpClient(recorder, liveServers, namespace, 'h1'),
  ];

  const injected = new Map<Fault, number>();
  const progress = setInterval(() => {
    if (process.env.DEBUG_FAULTS)
      process.stdout.write(
        `[faults] ${recorder.operations} ops ${recorder.attempts.length} attempts\n`,
      );
  }, 2000);
  const started = Date.now();
  try {
    // Every kind of fault at least once, however slow the machine.
    for (let i = 0; Date.now() - started < DURATION_MS || i < FAULTS.length; i++) {
      await sleep(1500);
      const fault = FAULTS[i % FAULTS.length]!;
      await inject(fault);
      injected.set(fault, (injected.get(fault) ?? 0) + 1);
    }
    await sleep(1000); // the clients settle on a healthy system
  } finally {
    stopped = true;
    await Promise.all(
      actors.map((a, i) =>
        a.then(
          () => process.env.DEBUG_FAULTS && process.stdout.write(`[faults] actor ${i} done\n`),
        ),
      ),
    );
    clearInterval(progress);
  }

  // What the store holds: every agent's replay, merged by commitTs, and every record's state.
  const reader = await connect(redis.url, namespace, false);
  const agents = [
    BANK,
    ...new Set(recorder.attempts.flatMap((a) => a.operations.map((o) => o.agentId))),
  ];
  const commits = new Map<number, LoggedCommit['operations'][number][]>();
  for (const agentId of new Set(agents)) {
    for await (const event of reader.replay({ agentId })) {
      const operations = commits.get(event.commitTs) ?? [];
      for (const op of event.operations) {
        operations.push({
          agentId,
          key: op.key,
          value: op.value,
          version: op.version,
        });
      }
      commits.set(event.commitTs, operations);
    }
  }
  const log = [...commits.entries()]
    .sort(([a], [b]) => a - b)
    .map(([commitTs, operations]) => ({ commitTs, operations }));
  const finalState = new Map<string, FinalRecord>();
  const records = new Set([
    ...log.flatMap((c) => c.operations.map((o) => `${o.agentId}\u0000${o.key}`)),
    ...recorder.attempts.flatMap((a) => a.operations.map((o) => `${o.agentId}\u0000${o.key}`)),
  ]);
  for (const record of records) {
    const [agentId, key] = record.split('\u0000') as [string, string];
    const state = await reader.getState({ agentId, key });
    finalState.set(`${agentId}/${key}`, {
      exists: state.exists,
      value: state.value,
      version: state.version,
    });
  }

  const result = checkHistory({
    attempts: recorder.attempts,
    log,
    finalState,
    setupCommits,
    bank: { agentId: BANK, total: INITIAL_BALANCE * ACCOUNTS.length },
  });
  const figures = {
    durationMs: Date.now() - started,
    operations: recorder.operations,
    faults: Object.fromEntries(injected),
    repliesDropped: proxy.dropped,
    commitsLogged: log.length,
    acknowledged: result.acknowledged,
    failed: result.failed,
    settledByRetry: recorder.resolvedAfterRetry,
    unknown: result.unknown,
    unknownThatCommitted: result.unknownPresent,
    untypedErrors: recorder.untyped.length,
    violations: result.violations.length,
  };
  process.stdout.write(`[faults] ${JSON.stringify(figures)}\n`);

  expect(result.violations).toEqual([]);
  expect(recorder.untyped).toEqual([]);
  // The run did what it says: every fault happened, and work went on through them.
  for (const fault of FAULTS) expect(injected.get(fault)).toBeGreaterThan(0);
  expect(proxy.dropped).toBeGreaterThan(0);
  expect(result.acknowledged).toBeGreaterThan(200);
  const byVia = (prefix: string) =>
    recorder.attempts.filter((a) => a.via.startsWith(prefix) && a.outcome === 'ok').length;
  for (const prefix of ['e', 'p', 'q', 'h']) expect(byVia(prefix)).toBeGreaterThan(10);
  expect(recorder.attempts.some((a) => a.kind === 'transfer' && a.outcome === 'ok')).toBe(true);
  // Transactions left open past their timeout never commit.
  expect(recorder.attempts.filter((a) => a.kind === 'timeout' && a.outcome === 'ok')).toEqual([]);
}, 120_000);

function liveServers(): string[] {
  const live = servers.filter(
    (s): s is ServerProcess => s !== undefined && s.child.exitCode === null,
  );
  return live.map((s) => `http://127.0.0.1:${s.httpPort}`);
}
