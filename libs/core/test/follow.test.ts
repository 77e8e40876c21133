import { Statehouse, type ReplayEvent } from '@statehouse/core';
import { startPrivateRedis, type PrivateRedis } from '../../../test/support/private-redis';
import { eventually, sleep, uniqueNamespace } from './support/statehouse';

// Follow-mode replays share one blocking reader per client: hundreds of followers cost one Redis
// connection, a follower that leaves releases its place at once, and every follower still gets
// every commit of its agent exactly once, in order. A private Redis, so the client count is ours.

const FOLLOWERS = 300;
let redis: PrivateRedis;
let client: Statehouse;
let ns: string;
let other: string;

beforeAll(async () => {
  redis = await startPrivateRedis();
});

afterAll(() => redis.stop());

beforeEach(async () => {
  ns = uniqueNamespace('f');
  other = uniqueNamespace('g');
  client = await Statehouse.connect({ redis: redis.url, namespace: ns, replayPageSize: 4 });
  await write('warm-up', 0, uniqueNamespace('w')); // every connection of the client is open
});

afterEach(() => client.close());

async function write(agentId: string, i: number, namespace = ns): Promise<number> {
  return client.transaction(
    async (tx) => {
      await tx.write({ agentId, key: 'k', value: { i } });
      return tx.commit();
    },
    { namespace },
  );
}

/** A follower that records what it receives, and its iterator (to leave with return()). */
function follow(agentId: string, options: { namespace?: string; startTs?: number } = {}) {
  const iterator = client.replay({ agentId, follow: true, ...options })[Symbol.asyncIterator]();
  const received: ReplayEvent[] = [];
  const done = (async () => {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      received.push(next.value);
    }
  })();
  return { iterator, received, done };
}

it('serves hundreds of followers over one Redis connection, each commit exactly once, in order', async () => {
  const baseline = await redis.clients();
  const agents = ['a', 'b', 'c'];
  const before = await write('a', -1);
  const followers = Array.from({ length: FOLLOWERS }, (_, i) =>
    follow(agents[i % agents.length]!, i % 10 === 0 ? { namespace: other } : {}),
  );
  const stamps: Record<string, number[]> = { a: [before], b: [], c: [] };
  const ofG: Record<string, number[]> = { a: [], b: [], c: [] };
  // Commits racing the followers' start; then more, interleaving agents and namespaces.
  for (let i = 0; i < 12; i++) {
    const agent = agents[i % 3]!;
    stamps[agent]!.push(await write(agent, i));
    if (i % 4 === 0) ofG[agent]!.push(await write(agent, i, other));
  }
  for (const [i, follower] of followers.entries()) {
    const agent = agents[i % agents.length]!;
    const expected = i % 10 === 0 ? ofG[agent]! : stamps[agent]!;
    await eventually(() => follower.received.length >= expected.length, 5000);
    expect(follower.received.map((e) => e.commitTs)).toEqual(expected);
    expect(follower.received.every((e) => e.operations[0]!.key === 'k')).toBe(true);
  }
  // One reader for both namespaces (the old code held one connection per follower).
  expect(await redis.clients()).toBeLessThanOrEqual(baseline + 1);
  await Promise.all(followers.map((f) => f.iterator.return!()));
  await Promise.all(followers.map((f) => f.done));
  expect(client.followers).toBe(0);
});

it('releases the connection within a second of the last follower leaving, even with no commit', async () => {
  const baseline = await redis.clients();
  await write('a', 0);
  const followers = Array.from({ length: FOLLOWERS }, () => follow('a'));
  await eventually(() => followers.every((f) => f.received.length === 1), 5000);
  // Every follower has its history and waits for a commit that never comes; leaving must not
  // wait for one.
  const left = Promise.all(followers.map((f) => f.iterator.return!()));
  await expect(Promise.race([left, sleep(1000).then(() => 'still waiting')])).resolves.not.toBe(
    'still waiting',
  );
  expect(client.followers).toBe(0);
  await eventually(async () => (await redis.clients()) === baseline, 5000);
});

it('ends a follower when its signal aborts, while it waits for a commit', async () => {
  const controller = new AbortController();
  const events = client.replay({ agentId: 'a', follow: true, signal: controller.signal });
  const received: ReplayEvent[] = [];
  const done = (async () => {
    for await (const event of events) received.push(event);
  })();
  await eventually(() => client.followers === 1, 5000);
  controller.abort();
  await expect(Promise.race([done, sleep(1000).then(() => 'still waiting')])).resolves.toBe(
    undefined,
  );
  expect(client.followers).toBe(0);
});

it('lets a follower too slow for its queue catch up from the index, without gaps or duplicates', async () => {
  await write('a', 0);
  const iterator = client.replay({ agentId: 'a', follow: true })[Symbol.asyncIterator]();
  expect((await iterator.next()).value).toMatchObject({ commitTs: 1 });
  // It waits on the feed, then does not read while 40 commits arrive (its queue holds 4).
  const second = iterator.next();
  await eventually(() => client.followers === 1, 5000);
  const stamps = [1];
  for (let i = 1; i <= 40; i++) stamps.push(await write('a', i));
  const received = [(await second).value as ReplayEvent];
  while (received.length < stamps.length - 1) {
    received.push((await iterator.next()).value as ReplayEvent);
  }
  expect(received.map((e) => e.commitTs)).toEqual(stamps.slice(1));
  expect(received.map((e) => e.operations[0]!.value)).toEqual(
    stamps.slice(1).map((_, i) => ({ i: i + 1 })),
  );
  await iterator.return!();
});

it('starts reading a namespace followed while the reader blocks on another', async () => {
  const first = follow('a');
  await eventually(() => client.followers === 1, 5000);
  await sleep(50); // the reader now blocks on namespace f only
  const second = follow('a', { namespace: other });
  await eventually(() => client.followers === 2, 5000);
  const ts = await write('a', 1, other);
  await eventually(() => second.received.length === 1, 5000);
  expect(second.received[0]!.commitTs).toBe(ts);
  expect(first.received).toEqual([]);
  await first.iterator.return!();
  await second.iterator.return!();
});

it('ends a follower with an endTs once the namespace passes it, with other agents committing', async () => {
  await write('a', 0);
  const done = (async () => {
    const seen: number[] = [];
    for await (const e of client.replay({ agentId: 'a', follow: true, endTs: 4 }))
      seen.push(e.commitTs);
    return seen;
  })();
  await eventually(() => client.followers === 1, 5000);
  await write('a', 1); // 2
  for (let i = 0; i < 3; i++) await write('other', i); // 3, 4, 5
  await expect(done).resolves.toEqual([1, 2]);
});

it('fails its followers with StorageUnavailableError when the shared read fails, and starts afresh', async () => {
  await write('a', 0);
  const iterator = client.replay({ agentId: 'a', follow: true })[Symbol.asyncIterator]();
  expect((await iterator.next()).value).toMatchObject({ commitTs: 1 });
  const waiting = iterator.next();
  await eventually(() => client.followers === 1, 5000);
  // The namespace's log is replaced by a string: the next XREAD fails (WRONGTYPE).
  const log = `sh:{${ns}}:log`;
  await redis.admin.multi().del(log).set(log, 'not a stream').exec();
  await expect(waiting).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
  expect(client.followers).toBe(0);
  await redis.admin.del(log);
  // A later follower gets a reader of its own again.
  const again = follow('a', { startTs: 2 });
  await eventually(() => client.followers === 1, 5000);
  const ts = await write('a', 1);
  await eventually(() => again.received.length === 1, 5000);
  expect(again.received[0]!.commitTs).toBe(ts);
  await again.iterator.return!();
});
