import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { DataDirLock } from './data-dir-lock';
import type { DataDirLockHolder } from './data-dir-locked.error';
import { EmbeddedRedisError } from './embedded-redis.error';

export { EmbeddedRedisError } from './embedded-redis.error';

export interface EmbeddedRedisOptions {
  /** Where the AOF files go. Default `./data`. */
  readonly dataDir?: string;
  /** Port on 127.0.0.1; default: a free one. */
  readonly port?: number;
  /** `always` (the default: no acknowledged commit is lost), `everysec` or `no`. */
  readonly appendfsync?: 'always' | 'everysec' | 'no';
  /** The redis-server binary. Default: `redis-server` from PATH. */
  readonly binary?: string;
  /** Told when a stale lock of the data directory (its holder died) is taken over. */
  readonly onStaleLock?: (stale: DataDirLockHolder) => void;
}

export interface EmbeddedRedis {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** The data directory's lock file, held until the redis-server exits. */
  readonly lockFile: string;
  /** Adds details to the lock file (a server's ports), for the message of whoever finds it. */
  describeOwner(details: Record<string, unknown>): void;
  /** Shuts Redis down cleanly (SIGTERM, it flushes the AOF) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts a private redis-server bound to 127.0.0.1 with AOF persistence, for `npm start`, demos and
 * benchmarks. Production deployments point the client at their own Redis instead.
 * The data directory is locked first (DataDirLock): while another live process uses it, this
 * throws DataDirLockedError naming that process, and no redis-server is started on its files.
 */
export async function startEmbeddedRedis(
  options: EmbeddedRedisOptions = {},
): Promise<EmbeddedRedis> {
  const binary = options.binary ?? 'redis-server';
  if (spawnSync(binary, ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new EmbeddedRedisError(
      `${binary} was not found. Install it (Debian/Ubuntu: apt-get install -y redis-server; ` +
        'macOS: brew install redis) or point Statehouse at a running Redis with REDIS_URL=redis://host:6379.',
    );
  }
  const dataDir = resolve(options.dataDir ?? 'data');
  mkdirSync(dataDir, { recursive: true });
  const lock = DataDirLock.acquire(dataDir, options.onStaleLock);
  let child: ChildProcess;
  let port: number;
  try {
    port = options.port ?? (await freePort());
    child = spawnRedis(binary, port, dataDir, options.appendfsync ?? 'always');
  } catch (error) {
    lock.release();
    throw error;
  }
  // The lock lives as long as the redis-server: released when it exits, whatever the cause.
  child.once('exit', () => lock.release());
  lock.describe({ redisPid: child.pid, redisPort: port });
  const url = `redis://127.0.0.1:${port}`;
  await waitForRedis(child, url);
  let exited = child.exitCode !== null;
  const exit = new Promise<void>((done) =>
    child.once('exit', () => {
      exited = true;
      done();
    }),
  );
  return {
    url,
    port,
    pid: child.pid!,
    lockFile: lock.file,
    describeOwner: (details) => lock.describe(details),
    async stop() {
      if (!exited) child.kill('SIGTERM');
      await exit;
      lock.release();
    },
  };
}

function spawnRedis(
  binary: string,
  port: number,
  dataDir: string,
  appendfsync: 'always' | 'everysec' | 'no',
): ChildProcess {
  return spawn(
    binary,
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--dir',
      dataDir,
      '--appendonly',
      'yes',
      '--appendfsync',
      appendfsync,
      '--save',
      '',
      '--protected-mode',
      'yes',
      // Blocking-command timeouts (BullMQ's wait for the next due timeout job) are checked on
      // Redis' timer: at the default 10 Hz a timeout fires up to 100 ms late; at 100 Hz, 10 ms.
      '--hz',
      '100',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

async function waitForRedis(child: ChildProcess, url: string): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 60_000; // a large AOF takes a while to load
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new EmbeddedRedisError(
        `redis-server exited with code ${child.exitCode}: ${stderr.trim()}`,
      );
    }
    const probe = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => undefined); // refused while starting: expected, retried below
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') {
        await probe.quit();
        return;
      }
    } catch {
      // not up yet (refused, or still loading its AOF)
    }
    // Only a live socket needs closing: ioredis' disconnect() on a dead one arms a 2 s timer.
    if (probe.status !== 'end') probe.disconnect();
    await new Promise((done) => setTimeout(done, 50));
  }
  child.kill('SIGKILL');
  throw new EmbeddedRedisError(
    `redis-server did not answer at ${url} within 60 s: ${stderr.trim()}`,
  );
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
