// (k) Redis memory per committed write as a namespace's history grows: the INFO used_memory
// delta per write when the history holds 1,000 writes and when it holds 1,000,000. Filled through real commits: buffered
// transactions of 100 writes each (the fastest way the engine offers to write), each write a new
// record of a ~100-byte value over 100 agents, as in (f). A breakdown by key from MEMORY USAGE.
// No marginal figure over a short window: a hash or sorted set doubles its table and frees the old
// one only when its incremental rehash ends (driven by later writes to it), so the delta over the
// last 10,000 writes before 1,000,000 measured -930 B/write once (a 16 MB table freed).
import { performance } from 'node:perf_hooks';
import type { Statehouse } from '@statehouse/core';
import type { BenchRedis } from '../redis-env';
import { describeError, runLoad, sleep } from '../stats';
import { valueOfSize } from './memory';

export interface MemoryHistoryOptions {
  /** History sizes (writes) to measure at, ascending: e.g. [1_000, 1_000_000]. */
  readonly checkpoints: readonly number[];
  readonly writesPerTransaction: number;
  readonly concurrency: number;
  readonly valueBytes: number;
  /** Give up filling (and report what was reached) after this long. */
  readonly maxFillMs: number;
}

export interface HistoryCheckpoint {
  /** Writes in the namespace's history when measured (may fall short of the target). */
  readonly writes: number;
  readonly target: number;
  readonly usedMemoryDelta: number;
  /** used_memory delta since the empty namespace / writes. */
  readonly bytesPerWrite: number;
  /** Bytes per write held by each of the namespace's keys (MEMORY USAGE, SAMPLES 0). */
  readonly breakdownPerWrite: Record<string, number>;
}

export interface MemoryHistoryResult {
  readonly writesPerTransaction: number;
  readonly valueBytes: number;
  readonly checkpoints: HistoryCheckpoint[];
  readonly commits: number;
  readonly fillMs: number;
  readonly fillWritesPerSec: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly complete: boolean;
  /** Measured on a user's REDIS_URL, where other clients may change used_memory too. */
  readonly sharedRedis: boolean;
}

const SETTLE_MS = 500;
const KEYS = ['state', 'index', 'log', 'finished', 'finishedAt'] as const;

export async function runMemoryHistory(
  env: BenchRedis,
  options: MemoryHistoryOptions,
): Promise<MemoryHistoryResult> {
  await env.resetIfPrivate();
  const namespace = env.namespace('mem-history');
  const client = await env.connect(namespace);
  const value = valueOfSize(options.valueBytes);
  const perTx = options.writesPerTransaction;
  const commit = async (sh: Statehouse, tx: number, ns?: string): Promise<void> => {
    const transaction = await sh.beginTransaction({
      buffered: true,
      ...(ns ? { namespace: ns } : {}),
    });
    for (let w = 0; w < perTx; w++) {
      const n = tx * perTx + w;
      await transaction.write({ agentId: `agent-${n % 100}`, key: `k${n}`, value });
    }
    await transaction.commit();
  };
  const usage = async (key: string): Promise<number> =>
    ((await env.admin.call('MEMORY', 'USAGE', `sh:{${namespace}}:${key}`, 'SAMPLES', '0')) as
      number | null) ?? 0;
  const settled = async (): Promise<number> => {
    await sleep(SETTLE_MS);
    return env.usedMemory();
  };

  try {
    // Warm-up in another namespace: scripts loaded, connections and the timeout queue set up.
    const warmNs = env.namespace('mem-history-warm');
    await runLoad(options.concurrency, { maxOps: 50, maxMs: 5_000 }, (_, i) =>
      commit(client, i, warmNs),
    );
    const empty = await settled();
    let committed = 0; // transactions in the history
    let nextTx = 0; // transaction indexes are never reused: every write is a new record
    let errors = 0;
    let firstError: unknown;
    let fillMs = 0;
    const deadline = performance.now() + options.maxFillMs;
    /** Commits until the history holds `writes` writes (or time is up); false when it fell short. */
    const fillTo = async (writes: number): Promise<boolean> => {
      const transactions = Math.ceil(writes / perTx) - committed;
      if (transactions <= 0) return true;
      const from = nextTx;
      nextTx += transactions;
      const t0 = performance.now();
      const load = await runLoad(
        options.concurrency,
        { maxOps: transactions, maxMs: Math.max(0, deadline - t0) },
        (_, i) => commit(client, from + i),
      );
      fillMs += performance.now() - t0;
      committed += load.ops;
      errors += load.errors;
      firstError ??= load.firstError;
      return load.ops === transactions;
    };

    const checkpoints: HistoryCheckpoint[] = [];
    let complete = true;
    for (const target of options.checkpoints) {
      complete = await fillTo(target);
      const used = await settled();
      const writes = committed * perTx;
      const breakdownPerWrite: Record<string, number> = {};
      for (const key of KEYS) breakdownPerWrite[key] = (await usage(key)) / writes;
      checkpoints.push({
        writes,
        target,
        usedMemoryDelta: used - empty,
        bytesPerWrite: (used - empty) / writes,
        breakdownPerWrite,
      });
      if (!complete) break;
    }
    return {
      writesPerTransaction: perTx,
      valueBytes: JSON.stringify(value).length,
      checkpoints,
      commits: committed,
      fillMs,
      fillWritesPerSec: ((committed * perTx) / fillMs) * 1000,
      errors,
      ...(errors ? { firstError: describeError(firstError) } : {}),
      complete,
      sharedRedis: !env.isPrivate,
    };
  } finally {
    await client.close();
  }
}
