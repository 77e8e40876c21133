// The history checker of the fault-injection run: compares what clients were told (the history)
// with what the store holds (its replay log and final state), in the manner of Jepsen's and
// etcd's checkers. Pure functions: checker.spec.ts shows each check catching its violation.

/** One operation of a transaction: a write (value) or a delete (value null). */
export interface Operation {
  readonly agentId: string;
  readonly key: string;
  readonly value: Record<string, unknown> | null;
}

/** What one client learned about one transaction it tried to commit. */
export interface Attempt {
  /** Unique per attempt; every value the transaction writes carries it as `tag`. */
  readonly tag: string;
  readonly kind: 'blind' | 'transfer' | 'delete' | 'timeout';
  readonly via: string;
  readonly operations: readonly Operation[];
  /** ok: commitTs returned; failed: a definite refusal; unknown: the client could not tell. */
  readonly outcome: 'ok' | 'failed' | 'unknown';
  readonly commitTs?: number;
  /** performance.now() when the transaction began and when its outcome was known. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** Transfers: the balance of each account it read inside the transaction. */
  readonly reads?: Readonly<Record<string, number>>;
}

/** One operation as the replay log holds it. */
export interface LoggedOperation extends Operation {
  readonly version: number;
}

/** One commit of the log, all agents' operations together. */
export interface LoggedCommit {
  readonly commitTs: number;
  readonly operations: readonly LoggedOperation[];
}

export interface FinalRecord {
  readonly exists: boolean;
  readonly value: Record<string, unknown> | null;
  readonly version: number;
}

export interface Bank {
  readonly agentId: string;
  /** The total of all balances: it never changes. */
  readonly total: number;
}

export interface CheckInput {
  readonly attempts: readonly Attempt[];
  readonly log: readonly LoggedCommit[];
  /** getState of every record the log or the attempts name, "agentId/key" -> result. */
  readonly finalState: ReadonlyMap<string, FinalRecord>;
  /** commitTs of the setup commits (no tag). */
  readonly setupCommits: ReadonlySet<number>;
  readonly bank: Bank;
}

export interface CheckResult {
  readonly violations: string[];
  readonly acknowledged: number;
  readonly unknown: number;
  readonly unknownPresent: number;
  readonly failed: number;
}

const recordOf = (op: Operation): string => `${op.agentId}/${op.key}`;
const describeOps = (ops: readonly Operation[]): string =>
  ops
    .map((op) => `${recordOf(op)}=${op.value === null ? 'null' : JSON.stringify(op.value)}`)
    .sort()
    .join(', ');

export function checkHistory(input: CheckInput): CheckResult {
  const violations: string[] = [];
  const { attempts, log } = input;

  // 1. Commit timestamps strictly increase along the log.
  for (let i = 1; i < log.length; i++) {
    if (log[i]!.commitTs <= log[i - 1]!.commitTs) {
      violations.push(
        `commitTs not strictly increasing: ${log[i - 1]!.commitTs} then ${log[i]!.commitTs}`,
      );
    }
  }

  // 2. Each logged commit is one attempt (one tag), and each attempt is logged at most once.
  const byTag = new Map<string, LoggedCommit>();
  for (const commit of log) {
    const tags = new Set(
      commit.operations.flatMap((op) => (typeof op.value?.tag === 'string' ? [op.value.tag] : [])),
    );
    if (tags.size === 0) {
      if (!input.setupCommits.has(commit.commitTs))
        violations.push(`commit ${commit.commitTs} belongs to no transaction of the history`);
      continue;
    }
    if (tags.size > 1) {
      violations.push(`commit ${commit.commitTs} mixes transactions ${[...tags].join(', ')}`);
    }
    for (const tag of tags) {
      if (byTag.has(tag)) {
        violations.push(
          `transaction ${tag} applied twice: at ${byTag.get(tag)!.commitTs} and ${commit.commitTs}`,
        );
      } else byTag.set(tag, commit);
    }
  }

  // 3. What each client was told matches the log.
  const known = new Set<string>();
  let unknownPresent = 0;
  for (const attempt of attempts) {
    known.add(attempt.tag);
    const commit = byTag.get(attempt.tag);
    const whole = commit && describeOps(commit.operations) === describeOps(attempt.operations);
    if (commit && !whole) {
      violations.push(
        `transaction ${attempt.tag} (${attempt.outcome}) is partly applied or altered at ` +
          `${commit.commitTs}: logged [${describeOps(commit.operations)}], sent [${describeOps(attempt.operations)}]`,
      );
    }
    if (attempt.outcome === 'ok') {
      if (!commit) {
        violations.push(
          `acknowledged transaction ${attempt.tag} (commitTs ${attempt.commitTs}) is lost`,
        );
      } else if (commit.commitTs !== attempt.commitTs) {
        violations.push(
          `transaction ${attempt.tag} was acknowledged with commitTs ${attempt.commitTs} but is logged at ${commit.commitTs}`,
        );
      }
    } else if (attempt.outcome === 'failed' && commit) {
      violations.push(
        `failed transaction ${attempt.tag} (${attempt.kind}) is applied at ${commit.commitTs}`,
      );
    } else if (attempt.outcome === 'unknown' && commit) unknownPresent++;
  }
  for (const [tag, commit] of byTag) {
    if (!known.has(tag))
      violations.push(`commit ${commit.commitTs} is of a transaction no client ran (${tag})`);
  }

  // 4. Real-time order: a commit acknowledged before another transaction began has a smaller
  // commitTs than that transaction's.
  const acknowledged = attempts.filter((a) => a.outcome === 'ok');
  const byEnd = [...acknowledged].sort((a, b) => a.endedAt - b.endedAt);
  const byStart = [...acknowledged].sort((a, b) => a.startedAt - b.startedAt);
  let maxEnded: Attempt | undefined;
  let e = 0;
  for (const attempt of byStart) {
    while (e < byEnd.length && byEnd[e]!.endedAt < attempt.startedAt) {
      const ended = byEnd[e++]!;
      if (!maxEnded || ended.commitTs! > maxEnded.commitTs!) maxEnded = ended;
    }
    if (maxEnded && maxEnded.commitTs! >= attempt.commitTs!) {
      violations.push(
        `real-time order broken: ${maxEnded.tag} (commitTs ${maxEnded.commitTs}) was acknowledged ` +
          `before ${attempt.tag} began, yet ${attempt.tag} has commitTs ${attempt.commitTs}`,
      );
    }
  }

  // 5. Per-record versions go up by one at every logged write or delete, from 1.
  const latest = new Map<string, LoggedOperation>();
  for (const commit of log) {
    for (const op of commit.operations) {
      const record = recordOf(op);
      const expected = (latest.get(record)?.version ?? 0) + 1;
      if (op.version !== expected) {
        violations.push(
          `${record}: version ${op.version} at commit ${commit.commitTs}, expected ${expected}`,
        );
      }
      latest.set(record, op);
    }
  }

  // 6. The final state is the last logged operation of each record.
  const records = new Set([...latest.keys(), ...input.finalState.keys()]);
  for (const record of records) {
    const last = latest.get(record);
    const state = input.finalState.get(record);
    if (!state) {
      violations.push(`${record}: no final state was read`);
      continue;
    }
    const expected = {
      exists: last?.value != null,
      value: last?.value ?? null,
      version: last?.version ?? 0,
    };
    if (JSON.stringify(state) !== JSON.stringify(expected)) {
      violations.push(
        `${record}: final state ${JSON.stringify(state)} differs from the log's ${JSON.stringify(expected)}`,
      );
    }
  }

  // 7. The bank: after every commit the balances add up to the total and none is negative, and
  // every transfer read the balances that were current when it committed (no lost update).
  const balances = new Map<string, number>();
  for (const commit of log) {
    const bankOps = commit.operations.filter((op) => op.agentId === input.bank.agentId);
    if (bankOps.length === 0) continue;
    const tag = bankOps.find((op) => op.value?.tag)?.value?.tag;
    const attempt = tag === undefined ? undefined : attempts.find((a) => a.tag === tag);
    for (const [account, read] of Object.entries(attempt?.reads ?? {})) {
      if (balances.get(account) !== read) {
        violations.push(
          `transfer ${String(tag)} committed at ${commit.commitTs} having read ${account}=${read}, ` +
            `but it was ${balances.get(account)} (a lost update)`,
        );
      }
    }
    for (const op of bankOps) balances.set(op.key, Number(op.value?.balance ?? 0));
    const sum = [...balances.values()].reduce((a, b) => a + b, 0);
    if (sum !== input.bank.total) {
      violations.push(`after commit ${commit.commitTs} the balances add up to ${sum}`);
    }
    for (const [account, balance] of balances) {
      if (balance < 0)
        violations.push(`after commit ${commit.commitTs} ${account} is negative (${balance})`);
    }
  }

  return {
    violations,
    acknowledged: acknowledged.length,
    unknown: attempts.filter((a) => a.outcome === 'unknown').length,
    unknownPresent,
    failed: attempts.filter((a) => a.outcome === 'failed').length,
  };
}
