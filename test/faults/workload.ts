// The clients of the fault-injection run. Each runs transactions in a loop until told to stop and
// records, for every transaction it tried to commit, what it was told (an Attempt).
import { performance } from 'node:perf_hooks';
import {
  CommitUnknownError,
  StatehouseError,
  StorageUnavailableError,
  type BeginOptions,
  type Statehouse,
  type Transaction,
} from '@statehouse/core';
import type { Attempt, Operation } from './checker';

export const BANK = 'bank';
export const ACCOUNTS = Array.from({ length: 6 }, (_, i) => `acct-${i}`);
export const INITIAL_BALANCE = 100;

/** How long a client keeps asking about a commit whose outcome it does not know. */
const RESOLVE_FOR_MS = 8000;

export interface Recorder {
  readonly attempts: Attempt[];
  /** Calls that failed with something that is not one of our typed errors. */
  readonly untyped: string[];
  operations: number;
  /** Commits whose first answer was unknown (or refused) and that a retry settled. */
  resolvedAfterRetry: number;
  readonly stopped: () => boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));
let sequence = 0;
const newTag = (client: string): string => `${client}-${++sequence}`;

function typed(recorder: Recorder, error: unknown, where: string): void {
  if (!(error instanceof StatehouseError)) {
    recorder.untyped.push(`${where}: ${error instanceof Error ? error.stack : String(error)}`);
  }
}

/**
 * Commits `tx`; after an unknown outcome (a lost answer, Redis gone) commits it again until the
 * outcome is known, which never applies it twice.
 */
async function commitResolving(
  recorder: Recorder,
  tx: Transaction,
): Promise<{ outcome: Attempt['outcome']; commitTs?: number }> {
  const deadline = performance.now() + RESOLVE_FOR_MS;
  for (;;) {
    try {
      return { outcome: 'ok', commitTs: await tx.commit() };
    } catch (error) {
      typed(recorder, error, 'commit');
      const unsure =
        error instanceof CommitUnknownError || error instanceof StorageUnavailableError;
      if (!unsure) return { outcome: 'failed' };
      if (performance.now() > deadline) {
        // A refusal (StorageUnavailable) means that attempt did not run; an earlier one may have.
        return { outcome: 'unknown' };
      }
      await sleep(100);
    }
  }
}

/** Runs `body` in a new transaction and records the attempt; errors before commit: failed. */
async function attempt(
  recorder: Recorder,
  client: Statehouse,
  via: string,
  kind: Attempt['kind'],
  timeoutMs: number,
  body: (
    tx: Transaction,
    tag: string,
  ) => Promise<{ ops: Operation[]; reads?: Record<string, number> } | null>,
  beforeCommit?: () => Promise<void>,
  options: BeginOptions = {},
): Promise<void> {
  const tag = newTag(via);
  const startedAt = performance.now();
  let tx: Transaction;
  try {
    tx = await client.beginTransaction({ ...options, timeoutMs });
  } catch (error) {
    typed(recorder, error, 'begin');
    await sleep(50);
    return;
  }
  recorder.operations++;
  let staged: { ops: Operation[]; reads?: Record<string, number> } | null;
  try {
    staged = await body(tx, tag);
  } catch (error) {
    typed(recorder, error, `${kind} body`);
    await tx.abort().catch(() => undefined);
    await sleep(50);
    return; // nothing was committed: the checker finds no commit with this tag (or reports one)
  }
  if (!staged) {
    await tx.abort().catch(() => undefined);
    return;
  }
  await beforeCommit?.();
  const { outcome, commitTs } = await commitResolving(recorder, tx);
  recorder.attempts.push({
    tag,
    kind,
    via,
    operations: staged.ops,
    outcome,
    ...(commitTs === undefined ? {} : { commitTs }),
    startedAt,
    endedAt: performance.now(),
    ...(staged.reads ? { reads: staged.reads } : {}),
  });
}

/** Blind writes, deletes (with a tagged marker write) and bank transfers (read-modify-write). */
export async function engineClient(
  recorder: Recorder,
  client: Statehouse,
  via: string,
  /** How its transactions begin, e.g. `{ pipelined: true }`. */
  options: BeginOptions = {},
): Promise<void> {
  const agentId = `w-${via}`;
  for (let i = 0; !recorder.stopped(); i++) {
    const choice = i % 4;
    if (choice === 0 || choice === 1) {
      await attempt(
        recorder,
        client,
        via,
        'blind',
        10_000,
        async (tx, tag) => {
          const op = { agentId, key: `k-${i % 5}`, value: { tag, i } };
          await tx.write(op);
          return { ops: [op] };
        },
        undefined,
        options,
      );
    } else if (choice === 2) {
      await attempt(
        recorder,
        client,
        via,
        'delete',
        10_000,
        async (tx, tag) => {
          const target = { agentId, key: `k-${(i * 7) % 5}`, value: null };
          const marker = { agentId, key: 'deletes', value: { tag } };
          await tx.delete(target);
          await tx.write(marker);
          return { ops: [target, marker] };
        },
        undefined,
        options,
      );
    } else {
      await transfer(recorder, client, via, i, options);
    }
  }
}

async function transfer(
  recorder: Recorder,
  client: Statehouse,
  via: string,
  i: number,
  options: BeginOptions,
) {
  const from = ACCOUNTS[i % ACCOUNTS.length]!;
  const to = ACCOUNTS[(i * 5 + 1) % ACCOUNTS.length]!;
  if (from === to) return;
  for (let retry = 0; retry < 5; retry++) {
    const before = recorder.attempts.length;
    await attempt(
      recorder,
      client,
      via,
      'transfer',
      10_000,
      async (tx, tag) => {
        const a = await tx.get({ agentId: BANK, key: from });
        const b = await tx.get({ agentId: BANK, key: to });
        const balanceA = Number(a.value?.balance);
        const balanceB = Number(b.value?.balance);
        const amount = 1 + (i % 7);
        if (balanceA < amount) return null;
        const ops = [
          { agentId: BANK, key: from, value: { balance: balanceA - amount, tag } },
          { agentId: BANK, key: to, value: { balance: balanceB + amount, tag } },
        ];
        for (const op of ops) await tx.write(op);
        return { ops, reads: { [from]: balanceA, [to]: balanceB } };
      },
      undefined,
      options,
    );
    const last = recorder.attempts[recorder.attempts.length - 1];
    // A conflict is a definite failure: run the transfer again, as client.transaction would.
    if (recorder.attempts.length === before || last?.outcome !== 'failed') return;
    if (recorder.stopped()) return;
  }
}

/** Transactions left open past their timeout: the commit must fail, and nothing may show. */
export async function timeoutClient(
  recorder: Recorder,
  client: Statehouse,
  via: string,
): Promise<void> {
  while (!recorder.stopped()) {
    await attempt(
      recorder,
      client,
      via,
      'timeout',
      150,
      async (tx, tag) => {
        const op = { agentId: `w-${via}`, key: 'late', value: { tag } };
        await tx.write(op);
        return { ops: [op] };
      },
      () => sleep(400),
    );
  }
}

/**
 * Blind writes over HTTP, through the server instances in turn: begin on one, write on the next,
 * commit on the one after (a transaction lives in Redis, not in a process). A commit whose answer
 * is lost (its instance killed) is sent again, with the same commitToken, to another instance.
 */
export async function httpClient(
  recorder: Recorder,
  servers: () => string[],
  namespace: string,
  via: string,
): Promise<void> {
  const agentId = `w-${via}`;
  const call = async (i: number, path: string, body: object) => {
    const live = servers();
    const base = live[i % live.length]!;
    try {
      const response = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      if (response.status >= 500 && typeof json.code !== 'string') {
        recorder.untyped.push(`${path}: ${response.status} ${text}`);
      }
      return { status: response.status, body: json };
    } catch {
      return { status: 0, body: {} }; // the instance died or the connection dropped
    }
  };
  for (let i = 0; !recorder.stopped(); i++) {
    const tag = newTag(via);
    const startedAt = performance.now();
    const begun = await call(i, '/v1/transactions', { namespace, timeoutMs: 10_000 });
    if (begun.status !== 201) {
      await sleep(50);
      continue;
    }
    recorder.operations++;
    const txId = String(begun.body.txId);
    const op = { agentId, key: `k-${i % 5}`, value: { tag, i } };
    const record = (outcome: Attempt['outcome'], commitTs?: number) =>
      recorder.attempts.push({
        tag,
        kind: 'blind',
        via,
        operations: [op],
        outcome,
        ...(commitTs === undefined ? {} : { commitTs }),
        startedAt,
        endedAt: performance.now(),
      });
    const written = await call(i + 1, `/v1/transactions/${encodeURIComponent(txId)}/write`, op);
    if (written.status !== 200 && written.status !== 204) {
      record('failed'); // never committed: it must not show
      continue;
    }
    const deadline = performance.now() + RESOLVE_FOR_MS;
    for (let k = 2; ; k++) {
      const committed = await call(i + k, `/v1/transactions/${encodeURIComponent(txId)}/commit`, {
        commitToken: `commit-${tag}`,
      });
      if (k > 2) recorder.resolvedAfterRetry++;
      if (committed.status === 200) {
        record('ok', Number(committed.body.commitTs));
        break;
      }
      const unsure =
        committed.status === 0 ||
        committed.body.code === 'COMMIT_UNKNOWN' ||
        committed.body.code === 'STORAGE_UNAVAILABLE';
      if (!unsure) {
        record('failed');
        break;
      }
      if (performance.now() > deadline) {
        record('unknown');
        break;
      }
      await sleep(100);
    }
  }
}
