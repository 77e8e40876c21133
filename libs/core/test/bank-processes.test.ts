import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ReplayEvent, Statehouse } from '@statehouse/core';
import {
  closeClients,
  collect,
  connectClient,
  redisUrl,
  uniqueNamespace,
} from './support/statehouse';

const CHILD = join(__dirname, 'fixtures', 'bank-transfers.child.js');
const CHILD_TIMEOUT_MS = 60_000;

interface ChildReport {
  readonly committed: string[];
  readonly refused: number;
  readonly failed: number;
}

interface ChildRun {
  readonly report: ChildReport;
  readonly stderr: string;
}

const running = new Set<ChildProcess>();

afterEach(() => {
  // A failed test must not leave its processes transferring behind it.
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

afterAll(closeClients);

/** Runs the fixture to its end: its JSON report, or a rejection carrying its stderr. */
function runChild(name: string, env: Record<string, string>): Promise<ChildRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CHILD], {
      env: { ...process.env, ...env, CHILD: name },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const describe = () => `child ${name} (pid ${child.pid}); its stderr:\n${stderr || '(empty)'}`;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`${describe()}\n…did not finish within ${CHILD_TIMEOUT_MS} ms`));
    }, CHILD_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      running.delete(child);
      fail(new Error(`could not run ${describe()}\n${error.message}`));
    });
    // 'close' rather than 'exit': stdout and stderr are fully read by then.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      if (code !== 0) {
        fail(new Error(`${describe()}\n…exited with code ${code}, signal ${signal}`));
        return;
      }
      const line = stdout.trim().split('\n').pop() ?? '';
      let report: ChildReport;
      try {
        report = JSON.parse(line) as ChildReport;
      } catch {
        fail(
          new Error(`${describe()}\n…printed no JSON report; its stdout: ${stdout || '(empty)'}`),
        );
        return;
      }
      if (!Array.isArray(report?.committed)) {
        fail(new Error(`${describe()}\n…printed no valid report: ${line}`));
        return;
      }
      done({ report, stderr });
    });
  });
}

describe('the bank, run by two processes sharing Redis', () => {
  beforeAll(() => {
    if (!existsSync(join(__dirname, '..', 'dist', 'index.js'))) {
      throw new Error(
        'libs/core/dist is missing: run `npm run build` (npm test does it) before jest',
      );
    }
  });

  it('keeps the total across 2 × 1,000 concurrent random transfers between 50 accounts', async () => {
    const accounts = 50;
    const initial = 1000;
    const perChild = 1000;
    const key = (i: number) => `acct:${String(i).padStart(2, '0')}`;
    const client: Statehouse = await connectClient({ namespace: uniqueNamespace('bank') });
    const opening = await client.transaction(async (tx) => {
      for (let i = 0; i < accounts; i++)
        await tx.write({ agentId: 'bank', key: key(i), value: { balance: initial } });
      return tx.id;
    });

    const env = {
      REDIS_URL: redisUrl(),
      STATEHOUSE_NAMESPACE: client.namespace,
      TRANSFERS: String(perChild),
      WORKERS: '8',
      ACCOUNTS: String(accounts),
      PARTIES: '2', // both wait for each other before their first transfer
    };
    const runs = await Promise.all([runChild('A', env), runChild('B', env)]);
    const [a, b] = runs.map((run) => run.report) as [ChildReport, ChildReport];
    for (const [name, { report, stderr }] of [
      ['A', runs[0]],
      ['B', runs[1]],
    ] as const) {
      if (report.failed !== 0) {
        throw new Error(`child ${name}: ${report.failed} transfers threw; its stderr:\n${stderr}`);
      }
      expect(report.committed.length + report.refused).toBe(perChild);
      expect(report.committed.length).toBeGreaterThan(0);
      expect(new Set(report.committed).size).toBe(report.committed.length);
    }
    const ownerOf = new Map<string, 'A' | 'B'>();
    for (const id of a.committed) ownerOf.set(id, 'A');
    expect(b.committed.filter((id) => ownerOf.has(id))).toEqual([]); // disjoint
    for (const id of b.committed) ownerOf.set(id, 'B');

    const { entries } = await client.scanPrefix({ agentId: 'bank', prefix: 'acct:' });
    const balances = entries.map((e) => (e.value as { balance: number }).balance);
    expect(balances).toHaveLength(accounts);
    expect(balances.reduce((x, y) => x + y, 0)).toBe(accounts * initial);
    expect(Math.min(...balances)).toBeGreaterThanOrEqual(0);

    const events: ReplayEvent[] = await collect(client.replay({ agentId: 'bank' }));
    expect(events[0]!.txId).toBe(opening);
    const transfers = events.slice(1); // the first event opened the accounts
    const replayed = transfers.map((e) => e.txId);
    expect(new Set(replayed).size).toBe(replayed.length); // each once
    expect([...replayed].sort()).toEqual([...a.committed, ...b.committed].sort());
    expect(transfers.filter((e) => e.operations.length !== 2)).toEqual([]);
    // Both processes were transferring at the same time: their commits interleave in the log.
    const switches = replayed.filter(
      (id, i) => i > 0 && ownerOf.get(id) !== ownerOf.get(replayed[i - 1]!),
    );
    expect(switches.length).toBeGreaterThan(1);

    const current = new Map(entries.map((e) => [e.key, e.version]));
    for (let i = 0; i < accounts; i++) {
      const versions = events.flatMap((e) =>
        e.operations.filter((op) => op.key === key(i)).map((op) => op.version),
      );
      expect({ key: key(i), versions }).toEqual({
        key: key(i),
        versions: versions.map((_, v) => v + 1),
      });
      expect(current.get(key(i))).toBe(versions.length);
      expect((await client.getState({ agentId: 'bank', key: key(i) })).version).toBe(
        versions.length,
      );
    }
  }, 120_000);
});
