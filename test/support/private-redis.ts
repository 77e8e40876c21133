// A redis-server of a test's own, for assertions about the whole server: how many clients are
// connected (no other test's connections in the count), its maxclients.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startEmbeddedRedis } from '@statehouse/core';

export interface PrivateRedis {
  readonly url: string;
  /** Connected clients (INFO clients), this helper's own connection included. */
  clients(): Promise<number>;
  /** Runs a command on the helper's connection (CONFIG SET maxclients ...). */
  readonly admin: Redis;
  stop(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dataDir = mkdtempSync(join(tmpdir(), 'statehouse-private-'));
  const server = await startEmbeddedRedis({ dataDir, appendfsync: 'no' });
  const admin = new Redis(server.url);
  return {
    url: server.url,
    admin,
    async clients() {
      const info = await admin.info('clients');
      return Number(/connected_clients:(\d+)/.exec(info)![1]);
    },
    async stop() {
      admin.disconnect();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
