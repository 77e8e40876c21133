// What every row of the peers table is: one way to run the same transaction (3 writes of ~100-byte
// JSON values to one of 10,000 agents) or the same contended increment (read a counter, write it
// plus one, on 10 hot counters, retried after a conflict), against ours or a peer.
import { retryDelayMs } from '@statehouse/core';
import { sleep } from '../stats';

export type Workload = 'write' | 'rmw';
export type System = 'redis' | 'postgres' | 'etcd';

export interface Path {
  readonly id: string;
  readonly label: string;
  readonly workload: Workload;
  /** Where the data lives: Redis CPU per transaction is reported for Redis paths. */
  readonly system: System;
  readonly ours: boolean;
  /** One transaction by `worker` (0 … concurrency-1), retries included. */
  readonly op: (worker: number) => Promise<void>;
  /** CPU so far of the server process(es) in front of or instead of Redis, ms. */
  readonly serverCpuMs?: () => number;
  /** rmw: commits and retries so far, since the round's counters were zeroed. */
  readonly tally?: Tally;
  /** rmw: a problem when the counters do not add up to the commits (a lost update). */
  readonly check?: () => Promise<string | null>;
}

export class Tally {
  commits = 0;
  retries = 0;
}

/** Paths of one system, opened for a round, and how to close them. */
export interface OpenedPaths {
  readonly paths: Path[];
  close(): Promise<void>;
}

export const AGENTS = 10_000;
export const HOT_KEYS = 10;
/** Retries of a conflicting rmw transaction before it fails (as the `rmw-high` scenario). */
export const MAX_RETRIES = 100;

export const randomAgent = (): string => `agent-${Math.floor(Math.random() * AGENTS)}`;
export const randomHotKey = (): number => Math.floor(Math.random() * HOT_KEYS);

/** The three values of a transaction, about 100 bytes of JSON each. */
export const VALUES = [1, 2, 3].map((n) => ({
  n,
  note: 'an agent memory entry of about one hundred bytes of JSON',
  tags: ['bench', 'peers'],
}));
export const VALUE_TEXTS = VALUES.map((value) => JSON.stringify(value));

/** The sum the hot counters must have: one per commit. */
export function sumProblem(label: string, sum: number, tally: Tally): string | null {
  return sum === tally.commits
    ? null
    : `${label}: the counters sum to ${sum} after ${tally.commits} commits` +
        (sum < tally.commits ? ' (LOST UPDATES)' : '');
}

/**
 * A peer's optimistic read-modify-write loop: runs `attempt` until it commits (true), waiting
 * between runs with ours' backoff (retryDelayMs: full jitter, 10 ms doubling to 1 s), so that
 * every system retries alike.
 */
export async function retryConflicts(tally: Tally, attempt: () => Promise<boolean>): Promise<void> {
  for (let run = 0; ; run++) {
    if (await attempt()) {
      tally.commits++;
      return;
    }
    if (run >= MAX_RETRIES) throw new Error(`still conflicting after ${MAX_RETRIES} retries`);
    tally.retries++;
    await sleep(retryDelayMs(run));
  }
}
