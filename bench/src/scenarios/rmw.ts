// (g) Read-modify-write: a counter increment (one tx.get, one tx.write of the same record) through
// client.transaction, on many records (conflicts are rare) or on a few (most commits conflict and
// are retried with backoff). Ends by checking that the counters add up to the commits: no update lost.
import { performance } from 'node:perf_hooks';
import { TransactionConflictError, type Statehouse, type Transaction } from '@statehouse/core';
import type { BenchRedis } from '../redis-env';
import { describeError, runLoad, summarize, type LatencySummary } from '../stats';

export interface RmwOptions {
  /** Counters, each picked at random by every transaction. */
  readonly keys: number;
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly maxOps: number;
  /** Passed to client.transaction. */
  readonly maxRetries: number;
  /** After the timed window, transactions still retrying get this long, then give up (abandoned). */
  readonly drainMs: number;
}

export interface RmwResult {
  readonly keys: number;
  readonly concurrency: number;
  readonly maxRetries: number;
  /** Transactions started in the timed window. */
  readonly transactions: number;
  readonly commits: number;
  readonly elapsedMs: number;
  readonly commitsPerSec: number;
  /** Callback runs that ended in a TransactionConflictError (retried or final). */
  readonly conflicts: number;
  readonly conflictsPerSec: number;
  /** Callback runs beyond the first of each transaction. */
  readonly retries: number;
  readonly retriesPerCommit: number;
  /** Most runs of the callback for one transaction. */
  readonly maxRuns: number;
  /** Transactions that failed with TransactionConflictError after maxRetries retries. */
  readonly exhausted: number;
  /** Transactions given up by the bench after the drain time (not counted as conflicts). */
  readonly abandoned: number;
  /** Transactions that failed with any other error. */
  readonly otherErrors: number;
  readonly firstError?: string;
  /** Latency of committed transactions, retries and backoff included, ms. */
  readonly latency: LatencySummary;
  readonly check: RmwCheck;
}

export interface RmwCheck {
  /** Transactions committed over the warm-up and the timed window. */
  readonly committed: number;
  readonly counterSum: number;
  /** Sum of the counters' versions minus that right after their creation. */
  readonly versionDelta: number;
  readonly records: number;
  /** Empty when the counters add up. */
  readonly problems: string[];
}

/** Thrown by the callback after the drain time: aborts the transaction, no retry. */
class Abandoned extends Error {
  override readonly name = 'Abandoned';
}

class Tally {
  transactions = 0;
  commits = 0;
  runs = 0;
  conflicts = 0;
  maxRuns = 0;
  exhausted = 0;
  abandoned = 0;
  otherErrors = 0;
  firstError: unknown;
}

const CREATE_BATCH = 100;

/** Counter i lives in record `n<i>` of agent `agent-<i % 100>`. */
function record(i: number): { agentId: string; key: string } {
  return { agentId: `agent-${i % 100}`, key: `n${i}` };
}

/** Creates every counter at { n: 0 }, CREATE_BATCH per transaction. */
async function createCounters(client: Statehouse, keys: number): Promise<void> {
  const batches = Math.ceil(keys / CREATE_BATCH);
  const load = await runLoad(8, { maxOps: batches, maxMs: 60_000 }, (_, b) =>
    client.transaction(async (tx) => {
      for (let i = b * CREATE_BATCH; i < Math.min(keys, (b + 1) * CREATE_BATCH); i++)
        await tx.write({ ...record(i), value: { n: 0 } });
    }),
  );
  if (load.ops !== batches)
    throw new Error(
      `created ${load.ops} of ${batches} batches of counters: ${describeError(load.firstError)}`,
    );
}

/** Sums the counters' values and versions, a page of each agent's records at a time. */
async function readCounters(client: Statehouse, keys: number) {
  let sum = 0;
  let versions = 0;
  let records = 0;
  let malformed = 0;
  for (let agent = 0; agent < Math.min(100, keys); agent++) {
    let cursor: string | null = null;
    do {
      const page = await client.scanPrefix({ agentId: `agent-${agent}`, prefix: 'n', cursor });
      for (const entry of page.entries) {
        const n = entry.value.n;
        if (typeof n === 'number') sum += n;
        else malformed++;
        versions += entry.version;
        records++;
      }
      cursor = page.cursor;
    } while (cursor !== null);
  }
  return { sum, versions, records, malformed };
}

export async function runRmw(env: BenchRedis, options: RmwOptions): Promise<RmwResult> {
  await env.resetIfPrivate();
  const client = await env.connect(env.namespace(`rmw-k${options.keys}`));
  let tally = new Tally();
  let abandonAt = Number.POSITIVE_INFINITY;

  const increment = async (): Promise<void> => {
    const counter = record(Math.floor(Math.random() * options.keys));
    const t = tally;
    let runs = 0;
    const body = async (tx: Transaction): Promise<void> => {
      if (++runs > 1) t.conflicts++; // client.transaction runs it again only after a conflict
      if (performance.now() > abandonAt) throw new Abandoned('past the drain time');
      const read = await tx.get(counter);
      const n = read.value?.n;
      if (typeof n !== 'number') throw new Error(`counter ${counter.key} holds no number`);
      await tx.write({ ...counter, value: { n: n + 1 } });
    };
    t.transactions++;
    try {
      await client.transaction(body, { maxRetries: options.maxRetries });
      t.commits++;
    } catch (error) {
      if (error instanceof TransactionConflictError) {
        t.conflicts++;
        t.exhausted++;
      } else if (error instanceof Abandoned) t.abandoned++;
      else {
        t.otherErrors++;
        t.firstError ??= error;
      }
      throw error;
    } finally {
      t.runs += runs;
      t.maxRuns = Math.max(t.maxRuns, runs);
    }
  };
  const phase = (ms: number) => {
    tally = new Tally();
    abandonAt = performance.now() + ms + options.drainMs;
    return runLoad(options.concurrency, { maxOps: options.maxOps, maxMs: ms }, increment);
  };

  try {
    await createCounters(client, options.keys);
    const created = await readCounters(client, options.keys);
    await phase(options.warmupMs);
    const warm = tally;
    const load = await phase(options.durationMs);
    const timed = tally;
    if (load.ops === 0 && timed.firstError !== undefined)
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows, as caught, the first error of the load
      throw timed.firstError;
    const check = await verify(client, options.keys, warm.commits + timed.commits, created);
    const perSec = (count: number) => (count / load.elapsedMs) * 1000;
    return {
      keys: options.keys,
      concurrency: options.concurrency,
      maxRetries: options.maxRetries,
      transactions: timed.transactions,
      commits: timed.commits,
      elapsedMs: load.elapsedMs,
      commitsPerSec: perSec(timed.commits),
      conflicts: timed.conflicts,
      conflictsPerSec: perSec(timed.conflicts),
      retries: timed.runs - timed.transactions,
      retriesPerCommit: (timed.runs - timed.transactions) / timed.commits,
      maxRuns: timed.maxRuns,
      exhausted: timed.exhausted,
      abandoned: timed.abandoned,
      otherErrors: timed.otherErrors,
      ...(timed.firstError !== undefined ? { firstError: describeError(timed.firstError) } : {}),
      latency: summarize(load.latenciesMs),
      check,
    };
  } finally {
    await client.close();
  }
}

/** The counters must add up to the commits (a lost update makes the sum smaller). */
async function verify(
  client: Statehouse,
  keys: number,
  committed: number,
  created: { versions: number },
): Promise<RmwCheck> {
  const now = await readCounters(client, keys);
  const versionDelta = now.versions - created.versions;
  const problems: string[] = [];
  if (now.records !== keys) problems.push(`${now.records} counters found, ${keys} created`);
  if (now.malformed) problems.push(`${now.malformed} counters hold no number`);
  if (now.sum < committed)
    problems.push(
      `LOST UPDATES: the counters sum to ${now.sum} but ${committed} increments committed ` +
        `(${committed - now.sum} lost)`,
    );
  else if (now.sum > committed)
    problems.push(
      `the counters sum to ${now.sum}, ${now.sum - committed} more than the ${committed} ` +
        'increments the client saw commit (commits whose outcome it did not learn?)',
    );
  if (versionDelta !== committed)
    problems.push(
      `the counters' versions grew by ${versionDelta}, not ${committed}: commits the client saw ` +
        'were not applied, or others applied unseen',
    );
  else if (now.sum < committed) problems.push('every commit was applied: some read a stale value');
  return { committed, counterSum: now.sum, versionDelta, records: now.records, problems };
}
