import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startEmbeddedRedis, type EmbeddedRedis } from '@statehouse/core';

/**
 * Makes every timeout sweep of `namespace` fail for real: its deadline index (a zset, see
 * libs/core/src/storage/keys.ts) becomes a string, so the sweep's script gets WRONGTYPE. Returns
 * how to mend it (the index is then empty: the next attempt succeeds and times out nothing).
 */
export async function breakTimeoutSweeps(
  redisUrl: string,
  namespace: string,
  keyPrefix = 'sh',
): Promise<{ mend(): Promise<void> }> {
  const redis = new Redis(redisUrl);
  const deadlines = `${keyPrefix}:{${namespace}}:deadlines`;
  await redis.multi().del(deadlines).set(deadlines, 'not a zset').exec();
  return {
    async mend() {
      await redis.del(deadlines);
      await redis.quit();
    },
  };
}

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** Shuts it down (the clients on it lose their connections). */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Stops it if running and deletes its files. */
  remove(): Promise<void>;
}

/**
 * A redis-server of the test's own, to stop while a client uses it. Start it again before closing
 * that client: a client closed while its Redis is down leaves BullMQ reconnecting, which keeps
 * the test process alive.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dataDir = mkdtempSync(join(tmpdir(), 'statehouse-private-'));
  let server: EmbeddedRedis | undefined = await startEmbeddedRedis({ dataDir, appendfsync: 'no' });
  const { url, port } = server;
  return {
    url,
    port,
    async stop() {
      await server?.stop();
      server = undefined;
    },
    async start() {
      server ??= await startEmbeddedRedis({ dataDir, port, appendfsync: 'no' });
    },
    async remove() {
      await server?.stop();
      server = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
