import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';

export interface EmbeddedRedisOptions {
  /** Where the AOF files go. Default `./data`. */
  readonly dataDir?: string;
  /** Port on 127.0.0.1; default: a free one. */
  readonly port?: number;
  /** `always` (the default: no acknowledged commit is lost), `everysec` or `no`. */
  readonly appendfsync?: 'always' | 'everysec' | 'no';
  /** The redis-server binary. Default: `redis-server` from PATH. */
  readonly binary?: string;
}

export interface EmbeddedRedis {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Shuts Redis down cleanly (SIGTERM, it flushes the AOF) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Raised when no redis-server can be started; the message says how to fix it. */
export class EmbeddedRedisError extends Error {
  override readonly name = 'EmbeddedRedisError';
}

/**
 * Starts a private redis-server bound to 127.0.0.1 with AOF persistence, for `npm start`, demos and
 * benchmarks. Production deployments point the client at their own Redis instead.
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
  const port = options.port ?? (await freePort());
  const child = spawn(
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
      options.appendfsync ?? 'always',
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
    async stop() {
      if (!exited) child.kill('SIGTERM');
      await exit;
    },
  };
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
