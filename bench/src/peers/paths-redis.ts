// Redis' own optimistic transaction as a peer: WATCH a key, GET it, then MULTI, the SETs, EXEC
// (ioredis sends MULTI…EXEC in one round trip); EXEC answers null when the watched key changed,
// and the transaction runs again. WATCH belongs to a connection, so each worker has its own.
import { Redis } from 'ioredis';
import type { BenchRedis } from '../redis-env';
import {
  HOT_KEYS,
  Tally,
  VALUE_TEXTS,
  randomAgent,
  randomHotKey,
  retryConflicts,
  sumProblem,
  type OpenedPaths,
} from './path';

export async function openRedisPeerPaths(
  env: BenchRedis,
  concurrency: number,
): Promise<OpenedPaths> {
  const prefix = env.namespace('peers-watch');
  const connections = Array.from(
    { length: concurrency },
    () => new Redis(env.url, { lazyConnect: true, maxRetriesPerRequest: 2 }),
  );
  const close = () => {
    for (const connection of connections) connection.disconnect();
    return Promise.resolve();
  };
  try {
    await Promise.all(connections.map((connection) => connection.connect()));
    const admin = connections[0]!;
    const hot = (i: number) => `${prefix}:hot:${i}`;
    for (let i = 0; i < HOT_KEYS; i++) await admin.set(hot(i), '0');
    const writeTally = new Tally(); // conflicts are rare here: 64 writers over 10,000 agents
    const rmwTally = new Tally();
    return {
      close,
      paths: [
        {
          id: 'watch',
          label: 'Redis WATCH/MULTI',
          workload: 'write',
          system: 'redis',
          ours: false,
          op: (worker) => {
            const redis = connections[worker]!;
            const key = `${prefix}:{${randomAgent()}}`;
            return retryConflicts(writeTally, async () => {
              await redis.watch(`${key}:k1`);
              await redis.get(`${key}:k1`);
              const done = await redis
                .multi()
                .set(`${key}:k1`, VALUE_TEXTS[0]!)
                .set(`${key}:k2`, VALUE_TEXTS[1]!)
                .set(`${key}:k3`, VALUE_TEXTS[2]!)
                .exec();
              return done !== null;
            });
          },
        },
        {
          id: 'rmw-watch',
          label: 'Redis WATCH/MULTI',
          workload: 'rmw',
          system: 'redis',
          ours: false,
          tally: rmwTally,
          op: (worker) => {
            const redis = connections[worker]!;
            const key = hot(randomHotKey());
            return retryConflicts(rmwTally, async () => {
              await redis.watch(key);
              const n = Number(await redis.get(key));
              return (
                (await redis
                  .multi()
                  .set(key, String(n + 1))
                  .exec()) !== null
              );
            });
          },
          check: async () => {
            const values = await admin.mget(...Array.from({ length: HOT_KEYS }, (_, i) => hot(i)));
            const sum = values.reduce((total, value) => total + Number(value), 0);
            return sumProblem('Redis WATCH/MULTI', sum, rmwTally);
          },
        },
      ],
    };
  } catch (error) {
    await close();
    throw error;
  }
}
