import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { closeClients, connectClient, eventually, redisUrl } from './support/statehouse';

const CHILD = join(__dirname, 'fixtures', 'open-transaction.child.js');

afterAll(closeClients);

describe('a process killed with an open transaction', () => {
  beforeAll(() => {
    if (!existsSync(join(__dirname, '..', 'dist', 'index.js'))) {
      throw new Error(
        'libs/core/dist is missing: run `npm run build` (npm test does it) before jest',
      );
    }
  });

  it('has its transaction timed out by another process’s worker, its writes discarded', async () => {
    const survivor = await connectClient();
    const timeoutMs = 1500;
    const child = spawn(process.execPath, [CHILD], {
      env: {
        ...process.env,
        REDIS_URL: redisUrl(),
        STATEHOUSE_NAMESPACE: survivor.namespace,
        TIMEOUT_MS: String(timeoutMs),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((done) =>
      child.once('exit', (_code, signal) => done(signal)),
    );
    const line = await new Promise<string>((done, fail) => {
      createInterface({ input: child.stdout }).once('line', done);
      child.once('exit', (code) => fail(new Error(`child exited early with code ${code}`)));
    });
    const { id } = JSON.parse(line) as { id: string };

    const before = await survivor.describeTransaction(id);
    expect(before.state).toBe('open');
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    // Nobody touches the transaction: only the surviving process's worker can apply the timeout
    // (describeTransaction reads 'timedOut' from the deadline on; finishedAt is set when applied).
    await eventually(
      async () => (await survivor.describeTransaction(id)).finishedAt !== null,
      timeoutMs + 5000,
    );
    const after = await survivor.describeTransaction(id);
    expect(after.state).toBe('timedOut');
    expect(after.finishedAt! - after.deadline).toBeGreaterThanOrEqual(0);
    expect(after.finishedAt! - after.deadline).toBeLessThan(2000);
    expect((await survivor.getState({ agentId: 'crashy', key: 'half-done' })).exists).toBe(false);
    const resumed = await survivor.resumeTransaction(id);
    await expect(resumed.commit()).rejects.toMatchObject({ message: 'Transaction timeout' });
  }, 20_000);
});
