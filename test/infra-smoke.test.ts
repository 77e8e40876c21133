// Checks the test infrastructure itself: the Redis that global-setup.ts provides, and the
// kill/start crash semantics of test/support/redis-container.ts that crash-recovery tests rely on.
import { Redis } from 'ioredis';
import {
  containersAvailable,
  freePort,
  redisAnswers,
  startRedisContainer,
} from './support/redis-container';

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
    it('is a Redis server recent enough for the engine (>= 7)', async () => {
      const info = await redis.info('server');
      const major = Number(/redis_version:(\d+)/.exec(info)?.[1]);
      expect(major).toBeGreaterThanOrEqual(7);
    });
  }
});

(containersAvailable() ? describe : describe.skip)(
  'startRedisContainer with a fixed host port',
  () => {
    it('keeps its address and acknowledged writes across SIGKILL + start', async () => {
      const hostPort = await freePort();
      const t0 = Date.now();
      const container = await startRedisContainer({ hostPort });
      const startMs = Date.now() - t0;
      try {
        expect(container.port).toBe(hostPort);
        const url = container.url;
        let redis = connect(url);
        await redis.connect();
        await redis.set('durable', 'yes');
        await redis.rpush('list', 'a', 'b', 'c');
        await redis.quit();

        const t1 = Date.now();
        await container.kill();
        expect(await redisAnswers(container.host, hostPort)).toBe(false);
        await container.start();
        const restartMs = Date.now() - t1;

        expect(container.url).toBe(url);
        redis = connect(url);
        await redis.connect();
        expect(await redis.get('durable')).toBe('yes');
        expect(await redis.lrange('list', 0, -1)).toEqual(['a', 'b', 'c']);
        await redis.quit();
        if (process.env.STATEHOUSE_VERBOSE_SETUP) {
          process.stdout.write(`container start ${startMs}ms, kill+start ${restartMs}ms\n`);
        }
      } finally {
        await container.stop();
      }
    });
  },
);
