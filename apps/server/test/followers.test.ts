import { startPrivateRedis, type PrivateRedis } from '../../../test/support/private-redis';
import type { RunningServer } from '../src/server';
import {
  commitOverHttp,
  followerGauge,
  grpcFollower,
  httpFollower,
  type Follower,
} from './support/followers';
import { startTestServer, V1 } from './support/server';

// Follow-mode replays over HTTP (NDJSON, SSE) and gRPC against a Redis of the test's own, so its
// client count is the server's: hundreds of followers cost one connection, followers that leave
// (before their first event too) release everything at once, and the cap per token holds.

const MANY = 300;
let redis: PrivateRedis;

beforeAll(async () => {
  redis = await startPrivateRedis();
});

afterAll(() => redis.stop());

const eventually = async (check: () => Promise<boolean> | boolean): Promise<void> => {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((done) => setTimeout(done, 25));
  }
};

const commit = (base: string, ns: string, agentId: string, i: number): Promise<number> =>
  commitOverHttp(base, ns, agentId, { i });

describe('one server', () => {
  let server: RunningServer;
  let base: string;
  let ext: V1;
  let baseline: number;

  beforeAll(async () => {
    server = await startTestServer({ redisUrl: redis.url, maxFollowersPerToken: 1000 });
    base = `http://127.0.0.1:${server.httpPort}`;
    ext = new V1(server.grpcPort, undefined, 'ext');
    await commit(base, 'warm-up', 'a', 0); // every connection of the server is open
    baseline = await redis.clients();
  });

  afterAll(async () => {
    ext.close();
    await server.close();
  });

  it(`releases the Redis connections of ${MANY} HTTP followers that leave before their first event`, async () => {
    const followers = Array.from({ length: MANY }, (_, i) =>
      httpFollower(base, 'namespace=quiet&agentId=nobody&follow=true', { sse: i % 2 === 1 }),
    );
    await Promise.all(followers.map((f) => f.started));
    followers.forEach((f) => f.leave());
    await Promise.all(followers.map((f) => f.done));
    await eventually(async () => (await redis.clients()) === baseline);
    await eventually(async () => {
      const gauge = await followerGauge(base);
      return gauge['http-ndjson'] === 0 && gauge['http-sse'] === 0;
    });
  });

  it('releases the Redis connections of SSE and gRPC followers cancelled while they wait', async () => {
    const ns = 'cancelled';
    await commit(base, ns, 'a', 1);
    const followers: Follower[] = [];
    for (let i = 0; i < MANY; i++) {
      followers.push(
        i % 2 === 0
          ? httpFollower(base, `namespace=${ns}&agentId=a&follow=true`, { sse: true })
          : grpcFollower(ext, { namespace: ns, agent_id: 'a', follow: true }),
      );
    }
    await eventually(() => followers.every((f) => f.seen.events.length === 1));
    followers.forEach((f) => f.leave());
    await eventually(async () => (await redis.clients()) === baseline);
    await eventually(async () => {
      const gauge = await followerGauge(base);
      return gauge['http-sse'] === 0 && gauge.grpc === 0;
    });
  });

  it(`serves ${MANY} live followers with one Redis connection, every commit once and in order`, async () => {
    const ns = 'live';
    await redis.admin.config('SET', 'maxclients', '150');
    try {
      const first = await commit(base, ns, 'a', 0);
      const followers: Follower[] = [];
      for (let i = 0; i < MANY; i++) {
        const agent = i % 2 === 0 ? 'a' : 'b';
        const query = `namespace=${ns}&agentId=${agent}&follow=true`;
        followers.push(
          i % 3 === 0
            ? httpFollower(base, query)
            : i % 3 === 1
              ? httpFollower(base, query, { sse: true })
              : grpcFollower(ext, { namespace: ns, agent_id: agent, follow: true }),
        );
      }
      const expected: Record<string, number[]> = { a: [first], b: [] };
      for (let i = 1; i <= 10; i++) {
        const agent = i % 3 === 0 ? 'b' : 'a';
        expected[agent]!.push(await commit(base, ns, agent, i));
      }
      for (const [i, follower] of followers.entries()) {
        const want = expected[i % 2 === 0 ? 'a' : 'b']!;
        await eventually(() => follower.seen.events.length >= want.length);
        expect(follower.seen.events).toEqual(want);
      }
      // The old code held a connection per follower: Redis refused the 150th.
      expect(await redis.clients()).toBeLessThanOrEqual(baseline + 1);
      expect(await followerGauge(base)).toEqual({
        'http-ndjson': MANY / 3,
        'http-sse': MANY / 3,
        grpc: MANY / 3,
      });
      // A second server still gets its connections.
      const second = await startTestServer({ redisUrl: redis.url });
      await commit(`http://127.0.0.1:${second.httpPort}`, ns, 'c', 0);
      await second.close();
      followers.forEach((f) => f.leave());
      await eventually(async () => (await redis.clients()) === baseline);
    } finally {
      await redis.admin.config('SET', 'maxclients', '10000');
    }
  });
});

describe('the cap of followers per token', () => {
  const tokens = ['token-a-0123456789abcdef', 'token-b-0123456789abcdef'];
  let server: RunningServer;
  let base: string;

  beforeAll(async () => {
    server = await startTestServer({
      redisUrl: redis.url,
      tokens: new Map(tokens.map((token) => [token, '*' as const])),
      maxFollowersPerToken: 2,
    });
    base = `http://127.0.0.1:${server.httpPort}`;
  });

  afterAll(() => server.close());

  it('refuses a token its third follower (429 / RESOURCE_EXHAUSTED), not another token, and frees a place when one leaves', async () => {
    const [a, b] = tokens as [string, string];
    const query = 'namespace=capped&agentId=x&follow=true';
    const one = httpFollower(base, query, { token: a });
    const two = grpcFollower(new V1(server.grpcPort, a, 'ext'), {
      namespace: 'capped',
      agent_id: 'x',
      follow: true,
    });
    await Promise.all([one.started, two.started]);

    const refused = await fetch(`${base}/v1/replay?${query}`, {
      headers: { authorization: `Bearer ${a}` },
    });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(await refused.json()).toMatchObject({
      code: 'TOO_MANY_FOLLOWERS',
      detail: expect.stringContaining('--max-followers-per-token'),
    });
    const overGrpc = grpcFollower(new V1(server.grpcPort, a, 'ext'), {
      namespace: 'capped',
      agent_id: 'x',
      follow: true,
    });
    await overGrpc.done;
    expect(overGrpc.seen.error).toMatch(/^8 Too many follow-mode replays/); // RESOURCE_EXHAUSTED
    // A replay without follow is not a follower: it is served.
    expect(
      (
        await fetch(`${base}/v1/replay?namespace=capped&agentId=x`, {
          headers: { authorization: `Bearer ${a}` },
        })
      ).status,
    ).toBe(200);

    const other = httpFollower(base, query, { token: b });
    await other.started;
    expect(other.seen.error).toBeUndefined();

    one.leave();
    await eventually(async () => {
      const again = httpFollower(base, query, { token: a });
      await again.started;
      again.leave();
      await again.done;
      return again.seen.error === undefined;
    });
    two.leave();
    other.leave();
  });
});
