// Measurement helpers: a bounded closed-loop load runner and percentile summaries.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';

export interface LoadBounds {
  /** Stop starting new operations after this many (across all workers). */
  readonly maxOps: number;
  /** Stop starting new operations after this long. */
  readonly maxMs: number;
}

export interface LoadResult {
  /** Operations that completed (successfully) inside the measured window. */
  readonly ops: number;
  readonly errors: number;
  readonly firstError: unknown;
  readonly elapsedMs: number;
  readonly opsPerSec: number;
  /** Latency of each successful operation, in ms. */
  readonly latenciesMs: Float64Array;
}

export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export type Operation = (worker: number, index: number) => Promise<unknown>;

/**
 * Runs `concurrency` workers, each awaiting `op` in a loop, until `maxOps` operations were started
 * or `maxMs` elapsed; then waits for the in-flight ones. Throughput counts completed operations
 * over the wall time until the last one finished. Errors are counted, never thrown.
 */
export async function runLoad(
  concurrency: number,
  bounds: LoadBounds,
  op: Operation,
): Promise<LoadResult> {
  const latencies = new Float64Array(bounds.maxOps);
  let started = 0;
  let completed = 0;
  let errors = 0;
  let firstError: unknown;
  const t0 = performance.now();
  const stopAt = t0 + bounds.maxMs;

  const worker = async (id: number): Promise<void> => {
    while (started < bounds.maxOps && performance.now() < stopAt) {
      const index = started++;
      const begin = performance.now();
      try {
        await op(id, index);
        latencies[completed++] = performance.now() - begin;
      } catch (error) {
        errors++;
        firstError ??= error;
        if (errors > 100 && errors > completed) return; // something is broken: stop this worker
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, id) => worker(id)));
  const elapsedMs = performance.now() - t0;
  return {
    ops: completed,
    errors,
    firstError,
    elapsedMs,
    opsPerSec: (completed / elapsedMs) * 1000,
    latenciesMs: latencies.subarray(0, completed),
  };
}

/** Nearest-rank percentile of already sorted values (q in 0..1). */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarize(values: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    p50: percentileSorted(sorted, 0.5),
    p99: percentileSorted(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** CPU time (user+system) this process used while `fn` ran, with its result. */
export async function withCpu<T>(fn: () => Promise<T>): Promise<{ result: T; cpuMs: number }> {
  const before = process.cpuUsage();
  const result = await fn();
  const used = process.cpuUsage(before);
  return { result, cpuMs: (used.user + used.system) / 1000 };
}

/** The figures every transaction scenario reports of its load. */
export function transactionFigures(result: LoadResult): {
  transactions: number;
  errors: number;
  firstError?: string;
  txPerSec: number;
  latency: LatencySummary;
} {
  return {
    transactions: result.ops,
    errors: result.errors,
    ...(result.errors ? { firstError: describeError(result.firstError) } : {}),
    txPerSec: result.opsPerSec,
    latency: summarize(result.latenciesMs),
  };
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Busy and total CPU time of the whole machine (every process, every core) so far, ms. */
export function machineCpuTimes(): { busyMs: number; totalMs: number } {
  let busyMs = 0;
  let totalMs = 0;
  for (const { times } of os.cpus()) {
    const total = times.user + times.nice + times.sys + times.irq + times.idle;
    totalMs += total;
    busyMs += total - times.idle;
  }
  return { busyMs, totalMs };
}

/** Percent of the machine's CPU that was busy between two machineCpuTimes() readings. */
export function machineBusyPercent(
  before: ReturnType<typeof machineCpuTimes>,
  after: ReturnType<typeof machineCpuTimes>,
): number {
  return ((after.busyMs - before.busyMs) / (after.totalMs - before.totalMs)) * 100;
}

/** CPU time (user+system) a child process has used so far, ms (Linux /proc; NaN elsewhere). */
export function processCpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command name: utime and stime are fields 12 and 13 (0-based), in clock ticks.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SEC;
  } catch {
    return Number.NaN;
  }
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SEC = 100;

/** A measured load and what it cost: this process' CPU, a server's, the whole machine's. */
export interface MeasuredLoad {
  readonly result: LoadResult;
  /** This process, ms. */
  readonly cpuMs: number;
  /** `serverCpuMs()` over the load, ms; undefined without one. */
  readonly serverMs: number | undefined;
  readonly machineBusyPercent: number;
}

/** runLoad with the CPU it took: this process', a server's (`serverCpuMs`) and the machine's. */
export async function measureLoad(
  concurrency: number,
  bounds: LoadBounds,
  op: Operation,
  serverCpuMs?: () => number,
): Promise<MeasuredLoad> {
  const serverBefore = serverCpuMs?.();
  const machineBefore = machineCpuTimes();
  const { result, cpuMs } = await withCpu(() => runLoad(concurrency, bounds, op));
  const machineAfter = machineCpuTimes();
  return {
    result,
    cpuMs,
    serverMs: serverBefore === undefined ? undefined : serverCpuMs!() - serverBefore,
    machineBusyPercent: machineBusyPercent(machineBefore, machineAfter),
  };
}
