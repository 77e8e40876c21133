import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import {
  Statehouse,
  TimeoutSweepError,
  type BackgroundErrorSource,
  type StatehouseOptions,
} from '@statehouse/core';
import {
  breakTimeoutSweeps,
  startPrivateRedis,
  type PrivateRedis,
} from './support/background-faults';
import {
  closeClients,
  connectClient,
  eventually,
  redisUrl,
  uniqueNamespace,
} from './support/statehouse';

// Errors of background work (timeout sweeps, lost connections) reach onError, or by default one
// throttled line on stderr: never silence.

type Reported = Array<{ error: Error; source: BackgroundErrorSource }>;

function collector(): { reported: Reported; onError: NonNullable<StatehouseOptions['onError']> } {
  const reported: Reported = [];
  return { reported, onError: (error, source) => reported.push({ error, source }) };
}

/** Lines the test process writes to stderr from now on (still written through). */
function captureStderr(): { lines: () => string[]; restore: () => void } {
  const written: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    written.push(String(chunk));
    return true;
  });
  return {
    lines: () => written.join('').split('\n').filter(Boolean),
    restore: () => spy.mockRestore(),
  };
}

afterEach(closeClients);

/** Starts the Redis again and waits until the client uses it (closing without it would hang). */
async function backOn(redis: PrivateRedis, client: Statehouse): Promise<void> {
  await redis.start();
  await eventually(() =>
    client.lastCommitTs().then(
      () => true,
      () => false,
    ),
  );
}

describe('a failing timeout sweep', () => {
  it('is reported to onError with source timeout-sweep, naming the namespace and the cause', async () => {
    const namespace = uniqueNamespace('sweep');
    const { reported, onError } = collector();
    // Its own key prefix, so its own timeout queue: no other test process' worker runs (and
    // fails) its sweeps before this client's does.
    const keyPrefix = `sweep-${process.pid}-${Date.now()}`;
    const client = await connectClient({ namespace, onError, keyPrefix });
    const tx = await client.beginTransaction({ timeoutMs: 1500 }); // its sweep is broken before it is due
    const sweeps = await breakTimeoutSweeps(redisUrl(), namespace, keyPrefix);
    try {
      await eventually(() => reported.some(({ source }) => source === 'timeout-sweep'));
      const { error } = reported.find(({ source }) => source === 'timeout-sweep')!;
      expect(error).toBeInstanceOf(TimeoutSweepError);
      expect(error).toMatchObject({ code: 'TIMEOUT_SWEEP_FAILED', namespace, attempt: 1 });
      expect(error.message).toContain(`The timeout sweep of namespace "${namespace}" failed`);
      expect(error.message).toContain('WRONGTYPE');
      expect(error.message).toMatch(/attempt 1 of \d+; it is retried/);
    } finally {
      await sweeps.mend();
    }
    // The same sweep is retried and now succeeds, and the transaction is timed out.
    await eventually(async () => (await client.describeTransaction(tx.id)).state === 'timedOut');
    expect(reported.every(({ source }) => source === 'timeout-sweep')).toBe(true);
  });

  it('by default writes one line to stderr however often the sweep is retried', async () => {
    const namespace = uniqueNamespace('sweep');
    // A queue of this test's own, to watch the sweep job's attempts.
    const queuePrefix = `{${uniqueNamespace('q')}}`;
    const stderr = captureStderr();
    const client = await connectClient({ namespace, queuePrefix });
    const queueConnection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    const queue = new Queue('timeouts', { connection: queueConnection, prefix: queuePrefix });
    // Broken after the begin (which writes the deadline index too), before its sweep is due.
    await client.beginTransaction({ timeoutMs: 1500 }); // its sweep is broken before it is due
    const sweeps = await breakTimeoutSweeps(redisUrl(), namespace);
    try {
      // Three failed attempts (BullMQ backs off 100, 200 ms between them)...
      await eventually(async () => {
        const jobs = await queue.getJobs(['delayed', 'wait', 'active', 'prioritized']);
        return jobs.some((job) => job.attemptsMade >= 3);
      });
      // ... and one line.
      const lines = stderr.lines().filter((line) => line.startsWith('[statehouse]'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          `^\\[statehouse\\] timeout-sweep: The timeout sweep of namespace "${namespace}" failed \\(attempt 1 of \\d+; .*WRONGTYPE`,
        ),
      );
    } finally {
      stderr.restore();
      await sweeps.mend();
      await queue.close();
      await queueConnection.quit();
    }
  });
});

describe('a lost Redis connection', () => {
  it('is reported to onError with source redis-connection', async () => {
    const redis = await startPrivateRedis();
    const { reported, onError } = collector();
    const client = await Statehouse.connect({
      redis: redis.url,
      namespace: uniqueNamespace(),
      onError,
    });
    try {
      await redis.stop();
      // The lost connections, then their reconnect attempts, refused.
      await eventually(() => reported.some(({ error }) => error.message.includes('ECONNREFUSED')));
      expect(new Set(reported.map(({ source }) => source))).toEqual(new Set(['redis-connection']));
      expect(reported.map(({ error }) => error.message)).toContainEqual(
        expect.stringContaining(`ECONNREFUSED 127.0.0.1:${redis.port}`),
      );
    } finally {
      await backOn(redis, client);
      await client.close();
      await redis.remove();
    }
  });

  it('by default writes one line to stderr, not one per reconnect attempt', async () => {
    const redis = await startPrivateRedis();
    // An ioredis instance of the test's own, to count the reconnect attempts (each fails).
    const given = new Redis(redis.url, { maxRetriesPerRequest: 2 });
    let failedAttempts = 0;
    given.on('error', () => failedAttempts++);
    const client = await Statehouse.connect({ redis: given, namespace: uniqueNamespace() });
    const stderr = captureStderr();
    try {
      await redis.stop();
      await eventually(() => failedAttempts >= 4);
      const lines = stderr.lines().filter((line) => line.startsWith('[statehouse]'));
      expect(lines).toEqual([
        expect.stringMatching(
          /^\[statehouse\] redis-connection: .*(ECONNRESET|ECONNREFUSED|EPIPE)/,
        ),
      ]);
    } finally {
      stderr.restore();
      await backOn(redis, client);
      await client.close();
      given.disconnect();
      await redis.remove();
    }
  });
});

describe('onError', () => {
  it('must be a function', async () => {
    await expect(
      Statehouse.connect({ redis: redisUrl(), onError: 'log' as never }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('onError'),
    });
  });
});
