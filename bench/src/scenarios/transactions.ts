// (b) A full transaction through @statehouse/core: begin, three writes, commit; by default
// (each operation staged in Redis) or buffered (the operations sent with the commit).
import { performance } from 'node:perf_hooks';
import type { BenchRedis, RedisCounters } from '../redis-env';
import { diffCounters } from '../redis-env';
import { runLoad, summarize, withCpu, type LatencySummary, transactionFigures } from '../stats';

export interface TransactionOptions {
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly maxOps: number;
  /** Begin with `buffered: true`. */
  readonly buffered?: boolean;
}

export interface TransactionResult {
  readonly concurrency: number;
  readonly buffered: boolean;
  readonly transactions: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly txPerSec: number;
  readonly latency: LatencySummary;
  /** Median time of each step, ms: where a transaction's latency goes. */
  readonly phasesP50: { readonly begin: number; readonly write: number; readonly commit: number };
  readonly nodeCpuUsPerTx: number;
  readonly redis: RedisCounters;
  /** AOF bytes per transaction, measured over the warm-up (the timed phase may span a rewrite). */
  readonly aofBytesPerTx: number;
  readonly redisCpuUsPerTx: number;
}

const VALUES = [
  { n: 1, note: 'small' },
  { n: 2, note: 'small' },
  { n: 3, note: 'small' },
] as const;

export async function runTransactions(
  env: BenchRedis,
  options: TransactionOptions,
): Promise<TransactionResult> {
  await env.resetIfPrivate();
  const buffered = options.buffered ?? false;
  const client = await env.connect(
    env.namespace(`tx-c${options.concurrency}${buffered ? '-buffered' : ''}`),
  );
  const beginOptions = { buffered };
  const phases = {
    begin: new Float64Array(options.maxOps),
    write: new Float64Array(options.maxOps),
    commit: new Float64Array(options.maxOps),
  };
  let recording = false;
  let recorded = 0;

  const transaction = async (worker: number): Promise<void> => {
    const t0 = performance.now();
    const tx = await client.beginTransaction(beginOptions);
    const t1 = performance.now();
    const agentId = `agent-${worker}`;
    await tx.write({ agentId, key: 'k1', value: VALUES[0] });
    await tx.write({ agentId, key: 'k2', value: VALUES[1] });
    await tx.write({ agentId, key: 'k3', value: VALUES[2] });
    const t2 = performance.now();
    await tx.commit();
    if (recording && recorded < options.maxOps) {
      const i = recorded++;
      phases.begin[i] = t1 - t0;
      phases.write[i] = (t2 - t1) / 3;
      phases.commit[i] = performance.now() - t2;
    }
  };

  try {
    const start = await env.counters();
    const warm = await runLoad(
      options.concurrency,
      { maxOps: options.maxOps, maxMs: options.warmupMs },
      transaction,
    );
    recording = true;
    const before = await env.counters();
    const aofBytesPerTx = diffCounters(start, before).aofBytes / warm.ops;
    const { result, cpuMs } = await withCpu(() =>
      runLoad(
        options.concurrency,
        { maxOps: options.maxOps, maxMs: options.durationMs },
        transaction,
      ),
    );
    const redisDelta = diffCounters(before, await env.counters());
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows, as caught, the first error of the load
    if (result.ops === 0) throw result.firstError ?? new Error('no transaction completed');
    return {
      concurrency: options.concurrency,
      buffered,
      ...transactionFigures(result),
      phasesP50: {
        begin: summarize(phases.begin.subarray(0, recorded)).p50,
        write: summarize(phases.write.subarray(0, recorded)).p50,
        commit: summarize(phases.commit.subarray(0, recorded)).p50,
      },
      nodeCpuUsPerTx: (cpuMs * 1000) / result.ops,
      redis: redisDelta,
      aofBytesPerTx,
      redisCpuUsPerTx: (redisDelta.cpuMs * 1000) / result.ops,
    };
  } finally {
    await client.close();
  }
}

/** Redis commands per transaction, most frequent first (`evalsha 7.0, hset 9.0, ...`). */
export function commandsPerOp(counters: RedisCounters, ops: number, top = 8): string {
  return Object.entries(counters.calls)
    .filter(([name]) => name !== 'info')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, calls]) => `${name} ${(calls / ops).toFixed(1)}`)
    .join(', ');
}
