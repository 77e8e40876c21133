// A mixed load from outside the containers, spread over the live replicas, recording every commit
// and what the client was told about it:
//   transfer       read two accounts, then POST /v1/commit both new balances with ifVersion
//   note           a blind write of a key of its own (POST /v1/commit)
//   cross-replica  begin on one replica, write on a second, commit on a third
// Every written value names its operation (`op`), so the test can match the log to the calls.
import { HttpReplica, NoAnswerError } from './http-replica';

export const BANK = 'bank';
export const NOTES = 'notes';
export const LEDGER = 'ledger';
export const INITIAL_BALANCE = 1000;

export type Outcome =
  | { readonly kind: 'committed'; readonly commitTs: number }
  /** An answer saying it was not applied (CONFLICT, STORAGE_UNAVAILABLE, ...). */
  | { readonly kind: 'rejected'; readonly code: string }
  /** COMMIT_UNKNOWN, or no answer at all. */
  | { readonly kind: 'unknown'; readonly reason: string };

export interface Operation {
  readonly id: string;
  readonly type: 'transfer' | 'note' | 'cross-replica';
  /** The replica that was asked to commit. */
  readonly replica: string;
  readonly startedAt: number;
  endedAt: number;
  outcome: Outcome;
  /** cross-replica: the transaction, to ask again about an unknown outcome. */
  txId?: string;
}

export interface NoAnswer {
  readonly replica: string;
  readonly at: number;
  readonly timedOut: boolean;
  readonly message: string;
}

interface StateAnswer {
  readonly exists: boolean;
  readonly value: { balance: number } | null;
  readonly version: number;
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

export class Workload {
  readonly operations: Operation[] = [];
  readonly noAnswers: NoAnswer[] = [];
  /** What a client should never see, e.g. an account that no longer exists. */
  readonly anomalies: string[] = [];
  /** Reads and begins/writes refused before any commit was attempted, by code. */
  readonly refusedBeforeCommit = new Map<string, number>();
  private live: HttpReplica[];
  private turn = 0;
  private sequence = 0;
  private stopping = false;
  private workers: Promise<void>[] = [];

  constructor(
    replicas: readonly HttpReplica[],
    private readonly namespace: string,
    readonly accounts: readonly string[],
  ) {
    this.live = [...replicas];
  }

  /** Starts `count` concurrent clients. */
  start(count: number): void {
    for (let worker = 0; worker < count; worker++) this.workers.push(this.loop());
  }

  /** Stops sending to a replica (it is being stopped). */
  drop(name: string): void {
    this.live = this.live.filter((replica) => replica.name !== name);
  }

  /** Lets every client finish its current operation. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.workers);
  }

  committed(type: Operation['type']): number {
    return this.operations.filter((op) => op.type === type && op.outcome.kind === 'committed')
      .length;
  }

  /** Outcome counts: { committed: 900, 'rejected CONFLICT': 300, 'unknown server-2: no answer': 3 }. */
  tally(): Record<string, number> {
    const tally: Record<string, number> = {};
    for (const { outcome } of this.operations) {
      const key =
        outcome.kind === 'committed'
          ? 'committed'
          : outcome.kind === 'rejected'
            ? `rejected ${outcome.code}`
            : `unknown ${outcome.reason.split(' (')[0]}`;
      tally[key] = (tally[key] ?? 0) + 1;
    }
    return tally;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const dice = Math.random();
      try {
        if (dice < 0.6) await this.transfer();
        else if (dice < 0.85) await this.note();
        else await this.crossReplica();
      } catch (error) {
        if (!(error instanceof NoAnswerError)) throw error;
        this.noAnswers.push({
          replica: error.replica,
          at: Date.now(),
          timedOut: error.timedOut,
          message: error.message,
        });
        await sleep(100); // a replica that is gone refuses at once: don't spin
      }
    }
  }

  private next(): HttpReplica {
    const replica = this.live[this.turn++ % this.live.length];
    if (!replica) throw new Error('no live replica left');
    return replica;
  }

  private newOperation(type: Operation['type'], replica: HttpReplica): Operation {
    const now = Date.now();
    const op: Operation = {
      id: `${type}-${++this.sequence}`,
      type,
      replica: replica.name,
      startedAt: now,
      endedAt: now,
      outcome: { kind: 'rejected', code: 'NOT_SENT' }, // until the commit is sent
    };
    this.operations.push(op);
    return op;
  }

  private refused(code: string | undefined): Promise<void> {
    const key = code ?? 'no code';
    this.refusedBeforeCommit.set(key, (this.refusedBeforeCommit.get(key) ?? 0) + 1);
    return sleep(100);
  }

  private async transfer(): Promise<void> {
    const from = Math.floor(Math.random() * this.accounts.length);
    const to =
      (from + 1 + Math.floor(Math.random() * (this.accounts.length - 1))) % this.accounts.length;
    const a = this.accounts[from]!;
    const b = this.accounts[to]!;
    const replica = this.next();
    const read = (key: string) =>
      replica.request<StateAnswer>(
        'GET',
        `/v1/state?namespace=${this.namespace}&agentId=${BANK}&key=${key}`,
      );
    const [ra, rb] = [await read(a), await read(b)];
    if (ra.status !== 200) return this.refused(ra.code);
    if (rb.status !== 200) return this.refused(rb.code);
    const [sa, sb] = [ra.body, rb.body];
    if (!sa.value || !sb.value) {
      this.anomalies.push(`${replica.name} read ${a}, ${b}: ${JSON.stringify([sa, sb])}`);
      return sleep(100);
    }
    const balanceA = sa.value.balance;
    if (balanceA === 0) return;
    const amount = 1 + Math.floor(Math.random() * Math.min(50, balanceA));
    const op = this.newOperation('transfer', replica);
    await this.commit(op, replica, '/v1/commit', {
      namespace: this.namespace,
      operations: [
        {
          op: 'write',
          agentId: BANK,
          key: a,
          value: { balance: balanceA - amount, op: op.id },
          ifVersion: sa.version,
        },
        {
          op: 'write',
          agentId: BANK,
          key: b,
          value: { balance: sb.value.balance + amount, op: op.id },
          ifVersion: sb.version,
        },
      ],
    });
  }

  private async note(): Promise<void> {
    const replica = this.next();
    const op = this.newOperation('note', replica);
    await this.commit(op, replica, '/v1/commit', {
      namespace: this.namespace,
      operations: [{ op: 'write', agentId: NOTES, key: op.id, value: { op: op.id } }],
    });
  }

  private async crossReplica(): Promise<void> {
    const [first, second, third] = [this.next(), this.next(), this.next()];
    const begun = await first.request('POST', '/v1/transactions', {
      namespace: this.namespace,
      timeoutMs: 60_000,
    });
    if (begun.status !== 201) return this.refused(begun.code);
    const txId = begun.body.txId as string;
    const op = this.newOperation('cross-replica', third);
    op.txId = txId;
    const written = await second.request(
      'POST',
      `/v1/transactions/${encodeURIComponent(txId)}/write`,
      {
        agentId: LEDGER,
        key: op.id,
        value: { op: op.id },
      },
    );
    if (written.status !== 204) {
      op.outcome = { kind: 'rejected', code: written.code ?? String(written.status) };
      op.endedAt = Date.now();
      return this.refused(written.code);
    }
    await this.commit(op, third, `/v1/transactions/${encodeURIComponent(txId)}/commit`, undefined);
  }

  private async commit(
    op: Operation,
    replica: HttpReplica,
    path: string,
    body: unknown,
  ): Promise<void> {
    try {
      const answer = await replica.request('POST', path, body);
      if (answer.status === 200) {
        op.outcome = { kind: 'committed', commitTs: answer.body.commitTs as number };
      } else if (answer.code === 'COMMIT_UNKNOWN') {
        op.outcome = { kind: 'unknown', reason: 'COMMIT_UNKNOWN' };
      } else {
        op.outcome = { kind: 'rejected', code: answer.code ?? String(answer.status) };
        if (answer.code !== 'CONFLICT') await sleep(100);
      }
    } catch (error) {
      if (error instanceof NoAnswerError) op.outcome = { kind: 'unknown', reason: error.message };
      throw error;
    } finally {
      op.endedAt = Date.now();
    }
  }
}
