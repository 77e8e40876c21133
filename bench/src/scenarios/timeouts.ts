// (d) Timeout lateness: open transactions left to time out; the client's own (in-process, BullMQ)
// timeout worker aborts them. Lateness = finishedAt - deadline, both on Redis' clock.
import type { Statehouse } from '@statehouse/core';
import type { BenchRedis } from '../redis-env';
import { describeError, runLoad, sleep, summarize, type LatencySummary } from '../stats';

export interface TimeoutOptions {
  readonly transactions: number;
  readonly warmupTransactions: number;
  readonly timeoutMs: number;
  readonly beginConcurrency: number;
  /** Give up on transactions not timed out this long after the last deadline. */
  readonly maxWaitMs: number;
}

export interface TimeoutResult {
  readonly transactions: number;
  /** Time to begin all of them (their deadlines spread over this window), ms. */
  readonly beginWindowMs: number;
  readonly timedOut: number;
  /** Still open (or in another state) when the bench gave up waiting. */
  readonly notTimedOut: number;
  readonly lateness: LatencySummary;
  readonly minLatenessMs: number;
  /** From the first deadline to the last finishedAt, ms. */
  readonly drainMs: number;
  readonly errors: number;
  readonly firstError?: string;
  /** Redis' `hz`: blocked clients (the worker's BZPOPMIN on delayed jobs) time out on its ticks. */
  readonly redisHz: string;
}

interface Outcome {
  readonly deadline: number;
  readonly finishedAt: number | null;
  readonly state: string;
}

async function beginAll(client: Statehouse, count: number, options: TimeoutOptions) {
  const ids: string[] = [];
  const load = await runLoad(
    options.beginConcurrency,
    { maxOps: count, maxMs: 60_000 },
    async () => {
      const tx = await client.beginTransaction({ timeoutMs: options.timeoutMs });
      ids.push(tx.id);
    },
  );
  return { ids, elapsedMs: load.elapsedMs, errors: load.errors, firstError: load.firstError };
}

/** Polls until every transaction has a finishedAt (or the bound passes). */
async function awaitFinished(
  client: Statehouse,
  ids: string[],
  maxWaitMs: number,
): Promise<Map<string, Outcome>> {
  const done = new Map<string, Outcome>();
  let pending = ids;
  const giveUpAt = Date.now() + maxWaitMs;
  while (pending.length > 0) {
    const described = await Promise.all(pending.map((id) => client.describeTransaction(id)));
    const still: string[] = [];
    described.forEach((d, i) => {
      if (d.finishedAt !== null)
        done.set(d.id, { deadline: d.deadline, finishedAt: d.finishedAt, state: d.state });
      else still.push(pending[i]!);
    });
    pending = still;
    if (pending.length === 0 || Date.now() > giveUpAt) break;
    await sleep(250);
  }
  return done;
}

async function redisHz(env: BenchRedis): Promise<string> {
  try {
    const reply = await env.admin.config('GET', 'hz');
    return reply[1] ?? '?';
  } catch {
    return '? (CONFIG GET refused)';
  }
}

export async function runTimeouts(
  env: BenchRedis,
  options: TimeoutOptions,
): Promise<TimeoutResult> {
  await env.resetIfPrivate();
  const client = await env.connect(env.namespace('timeouts'));
  try {
    // Warm-up: the worker connects and the scripts get loaded.
    const warm = await beginAll(client, options.warmupTransactions, options);
    await sleep(options.timeoutMs + 50);
    await awaitFinished(client, warm.ids, options.maxWaitMs);

    const run = await beginAll(client, options.transactions, options);
    // Polling competes with the worker for Redis: start well after the last deadline (finishedAt
    // is stamped by Redis when the worker aborts, so polling late does not change the result).
    await sleep(options.timeoutMs + 750);
    const outcomes = await awaitFinished(client, run.ids, options.maxWaitMs);

    const lateness: number[] = [];
    let firstDeadline = Number.POSITIVE_INFINITY;
    let lastFinished = 0;
    let timedOut = 0;
    for (const outcome of outcomes.values()) {
      if (outcome.state !== 'timedOut' || outcome.finishedAt === null) continue;
      timedOut++;
      lateness.push(outcome.finishedAt - outcome.deadline);
      firstDeadline = Math.min(firstDeadline, outcome.deadline);
      lastFinished = Math.max(lastFinished, outcome.finishedAt);
    }
    return {
      transactions: run.ids.length,
      beginWindowMs: run.elapsedMs,
      timedOut,
      notTimedOut: run.ids.length - timedOut,
      lateness: summarize(lateness),
      minLatenessMs: lateness.length ? Math.min(...lateness) : Number.NaN,
      drainMs: timedOut ? lastFinished - firstDeadline : Number.NaN,
      errors: run.errors,
      ...(run.errors ? { firstError: describeError(run.firstError) } : {}),
      redisHz: await redisHz(env),
    };
  } finally {
    await client.close();
  }
}
