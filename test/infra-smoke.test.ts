// Checks the test infrastructure itself: the Redis that global-setup.ts provides. (The kill/start
// crash semantics of test/support/redis-container.ts are exercised by libs/core/test/durability.)
import { Redis } from 'ioredis';

function connect(url: string): Redis {
  return new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
}

describe('Redis provided by global setup', () => {
  let redis: Redis;

  beforeAll(async () => {
    expect(process.env.REDIS_URL).toMatch(/^rediss?:\/\//);
    redis = connect(process.env.REDIS_URL!);
    await redis.connect();
  });
  afterAll(async () => {
    await redis?.quit();
  });

  it('answers and round-trips a value', async () => {
    expect(await redis.ping()).toBe('PONG');
    const key = `statehouse:infra-smoke:${process.pid}:${Date.now()}`;
    await redis.set(key, 'v1', 'EX', 60);
    expect(await redis.get(key)).toBe('v1');
    await redis.del(key);
  });

  if (process.env.STATEHOUSE_REDIS_SOURCE === 'container') {
    it('is durable: AOF on with appendfsync always', async () => {
      expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await redis.config('GET', 'appendfsync')).toEqual(['appendfsync', 'always']);
    });
  } else {
    it('is a Redis server recent enough for the engine (>= 6.2)', async () => {
      const info = await redis.info('server');
      const [major, minor] = (/redis_version:(\d+)\.(\d+)/.exec(info) ?? []).slice(1).map(Number);
      expect(major! * 100 + minor!).toBeGreaterThanOrEqual(602);
    });
  }
});
