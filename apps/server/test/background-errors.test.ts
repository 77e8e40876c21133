import { JsonLogger } from '../src/observability/json-logger';
import {
  breakTimeoutSweeps,
  startPrivateRedis,
} from '../../../libs/core/test/support/background-faults';
import { eventually, uniqueNamespace } from '../../../libs/core/test/support/statehouse';
import { startTestServer } from './support/server';

// Background errors (a failing timeout sweep, a lost Redis) are counted in
// statehouse_background_errors_total{source} and logged as JSON lines, at most one per source
// every 30 s.

/** A JSON logger at level error whose lines the test reads. */
function capturingLogger(): { logger: JsonLogger; entries: () => Array<Record<string, unknown>> } {
  const lines: string[] = [];
  return {
    logger: new JsonLogger('error', (line) => lines.push(line)),
    entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

async function backgroundErrors(httpPort: number, source: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const match = new RegExp(
    `^statehouse_background_errors_total\\{source="${source}"\\} (\\d+)$`,
    'm',
  ).exec(text);
  if (!match)
    throw new Error(`no statehouse_background_errors_total{source="${source}"} in /metrics`);
  return Number(match[1]);
}

it('counts and logs a failing timeout sweep', async () => {
  const { logger, entries } = capturingLogger();
  // Its own key prefix, so its own timeout queue: only this server's worker runs its sweeps.
  const keyPrefix = `srv-${process.pid}-${Date.now()}`;
  const server = await startTestServer({ keyPrefix }, logger);
  const namespace = uniqueNamespace('srv');
  try {
    expect(await backgroundErrors(server.httpPort, 'timeout-sweep')).toBe(0);
    const begun = await fetch(`http://127.0.0.1:${server.httpPort}/v1/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ namespace, timeoutMs: 1500 }), // its sweep is broken before it is due
    });
    expect(begun.status).toBe(201);
    const sweeps = await breakTimeoutSweeps(server.redisUrl, namespace, keyPrefix);
    try {
      // The sweep fails, BullMQ retries it: every failure is counted, one line is logged.
      await eventually(async () => (await backgroundErrors(server.httpPort, 'timeout-sweep')) >= 3);
    } finally {
      await sweeps.mend();
    }
    const logged = entries().filter((entry) => entry.source === 'timeout-sweep');
    expect(logged).toEqual([
      expect.objectContaining({
        level: 'error',
        context: 'Statehouse',
        source: 'timeout-sweep',
        code: 'TIMEOUT_SWEEP_FAILED',
        suppressed: 0,
        msg: expect.stringMatching(
          new RegExp(`^The timeout sweep of namespace "${namespace}" failed .*WRONGTYPE`),
        ),
      }),
    ]);
  } finally {
    await server.close();
  }
});

it("counts the server's lost Redis connections as redis-connection, logging one line", async () => {
  const redis = await startPrivateRedis();
  const { logger, entries } = capturingLogger();
  const server = await startTestServer({ redisUrl: redis.url }, logger);
  try {
    expect(await backgroundErrors(server.httpPort, 'redis-connection')).toBe(0);
    await redis.stop();
    // Every connection fails every reconnect attempt: many errors, one line.
    await eventually(
      async () => (await backgroundErrors(server.httpPort, 'redis-connection')) >= 10,
    );
    const logged = entries().filter((entry) => entry.source === 'redis-connection');
    expect(logged).toEqual([
      expect.objectContaining({
        level: 'error',
        source: 'redis-connection',
        msg: expect.stringMatching(/ECONNRESET|ECONNREFUSED/),
      }),
    ]);
    // Only connection errors: BullMQ's notices of the same outage are counted as such.
    for (const source of ['timeout-worker', 'timeout-queue', 'timeout-sweep']) {
      expect(await backgroundErrors(server.httpPort, source)).toBe(0);
    }
  } finally {
    // Back before the server closes (closing without Redis leaves BullMQ reconnecting).
    await redis.start();
    await eventually(
      async () =>
        (await fetch(`http://127.0.0.1:${server.httpPort}/readyz`).catch(() => undefined))
          ?.status === 200,
    );
    await server.close();
    await redis.remove();
  }
});
