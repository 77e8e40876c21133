import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startRestartableRedis, type RestartableRedis } from './support/restartable-redis';

const CHILD = join(__dirname, 'fixtures', 'close-while-down.child.js');

let redis: RestartableRedis;

beforeAll(async () => {
  redis = await startRestartableRedis();
}, 30_000);

afterAll(() => redis?.stop());

it('closes a client whose Redis is gone within its grace period, and leaves its process free to exit', async () => {
  const child = spawn(process.execPath, [CHILD], {
    env: { ...process.env, REDIS_URL: redis.url },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  expect((await lines.next()).value).toBe('ready');
  await redis.kill();
  await new Promise((done) => setTimeout(done, 700)); // the sweep falls due; connections fail
  child.stdin.write('close\n');
  const reported = JSON.parse(String((await lines.next()).value)) as { closedMs?: number };
  expect(reported.closedMs).toBeLessThanOrEqual(6_000);
  // Nothing of the client keeps the process alive: it ends by itself, soon after close().
  const code = await Promise.race([
    exited,
    new Promise<'alive'>((done) => setTimeout(done, 5_000, 'alive')),
  ]);
  if (code === 'alive') child.kill('SIGKILL');
  expect(code).toBe(0);
}, 30_000);
