import { closeClients, collect, connectClient } from './support/statehouse';

// A replay event says when its commit happened (the log entry's time, on Redis' clock): from the
// history and from the live feed alike.

afterAll(closeClients);

it('carries each commit’s time, in the history and live', async () => {
  const client = await connectClient({ timeoutWorker: false });
  const before = Date.now();
  const tx = await client.beginTransaction({ buffered: true });
  await tx.write({ agentId: 'a', key: 'k', value: { n: 1 } });
  const first = await tx.commit();
  const [logged] = await collect(client.replay({ agentId: 'a' }));
  expect(logged).toMatchObject({ commitTs: first, time: expect.any(Number) });
  // Redis' clock and this host's may differ a little; a minute is far beyond any real skew here.
  expect(Math.abs(logged!.time! - before)).toBeLessThan(60_000);

  const follower = client.replay({ agentId: 'a', startTs: first + 1, follow: true });
  const iterator = follower[Symbol.asyncIterator]();
  const next = iterator.next();
  const later = await client.beginTransaction({ buffered: true });
  await later.write({ agentId: 'a', key: 'k', value: { n: 2 } });
  const second = await later.commit();
  const live = (await next).value as { commitTs: number; time?: number };
  await iterator.return?.();
  expect(live.commitTs).toBe(second);
  expect(live.time).toBeGreaterThanOrEqual(logged!.time!);
});
