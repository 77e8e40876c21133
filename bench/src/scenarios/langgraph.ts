// (m) LangGraph.js checkpoint savers, in one run: the same graph (langgraph/graph.ts: four steps,
// two tool calls, no model, no network) through StatehouseSaver on the embedded engine and through
// a server process (@statehouse/client), LangGraph's MemorySaver and
// @langchain/langgraph-checkpoint-postgres on a local PostgreSQL (started here in a temp dir on a
// free port, fsync on, stopped at the end; left out with a note when it cannot be installed or
// started). A run: `invoke` on a new thread with `durability: 'sync'`, then `getState` to read and
// check its result. Rounds are interleaved: every saver at concurrency 32 and 1 once per round, the
// order reversed every other round, so that the machine's noise falls on all savers alike.
import os from 'node:os';
import type { BenchRedis } from '../redis-env';
import { buildBenchGraph, expectedResult, graphInput, STEPS_PER_RUN } from '../langgraph/graph';
import {
  openPostgresSaver,
  openSavers,
  setupPostgresSaver,
  type OpenedSaver,
  type SaverId,
} from '../langgraph/savers';
import { ensurePeerBinaries } from '../peers/install';
import { interleave, phaseOf, runRounds, type Phase, type RoundsOptions } from '../rounds';
import { LocalPostgres } from '../peers/local-postgres';
import { describeError, measureLoad, runLoad, summarize } from '../stats';

/** `concurrency`: concurrent graph runs; every saver also runs at 1. */
export type LangGraphOptions = RoundsOptions;

/** One measurement of one saver at one concurrency in one round. */
export interface LangGraphSample {
  readonly round: number;
  readonly concurrency: number;
  readonly runs: number;
  readonly stepsPerSec: number;
  /** Of a whole run (invoke and getState), ms. */
  readonly runP50: number;
  readonly runP99: number;
  /** Of the saver's calls inside the runs, ms. */
  readonly putP50: number;
  readonly putP99: number;
  readonly getTupleP50: number;
  readonly getTupleP99: number;
  readonly putsPerRun: number;
  readonly errors: number;
  readonly firstError?: string;
  /** Redis' CPU per graph step, for StatehouseSaver; null for the others. */
  readonly redisCpuUsPerStep: number | null;
  /** Our server process or all of PostgreSQL's, per graph step; null for in-process savers. */
  readonly serverCpuUsPerStep: number | null;
  /** This process: the graphs, the savers' clients and, embedded, the engine. */
  readonly benchCpuUsPerStep: number;
  readonly machineBusyPercent: number;
}

export interface LangGraphSaverResult {
  readonly id: SaverId;
  readonly label: string;
  readonly samples: LangGraphSample[];
}

export interface LangGraphResult {
  readonly rounds: number;
  readonly concurrency: number;
  readonly stepsPerRun: number;
  readonly cores: number;
  readonly postgres: string | null;
  /** Savers left out, and why. */
  readonly unavailable: string[];
  readonly savers: LangGraphSaverResult[];
  /** Order of the measurements in each round (`id@concurrency`). */
  readonly orders: string[][];
  /** Wrong results (a lost or mixed checkpoint) and errors. */
  readonly problems: string[];
}

const ORDER: readonly SaverId[] = ['embedded', 'server', 'memory', 'postgres'];

async function startPostgres(
  log: (line: string) => void,
  unavailable: string[],
): Promise<LocalPostgres | undefined> {
  const { postgresBin, missing } = ensurePeerBinaries(log, ['postgres']);
  unavailable.push(...missing);
  if (!postgresBin) return undefined;
  let postgres: LocalPostgres | undefined;
  try {
    postgres = await LocalPostgres.start(postgresBin);
    log(`${postgres.version} on 127.0.0.1:${postgres.port}`);
    await setupPostgresSaver(postgres);
    return postgres;
  } catch (error) {
    postgres?.stop();
    unavailable.push(`PostgreSQL did not start: ${describeError(error)}`);
    return undefined;
  }
}

async function measure(
  env: BenchRedis,
  target: OpenedSaver,
  round: number,
  { concurrency, warmupMs, durationMs, maxOps }: Phase,
): Promise<LangGraphSample> {
  const graph = buildBenchGraph(target.saver);
  let next = 0;
  const op = async () => {
    const item = `ticket ${round}.${concurrency}.${next++}`;
    const config = { configurable: { thread_id: item }, durability: 'sync' as const };
    await graph.invoke(graphInput(item), config);
    const values: unknown = (await graph.getState(config)).values;
    const result = (values as { result?: unknown } | undefined)?.result;
    if (result !== expectedResult(item))
      throw new Error(`thread '${item}': result ${JSON.stringify(result)}`);
  };
  await runLoad(concurrency, { maxOps, maxMs: warmupMs }, op);
  const timings = target.timings;
  timings.reset();
  timings.recording = true;
  const redisBefore = target.onRedis ? await env.counters() : undefined;
  const { result, cpuMs, serverMs, machineBusyPercent } = await measureLoad(
    concurrency,
    { maxOps, maxMs: durationMs },
    op,
    target.serverCpuMs,
  );
  timings.recording = false;
  const redisMs = redisBefore ? (await env.counters()).cpuMs - redisBefore.cpuMs : undefined;
  const steps = result.ops * STEPS_PER_RUN;
  const perStep = (ms: number) => (ms * 1000) / steps;
  const run = summarize(result.latenciesMs);
  const put = summarize(timings.put);
  const getTuple = summarize(timings.getTuple);
  return {
    round,
    concurrency,
    runs: result.ops,
    stepsPerSec: (steps / result.elapsedMs) * 1000,
    runP50: run.p50,
    runP99: run.p99,
    putP50: put.p50,
    putP99: put.p99,
    getTupleP50: getTuple.p50,
    getTupleP99: getTuple.p99,
    putsPerRun: timings.puts / result.ops,
    errors: result.errors,
    ...(result.errors ? { firstError: describeError(result.firstError) } : {}),
    redisCpuUsPerStep: redisMs === undefined ? null : perStep(redisMs),
    serverCpuUsPerStep: serverMs === undefined ? null : perStep(serverMs),
    benchCpuUsPerStep: perStep(cpuMs),
    machineBusyPercent,
  };
}

async function openRound(
  env: BenchRedis,
  postgres: LocalPostgres | undefined,
  concurrency: number,
  problems: string[],
): Promise<OpenedSaver[]> {
  const savers = await openSavers(env);
  if (postgres) {
    try {
      savers.push(await openPostgresSaver(postgres, concurrency));
    } catch (error) {
      problems.push(`PostgresSaver: could not open: ${describeError(error)}`);
    }
  }
  return savers.sort((a, b) => ORDER.indexOf(a.id) - ORDER.indexOf(b.id));
}

export async function runLangGraph(
  env: BenchRedis,
  options: LangGraphOptions,
  log: (line: string) => void,
): Promise<LangGraphResult> {
  const unavailable: string[] = [];
  const problems: string[] = [];
  const orders: string[][] = [];
  const results = new Map<SaverId, LangGraphSaverResult>();
  const postgres = await startPostgres(log, unavailable);
  const stopPostgres = () => postgres?.stop();
  try {
    await runRounds(env, options.rounds, stopPostgres, async (round) => {
      const savers = await openRound(env, postgres, options.concurrency, problems);
      try {
        const plan = interleave(
          round,
          [options.concurrency, 1].flatMap((concurrency) =>
            savers.map((saver) => ({ saver, concurrency })),
          ),
        );
        orders.push(plan.map(({ saver, concurrency }) => `${saver.id}@${concurrency}`));
        for (const { saver, concurrency } of plan) {
          const sample = await measure(env, saver, round, phaseOf(options, concurrency));
          const result = results.get(saver.id) ?? { id: saver.id, label: saver.label, samples: [] };
          results.set(saver.id, result);
          result.samples.push(sample);
          if (sample.firstError)
            problems.push(
              `round ${round}, ${saver.label} c=${concurrency}: ${sample.errors} failed runs, first: ${sample.firstError}`,
            );
          log(
            `round ${round}/${options.rounds} ${saver.label} c=${concurrency}: ` +
              `${Math.round(sample.stepsPerSec)} steps/s, put p50 ${sample.putP50.toFixed(2)} ms`,
          );
        }
      } finally {
        for (const saver of savers.reverse()) await saver.close();
      }
    });
  } finally {
    stopPostgres();
  }
  return {
    rounds: options.rounds,
    concurrency: options.concurrency,
    stepsPerRun: STEPS_PER_RUN,
    cores: os.cpus().length,
    postgres: postgres?.version ?? null,
    unavailable,
    savers: [...results.values()].sort((a, b) => ORDER.indexOf(a.id) - ORDER.indexOf(b.id)),
    orders,
    problems,
  };
}
