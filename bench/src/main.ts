// `npm run bench`: measures @statehouse/core against a Lua baseline on one Redis.
//   --json           print the report as JSON on stdout (progress goes to stderr either way)
//   --only a,b,...   run some scenarios: baseline, tx1, tx64, tx64-buffered, rmw-low, rmw-high,
//                    timeouts, memory, replay, server, cluster, servers, memory-history
//                    (cluster, servers and memory-history, the scale-out ones, also run by
//                    default; see bench/README.md); and only when named: peers (ours against
//                    PostgreSQL, etcd and Redis' WATCH/MULTI, which it starts itself, about 5
//                    minutes), server-calls (the server's CPU per call), retention (1,000,000
//                    commits with and without a retention policy, about 5 minutes;
//                    BENCH_RETENTION_COMMITS=200000 for a shorter run), langgraph (LangGraph
//                    checkpoint savers: ours, MemorySaver and PostgresSaver on a local
//                    PostgreSQL it starts itself, about 3 minutes), dump (statehousectl dump
//                    and restore of 1,000,000 records; BENCH_DUMP_RECORDS for fewer,
//                    BENCH_DUMP_HISTORY=1 for dump --history)
// Exits 0 whether or not the targets are met (it is a measurement); 1 only if it cannot run.
import os from 'node:os';
import { BenchRedis } from './redis-env';
import { renderJson, renderTable, type Report } from './report';
import { buildRows, buildNotes, optInRows, type Results } from './summary';
import { langgraphTables } from './summary-langgraph';
import { peersTables } from './summary-peers';
import { runBaseline } from './scenarios/baseline';
import { runLangGraph } from './scenarios/langgraph';
import { runCluster } from './scenarios/cluster';
import { dumpRecordsFromEnv, runDump } from './scenarios/dump';
import { runMemory } from './scenarios/memory';
import { runMemoryHistory } from './scenarios/memory-history';
import { runPeers } from './scenarios/peers';
import { runReplay } from './scenarios/replay';
import { runRmw } from './scenarios/rmw';
import { runTimeouts } from './scenarios/timeouts';
import { runServerTransports } from './scenarios/server';
import { runServers } from './scenarios/servers';
import { runRetention } from './scenarios/retention';
import { runServerCalls } from './scenarios/server-calls';
import { runTransactions } from './scenarios/transactions';
import { describeError } from './stats';

const SCENARIOS = [
  'baseline',
  'tx1',
  'tx64',
  'tx64-buffered',
  'rmw-low',
  'rmw-high',
  'timeouts',
  'memory',
  'replay',
  'server',
  'cluster',
  'servers',
  'memory-history',
  'peers',
  'server-calls',
  'retention',
  'langgraph',
  'dump',
] as const;
type Scenario = (typeof SCENARIOS)[number];
/** Run only when named with --only. */
const OPT_IN: readonly Scenario[] = ['peers', 'server-calls', 'retention', 'langgraph', 'dump'];

const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

function parseArgs(argv: string[]): { json: boolean; only: Set<Scenario> } {
  let json = false;
  let only = new Set<Scenario>(SCENARIOS.filter((name) => !OPT_IN.includes(name)));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') json = true;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const list = arg.includes('=') ? arg.slice(7) : (argv[++i] ?? '');
      const names = list.split(',').filter(Boolean);
      const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
      if (unknown.length)
        throw new Error(
          `unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.join(', ')}`,
        );
      only = new Set(names as Scenario[]);
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`usage: npm run bench -- [--json] [--only ${SCENARIOS.join(',')}]\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  return { json, only };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const env = await BenchRedis.open(log);
  const results: Results = {};
  const errors: string[] = [];
  const step = async <K extends keyof Results>(
    name: Scenario,
    key: K,
    run: () => Promise<NonNullable<Results[K]>>,
  ) => {
    if (!args.only.has(name)) return;
    const t0 = Date.now();
    log(`${name}…`);
    try {
      results[key] = await run();
      log(`${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (error) {
      errors.push(
        `${name}: ${error instanceof Error && error.stack ? error.stack : describeError(error)}`,
      );
      log(`${name} FAILED: ${describeError(error)}`);
    }
  };

  try {
    await step('baseline', 'baseline', () =>
      runBaseline(env, { concurrency: 64, warmupMs: 1_000, durationMs: 5_000, maxOps: 2_000_000 }),
    );
    await step('tx1', 'tx1', () =>
      runTransactions(env, { concurrency: 1, warmupMs: 1_000, durationMs: 4_000, maxOps: 200_000 }),
    );
    await step('tx64', 'tx64', () =>
      runTransactions(env, {
        concurrency: 64,
        warmupMs: 1_500,
        durationMs: 6_000,
        maxOps: 500_000,
      }),
    );
    await step('tx64-buffered', 'tx64Buffered', () =>
      runTransactions(env, {
        concurrency: 64,
        warmupMs: 1_500,
        durationMs: 6_000,
        maxOps: 1_000_000,
        buffered: true,
      }),
    );
    // Read-modify-write at c=64 on 10,000 counters (rare conflicts) and on 10 (mostly conflicts).
    const rmw = { concurrency: 64, warmupMs: 1_000, durationMs: 4_500, maxOps: 500_000 } as const;
    await step('rmw-low', 'rmwLow', () =>
      runRmw(env, { ...rmw, keys: 10_000, maxRetries: 100, drainMs: 10_000 }),
    );
    await step('rmw-high', 'rmwHigh', () =>
      runRmw(env, { ...rmw, keys: 10, maxRetries: 100, drainMs: 10_000 }),
    );
    for (const [name, result] of [
      ['rmw-low', results.rmwLow],
      ['rmw-high', results.rmwHigh],
    ] as const)
      for (const problem of result?.check.problems ?? []) errors.push(`${name}: ${problem}`);
    await step('timeouts', 'timeouts', () =>
      runTimeouts(env, {
        transactions: 1_000,
        warmupTransactions: 100,
        timeoutMs: 200,
        beginConcurrency: 64,
        maxWaitMs: 30_000,
      }),
    );
    await step('memory', 'memory1', () =>
      runMemory(env, {
        writes: 20_000,
        writesPerTransaction: 1,
        concurrency: 64,
        maxMs: 60_000,
        valueBytes: 100,
      }),
    );
    await step('memory', 'memory10', () =>
      runMemory(env, {
        writes: 20_000,
        writesPerTransaction: 10,
        concurrency: 16,
        maxMs: 60_000,
        valueBytes: 100,
      }),
    );
    await step('replay', 'replay', () =>
      runReplay(env, {
        events: 100_000,
        loadConcurrency: 64,
        maxLoadMs: 90_000,
        warmupEvents: 5_000,
      }),
    );
    await step('server', 'server', () =>
      runServerTransports(env, {
        concurrency: 64,
        warmupMs: 1_000,
        durationMs: 4_000,
        maxOps: 500_000,
      }),
    );
    await step('cluster', 'cluster', () =>
      runCluster(env, {
        concurrency: 64,
        warmupMs: 1_000,
        durationMs: 5_000,
        maxOps: 500_000,
        namespaces: 24,
      }),
    );
    await step('servers', 'servers', () =>
      runServers(env, {
        concurrency: 64,
        warmupMs: 1_000,
        durationMs: 4_000,
        maxOps: 500_000,
        processes: [1, 3],
      }),
    );
    await step('memory-history', 'memoryHistory', () =>
      runMemoryHistory(env, {
        checkpoints: [1_000, 1_000_000],
        writesPerTransaction: 100,
        concurrency: 16,
        valueBytes: 100,
        maxFillMs: 150_000,
      }),
    );
    // Interleaved rounds of every path; each measurement ~4 s, about 90 s a round.
    await step('peers', 'peers', () =>
      runPeers(
        env,
        {
          rounds: 3,
          concurrency: 64,
          warmupMs: 800,
          durationMs: 3_000,
          c1WarmupMs: 300,
          c1DurationMs: 1_500,
          maxOps: 1_000_000,
        },
        log,
      ),
    );
    for (const problem of results.peers?.problems ?? []) errors.push(`peers: ${problem}`);
    await step('server-calls', 'serverCalls', () =>
      runServerCalls(env, { concurrency: 64, rounds: 3, warmupMs: 700, durationMs: 2_500 }),
    );
    await step('retention', 'retention', () =>
      runRetention(env, {
        commits: Number(process.env.BENCH_RETENTION_COMMITS ?? 1_000_000),
        keys: 1_000,
        maxVersionsPerKey: 5,
        segment: 50_000,
        concurrency: 64,
        valueBytes: 100,
        compactionIntervalMs: 1_000,
        checkpointEvery: 100_000,
      }),
    );
    // Interleaved rounds of 4 savers at c=32 and c=1; about 50 s a round.
    await step('langgraph', 'langgraph', () =>
      runLangGraph(
        env,
        {
          rounds: 3,
          concurrency: 32,
          warmupMs: 1_500,
          durationMs: 5_000,
          c1WarmupMs: 500,
          c1DurationMs: 3_000,
          maxOps: 200_000,
        },
        log,
      ),
    );
    for (const problem of results.langgraph?.problems ?? []) errors.push(`langgraph: ${problem}`);
    await step('dump', 'dump', () =>
      runDump(
        env,
        {
          records: dumpRecordsFromEnv(1_000_000),
          writesPerTransaction: 100,
          fillConcurrency: 16,
          valueBytes: 100,
          maxFillMs: 300_000,
          history: process.env.BENCH_DUMP_HISTORY === '1',
        },
        log,
      ),
    );
    for (const run of [results.dump?.dump, results.dump?.restore]) {
      if (run && run.exitCode !== 0)
        errors.push(`dump: statehousectl ${run.command} exited ${run.exitCode}: ${run.stderr}`);
      else if (
        run &&
        run.records !== results.dump?.records &&
        !(run.command === 'dump' && results.dump?.history) // a history dump has no record lines
      )
        errors.push(
          `dump: statehousectl ${run.command} reported ${run.records} records of ${results.dump?.records}`,
        );
    }
  } finally {
    await env.close(log).catch((error) => errors.push(`cleanup: ${describeError(error)}`));
  }

  const report: Report = {
    startedAt: startedAt.toISOString(),
    durationSec: (Date.now() - startedAt.getTime()) / 1000,
    environment: {
      redis: env.description,
      node: process.version,
      cpus: `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? '?'}`,
      scenarios: [...args.only].join(','),
    },
    // Only opt-in scenarios named: their rows alone, not the default ones' empty rows.
    rows: [...args.only].some((name) => !OPT_IN.includes(name))
      ? buildRows(results)
      : optInRows(results),
    tables: [...peersTables(results), ...langgraphTables(results)],
    notes: buildNotes(results),
    errors,
    results: results as Record<string, unknown>,
  };
  await new Promise<void>((done) =>
    process.stdout.write(`${args.json ? renderJson(report) : renderTable(report)}\n`, () => done()),
  );
}

main().then(
  () => process.exit(0), // a measurement: targets missed still exit 0
  (error: unknown) => {
    process.stderr.write(
      `[bench] cannot run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
