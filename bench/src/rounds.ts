// Interleaved rounds of a scenario that starts servers of its own (peers, langgraph): each round
// on an emptied private Redis with a compacted AOF, and no automatic AOF rewrite until the last
// round ends, so that none lands inside a measurement.
import type { BenchRedis } from './redis-env';

/**
 * Runs `round(1..rounds)`. On SIGINT or SIGTERM (Ctrl-C, or scripts/run-bench.mjs stopping the
 * bench) meanwhile, calls `onInterrupt` (stop what the scenario started) and exits.
 */
export async function runRounds(
  env: BenchRedis,
  rounds: number,
  onInterrupt: () => void,
  round: (n: number) => Promise<void>,
): Promise<void> {
  const onSignal = (signal: NodeJS.Signals) => {
    onInterrupt();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  let aofRewrite: string | undefined;
  try {
    if (env.isPrivate)
      aofRewrite = (await env.admin.config('GET', 'auto-aof-rewrite-percentage'))[1];
    for (let n = 1; n <= rounds; n++) {
      await env.resetIfPrivate();
      if (aofRewrite !== undefined)
        await env.admin.config('SET', 'auto-aof-rewrite-percentage', '0');
      await round(n);
    }
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    if (aofRewrite !== undefined)
      await env.admin.config('SET', 'auto-aof-rewrite-percentage', aofRewrite);
  }
}

/** The options every interleaved-rounds scenario takes. */
export interface RoundsOptions {
  readonly rounds: number;
  /** The loaded concurrency; the paths also run at 1. */
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** The concurrency-1 runs are shorter: they need a p50, not a peak. */
  readonly c1WarmupMs: number;
  readonly c1DurationMs: number;
  readonly maxOps: number;
}

/** One measurement's warm-up and measured phase. */
export interface Phase {
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly maxOps: number;
}

export function phaseOf(options: RoundsOptions, concurrency: number): Phase {
  const single = concurrency === 1;
  return {
    concurrency,
    warmupMs: single ? options.c1WarmupMs : options.warmupMs,
    durationMs: single ? options.c1DurationMs : options.durationMs,
    maxOps: options.maxOps,
  };
}

/** A round's plan in order, reversed every other round (noise that rises or falls hits all alike). */
export function interleave<T>(round: number, plan: T[]): T[] {
  return round % 2 === 0 ? plan.reverse() : plan;
}
