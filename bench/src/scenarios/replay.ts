// (e) Replay throughput: one agent's history of exactly N commits (one write each), read back with
// `for await (const e of client.replay({ agentId }))`.
import { performance } from 'node:perf_hooks';
import type { Statehouse } from '@statehouse/core';
import type { BenchRedis } from '../redis-env';
import { describeError, runLoad, withCpu } from '../stats';

export interface ReplayOptions {
  readonly events: number;
  readonly loadConcurrency: number;
  /** Upper bound on loading the history, ms. */
  readonly maxLoadMs: number;
  readonly warmupEvents: number;
}

export interface ReplayResult {
  readonly events: number;
  readonly expected: number;
  readonly exact: boolean;
  readonly replayMs: number;
  readonly eventsPerSec: number;
  readonly pageSize: number;
  /** Loading the history: 1-write transactions per second at loadConcurrency. */
  readonly loadTxPerSec: number;
  readonly loadMs: number;
  readonly loadErrors: number;
  readonly firstLoadError?: string;
  /** CPU per replayed event: the Redis process (the page script) and this process. */
  readonly redisCpuUsPerEvent: number;
  readonly nodeCpuUsPerEvent: number;
  readonly problems: string[];
}

const AGENT = 'agent-replay';

/** Commits exactly `target` one-write transactions (retrying failures), within the time bound. */
async function loadHistory(client: Statehouse, options: ReplayOptions) {
  let committed = 0;
  let errors = 0;
  let firstError: unknown;
  const t0 = performance.now();
  for (let round = 0; round < 5 && committed < options.events; round++) {
    const left = options.maxLoadMs - (performance.now() - t0);
    if (left <= 0) break;
    const result = await runLoad(
      options.loadConcurrency,
      { maxOps: options.events - committed, maxMs: left },
      (_, i) =>
        client.transaction(async (tx) => {
          await tx.write({ agentId: AGENT, key: `k${i % 1000}`, value: { i, round } });
        }),
    );
    committed += result.ops;
    errors += result.errors;
    firstError ??= result.firstError;
  }
  const loadMs = performance.now() - t0;
  return { committed, errors, firstError, loadMs };
}

export async function runReplay(env: BenchRedis, options: ReplayOptions): Promise<ReplayResult> {
  await env.resetIfPrivate();
  const namespace = env.namespace('replay');
  const client = await env.connect(namespace);
  const problems: string[] = [];
  try {
    const load = await loadHistory(client, options);
    const lastTs = await client.lastCommitTs();
    if (load.committed !== options.events)
      problems.push(`loaded ${load.committed} of ${options.events} commits in time`);
    if (lastTs !== load.committed)
      problems.push(`namespace clock is ${lastTs}, expected ${load.committed}`);

    // Warm-up: a prefix of the history.
    let warm = 0;
    for await (const event of client.replay({ agentId: AGENT, endTs: options.warmupEvents }))
      warm += event.operations.length;
    if (warm === 0) problems.push('warm-up replay returned nothing');

    let count = 0;
    let previousTs = 0;
    let disorder = 0;
    let wrongOps = 0;
    await env.awaitAofRewrite(); // loading the history grows the AOF past its rewrite threshold
    const redisBefore = await env.counters();
    const { result: replayMs, cpuMs } = await withCpu(async () => {
      const t0 = performance.now();
      for await (const event of client.replay({ agentId: AGENT })) {
        count++;
        if (event.commitTs <= previousTs) disorder++;
        if (event.operations.length !== 1) wrongOps++;
        previousTs = event.commitTs;
      }
      return performance.now() - t0;
    });
    const redisAfter = await env.counters();
    const redisCpuMs = redisAfter.cpuMs - redisBefore.cpuMs;
    if (redisAfter.aofRewrites !== redisBefore.aofRewrites)
      problems.push('an AOF rewrite overlapped the replay');
    if (disorder) problems.push(`${disorder} events out of commit order`);
    if (wrongOps) problems.push(`${wrongOps} events without exactly one operation`);
    if (count !== load.committed)
      problems.push(`replayed ${count} events, committed ${load.committed}`);
    return {
      events: count,
      expected: options.events,
      exact: count === options.events && problems.length === 0,
      replayMs,
      eventsPerSec: (count / replayMs) * 1000,
      pageSize: 256,
      loadTxPerSec: (load.committed / load.loadMs) * 1000,
      loadMs: load.loadMs,
      loadErrors: load.errors,
      ...(load.errors ? { firstLoadError: describeError(load.firstError) } : {}),
      redisCpuUsPerEvent: (redisCpuMs * 1000) / Math.max(1, count),
      nodeCpuUsPerEvent: (cpuMs * 1000) / Math.max(1, count),
      problems,
    };
  } finally {
    await client.close();
  }
}
