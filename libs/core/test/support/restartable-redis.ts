import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startEmbeddedRedis, type EmbeddedRedis } from '@statehouse/core';
import {
  containersAvailable,
  freePort as freeHostPort,
  startRedisContainer,
} from '../../../../test/support/redis-container';

/** A Redis of its own (AOF, appendfsync always) that a test can crash with SIGKILL and start again. */
export interface RestartableRedis {
  readonly url: string;
  readonly kind: 'container' | 'process';
  /** SIGKILL: no shutdown, no last fsync. */
  kill(): Promise<void>;
  /** Starts again on the same address with the same data, and waits until it answers. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A container through Testcontainers when a container runtime is available; otherwise (REDIS_URL
 * given and no Docker) a local redis-server process, killed and restarted the same way.
 */
export async function startRestartableRedis(): Promise<RestartableRedis> {
  if (containersAvailable()) {
    const container = await startRedisContainer({ hostPort: await freeHostPort() });
    return {
      url: container.url,
      kind: 'container',
      kill: () => container.kill(),
      start: () => container.start(),
      stop: () => container.stop(),
    };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'statehouse-restart-'));
  const port = await freePort();
  let server: EmbeddedRedis = await startEmbeddedRedis({ dataDir, port });
  return {
    url: server.url,
    kind: 'process',
    async kill() {
      process.kill(server.pid, 'SIGKILL');
      await server.stop();
    },
    async start() {
      server = await startEmbeddedRedis({ dataDir, port });
    },
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
