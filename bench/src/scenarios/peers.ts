// (l) Ours against its peers, in one run: the same transaction (3 writes of ~100-byte JSON to one
// of 10,000 agents) through every path of ours, the Lua floor, Redis WATCH/MULTI, PostgreSQL (one
// statement, interactive) and etcd (one Txn); its p50 at concurrency 1; and a contended
// read-modify-write (10 hot counters, retried on conflict). PostgreSQL and etcd are started here,
// each in a temp dir on free ports, and stopped at the end; a peer that cannot be installed or
// started is left out with a note. Rounds are interleaved: every path once per round, the order
// reversed every other round, so that the machine's noise falls on all paths alike.
import os from 'node:os';
import type { BenchRedis } from '../redis-env';
import { diffCounters } from '../redis-env';
import { interleave, phaseOf, runRounds, type Phase, type RoundsOptions } from '../rounds';
import { LocalEtcd } from '../peers/local-etcd';
import { LocalPostgres } from '../peers/local-postgres';
import { ensurePeerBinaries } from '../peers/install';
import type { OpenedPaths, Path, System, Workload } from '../peers/path';
import { openEtcdPaths } from '../peers/paths-etcd';
import { openOurPaths } from '../peers/paths-ours';
import { openPostgresPaths } from '../peers/paths-postgres';
import { openRedisPeerPaths } from '../peers/paths-redis';
import { describeError, measureLoad, runLoad, summarize } from '../stats';

export type PeersOptions = RoundsOptions;

/** One measurement of one path in one round. */
export interface PeerSample {
  readonly round: number;
  readonly concurrency: number;
  readonly transactions: number;
  readonly txPerSec: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly firstError?: string;
  /** Redis paths only. */
  readonly redisCpuUsPerTx: number | null;
  /** Our server process, PostgreSQL (all its processes) or etcd; null when there is none. */
  readonly serverCpuUsPerTx: number | null;
  /** This process: the load generator and, for embedded paths, the engine. */
  readonly benchCpuUsPerTx: number;
  /** rmw: runs beyond the first, per commit. */
  readonly retriesPerCommit: number | null;
  readonly machineBusyPercent: number;
}

export interface PeerPathResult {
  readonly id: string;
  readonly label: string;
  readonly workload: Workload;
  readonly system: System;
  readonly ours: boolean;
  /** At the scenario's concurrency, one per round. */
  readonly loaded: PeerSample[];
  /** At concurrency 1 (write paths), one per round. */
  readonly single: PeerSample[];
}

export interface PeersResult {
  readonly rounds: number;
  readonly concurrency: number;
  readonly cores: number;
  readonly versions: Readonly<Record<'postgres' | 'etcd', string | null>>;
  /** Peers left out, and why. */
  readonly unavailable: string[];
  readonly paths: PeerPathResult[];
  /** Order of the measurements in each round (`id@concurrency`). */
  readonly orders: string[][];
  /** Failed counter checks (lost updates) and measurement errors. */
  readonly problems: string[];
}

interface Peers {
  postgres?: LocalPostgres;
  etcd?: LocalEtcd;
}

async function startPeers(log: (line: string) => void, unavailable: string[]): Promise<Peers> {
  const binaries = ensurePeerBinaries(log);
  unavailable.push(...binaries.missing);
  const peers: Peers = {};
  if (binaries.postgresBin) {
    try {
      peers.postgres = await LocalPostgres.start(binaries.postgresBin);
      log(`${peers.postgres.version} on 127.0.0.1:${peers.postgres.port}`);
    } catch (error) {
      unavailable.push(`PostgreSQL did not start: ${describeError(error)}`);
    }
  }
  if (binaries.etcd) {
    try {
      peers.etcd = await LocalEtcd.start(binaries.etcd);
      log(`etcd ${peers.etcd.version} at ${peers.etcd.clientUrl}`);
    } catch (error) {
      unavailable.push(`etcd did not start: ${describeError(error)}`);
    }
  }
  return peers;
}

async function measure(
  env: BenchRedis,
  path: Path,
  round: number,
  { concurrency, warmupMs, durationMs, maxOps }: Phase,
): Promise<PeerSample> {
  const op = (worker: number) => path.op(worker);
  await runLoad(concurrency, { maxOps, maxMs: warmupMs }, op);
  const retriesBefore = path.tally?.retries ?? 0;
  const redisBefore = path.system === 'redis' ? await env.counters() : undefined;
  const { result, cpuMs, serverMs, machineBusyPercent } = await measureLoad(
    concurrency,
    { maxOps, maxMs: durationMs },
    op,
    path.serverCpuMs,
  );
  const redis = redisBefore ? diffCounters(redisBefore, await env.counters()) : undefined;
  const latency = summarize(result.latenciesMs);
  const perTx = (ms: number) => (ms * 1000) / result.ops;
  return {
    round,
    concurrency,
    transactions: result.ops,
    txPerSec: result.opsPerSec,
    p50: latency.p50,
    p99: latency.p99,
    errors: result.errors,
    ...(result.errors ? { firstError: describeError(result.firstError) } : {}),
    redisCpuUsPerTx: redis ? perTx(redis.cpuMs) : null,
    serverCpuUsPerTx: serverMs === undefined ? null : perTx(serverMs),
    benchCpuUsPerTx: perTx(cpuMs),
    retriesPerCommit: path.tally ? (path.tally.retries - retriesBefore) / result.ops : null,
    machineBusyPercent,
  };
}

/** Opens every system's paths for one round; a peer that fails to open is skipped (noted). */
async function openRound(
  env: BenchRedis,
  peers: Peers,
  concurrency: number,
  problems: string[],
): Promise<OpenedPaths[]> {
  const opened: OpenedPaths[] = [await openOurPaths(env, concurrency)];
  const optional: Array<[string, () => Promise<OpenedPaths>]> = [
    ['Redis WATCH/MULTI', () => openRedisPeerPaths(env, concurrency)],
  ];
  if (peers.postgres) {
    const postgres = peers.postgres;
    optional.push(['PostgreSQL', () => openPostgresPaths(postgres, concurrency)]);
  }
  if (peers.etcd) {
    const etcd = peers.etcd;
    optional.push(['etcd', () => openEtcdPaths(etcd)]);
  }
  for (const [name, open] of optional) {
    try {
      opened.push(await open());
    } catch (error) {
      problems.push(`${name}: could not open its paths: ${describeError(error)}`);
    }
  }
  return opened;
}

/** The order of the table: ours first, then the floor and the peers. */
const ORDER = [
  'buffered',
  'staged',
  'pipelined',
  'http',
  'grpc',
  'client',
  'lua',
  'watch',
  'pg-one',
  'pg-interactive',
  'etcd',
  'rmw-buffered',
  'rmw-client',
  'rmw-watch',
  'rmw-pg',
  'rmw-etcd',
];

export async function runPeers(
  env: BenchRedis,
  options: PeersOptions,
  log: (line: string) => void,
): Promise<PeersResult> {
  const unavailable: string[] = [];
  const problems: string[] = [];
  const results = new Map<string, PeerPathResult>();
  const orders: string[][] = [];
  const peers = await startPeers(log, unavailable);
  const stopPeers = () => {
    peers.postgres?.stop();
    peers.etcd?.kill();
  };
  try {
    await runRounds(env, options.rounds, stopPeers, async (round) => {
      const opened = await openRound(env, peers, options.concurrency, problems);
      try {
        const paths = opened
          .flatMap((set) => set.paths)
          .sort((a, b) => ORDER.indexOf(a.id) - ORDER.indexOf(b.id));
        const plan = interleave(round, [
          ...paths.map((path) => ({ path, concurrency: options.concurrency })),
          ...paths.filter((p) => p.workload === 'write').map((path) => ({ path, concurrency: 1 })),
        ]);
        orders.push(plan.map(({ path, concurrency }) => `${path.id}@${concurrency}`));
        for (const { path, concurrency } of plan) {
          const single = concurrency === 1;
          const sample = await measure(env, path, round, phaseOf(options, concurrency));
          const result = results.get(path.id) ?? {
            id: path.id,
            label: path.label,
            workload: path.workload,
            system: path.system,
            ours: path.ours,
            loaded: [],
            single: [],
          };
          results.set(path.id, result);
          (single ? result.single : result.loaded).push(sample);
          if (sample.firstError)
            problems.push(
              `round ${round}, ${path.workload} ${path.label} c=${concurrency}: ${sample.errors} errors, first: ${sample.firstError}`,
            );
          const problem = await path.check?.();
          if (problem) problems.push(`round ${round}: ${problem}`);
          log(
            `round ${round}/${options.rounds} ${path.workload} ${path.label} c=${concurrency}: ` +
              `${Math.round(sample.txPerSec)} tx/s, p50 ${sample.p50.toFixed(2)} ms`,
          );
        }
      } finally {
        for (const set of opened) await set.close();
      }
    });
  } finally {
    peers.postgres?.stop();
    await peers.etcd?.stop();
  }
  return {
    rounds: options.rounds,
    concurrency: options.concurrency,
    cores: os.cpus().length,
    versions: {
      postgres: peers.postgres?.version ?? null,
      etcd: peers.etcd ? `etcd ${peers.etcd.version}` : null,
    },
    unavailable,
    paths: [...results.values()].sort((a, b) => ORDER.indexOf(a.id) - ORDER.indexOf(b.id)),
    orders,
    problems,
  };
}
