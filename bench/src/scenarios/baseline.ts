// (a) The floor: one hand-written Lua script doing the same kind of work as a commit
// (INCR a counter, three HSETs, one XADD), called with EVALSHA through ioredis at concurrency 64.
import { Redis } from 'ioredis';
import type { BenchRedis, RedisCounters } from '../redis-env';
import { diffCounters } from '../redis-env';
import { runLoad, summarize, withCpu, type LatencySummary } from '../stats';

const LUA = `
local n = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], 'k1', ARGV[1])
redis.call('HSET', KEYS[2], 'k2', ARGV[2])
redis.call('HSET', KEYS[2], 'k3', ARGV[3])
redis.call('XADD', KEYS[3], '*', 'n', n, 'k1', ARGV[1], 'k2', ARGV[2], 'k3', ARGV[3])
return n
`;

interface BaselineConnection extends Redis {
  benchBaseline(
    counter: string,
    hash: string,
    stream: string,
    v1: string,
    v2: string,
    v3: string,
  ): Promise<number>;
}

export interface BaselineOptions {
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly maxOps: number;
}

export interface BaselineResult {
  readonly concurrency: number;
  readonly ops: number;
  readonly errors: number;
  readonly opsPerSec: number;
  readonly latency: LatencySummary;
  readonly nodeCpuUsPerOp: number;
  readonly redis: RedisCounters;
  /** AOF bytes per op, measured over the warm-up (the timed phase may span an AOF rewrite). */
  readonly aofBytesPerOp: number;
  readonly redisCpuUsPerOp: number;
}

/** The floor's connection and its one operation, on keys of the `baseline` namespace. */
export async function openBaseline(
  env: BenchRedis,
): Promise<{ op: () => Promise<number>; close: () => void }> {
  const ns = env.namespace('baseline');
  const redis = new Redis(env.url, {
    lazyConnect: true,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 2,
  }) as BaselineConnection;
  redis.defineCommand('benchBaseline', { numberOfKeys: 3, lua: LUA });
  await redis.connect();
  const keys = [`${ns}:{b}:counter`, `${ns}:{b}:hash`, `${ns}:{b}:stream`] as const;
  const values = [
    '{"v":1,"note":"small"}',
    '{"v":2,"note":"small"}',
    '{"v":3,"note":"small"}',
  ] as const;
  return { op: () => redis.benchBaseline(...keys, ...values), close: () => redis.disconnect() };
}

export async function runBaseline(
  env: BenchRedis,
  options: BaselineOptions,
): Promise<BaselineResult> {
  await env.resetIfPrivate();
  const { op, close } = await openBaseline(env);
  try {
    const start = await env.counters();
    const warm = await runLoad(
      options.concurrency,
      { maxOps: options.maxOps, maxMs: options.warmupMs },
      op,
    );
    const before = await env.counters();
    const { result, cpuMs } = await withCpu(() =>
      runLoad(options.concurrency, { maxOps: options.maxOps, maxMs: options.durationMs }, op),
    );
    const redisDelta = diffCounters(before, await env.counters());
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows, as caught, the first error of the load
    if (result.ops === 0) throw result.firstError ?? new Error('no baseline operation completed');
    return {
      concurrency: options.concurrency,
      ops: result.ops,
      errors: result.errors,
      opsPerSec: result.opsPerSec,
      latency: summarize(result.latenciesMs),
      nodeCpuUsPerOp: (cpuMs * 1000) / result.ops,
      redis: redisDelta,
      aofBytesPerOp: diffCounters(start, before).aofBytes / warm.ops,
      redisCpuUsPerOp: (redisDelta.cpuMs * 1000) / result.ops,
    };
  } finally {
    close();
  }
}
