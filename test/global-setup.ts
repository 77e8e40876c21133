// Jest globalSetup: makes a Redis available to every test worker through process.env.REDIS_URL.
//
// - REDIS_URL set by the user: check that it answers PING and use it as is (nothing is started).
// - otherwise: start one throwaway Redis container (test/support/redis-container.ts) and export its
//   URL; workers are forked after this runs and inherit the variable. global-teardown.ts stops it.
//
// Also exported to workers:
//   STATEHOUSE_REDIS_SOURCE = 'container' | 'external'   where REDIS_URL came from
//   STATEHOUSE_CONTAINERS   = '1' | '0'                  whether tests may start their own containers
import { Redis } from 'ioredis';
import { getContainerRuntimeClient } from 'testcontainers';
import { startRedisContainer, type RedisContainer } from './support/redis-container';

declare global {
  var __STATEHOUSE_REDIS_CONTAINER__: RedisContainer | undefined;
  var __STATEHOUSE_REDIS_READY__: boolean | undefined;
}

const NO_RUNTIME_HELP = [
  'No container runtime is reachable, so the tests cannot start their Redis container.',
  'Either:',
  '  - run the tests with `npm test` (scripts/run-tests.mjs starts a Docker engine, as root installing',
  '    docker.io if needed), or start Docker yourself (`sudo systemctl start docker` / `sudo dockerd &`);',
  '  - or point the tests at a running Redis: REDIS_URL=redis://127.0.0.1:6379 npm test',
].join('\n');

export default async function globalSetup(): Promise<void> {
  // Each project that needs Redis names this setup; the first one run provides it for all.
  if (globalThis.__STATEHOUSE_REDIS_READY__) return;
  globalThis.__STATEHOUSE_REDIS_READY__ = true;
  const supplied = process.env.REDIS_URL;
  if (supplied) {
    await ping(supplied);
    process.env.STATEHOUSE_REDIS_SOURCE = 'external';
    process.env.STATEHOUSE_CONTAINERS = (await runtimeReachable()) ? '1' : '0';
    return;
  }

  if (!(await runtimeReachable())) throw new Error(NO_RUNTIME_HELP);
  const image = process.env.STATEHOUSE_REDIS_IMAGE ?? 'redis:7';
  const t0 = Date.now();
  let container: RedisContainer;
  try {
    container = await startRedisContainer();
  } catch (err) {
    throw new Error(
      `Could not start a Redis container from image ${image}: ${(err as Error).message}\n` +
        'Run the tests through `npm test` (it builds the local image statehouse/redis-local), set ' +
        'STATEHOUSE_REDIS_IMAGE to an image you have, or set REDIS_URL to a running Redis.',
      { cause: err },
    );
  }
  if (process.env.STATEHOUSE_VERBOSE_SETUP) {
    process.stdout.write(
      `\n[statehouse] Redis container ${image} at ${container.url} in ${Date.now() - t0}ms\n`,
    );
  }
  globalThis.__STATEHOUSE_REDIS_CONTAINER__ = container;
  process.env.REDIS_URL = container.url;
  process.env.STATEHOUSE_REDIS_SOURCE = 'container';
  process.env.STATEHOUSE_CONTAINERS = '1';
}

async function runtimeReachable(): Promise<boolean> {
  try {
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

async function ping(url: string): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let connectionError: Error | undefined;
  redis.on('error', (err: Error) => {
    connectionError ??= err; // e.g. ECONNREFUSED; the rejected command below only says "closed"
  });
  try {
    await redis.connect();
    const pong = await redis.ping();
    if (pong !== 'PONG') throw new Error(`unexpected PING reply ${JSON.stringify(pong)}`);
  } catch (err) {
    const reason = connectionError?.message ?? (err as Error).message;
    throw new Error(`REDIS_URL=${url} does not answer PING: ${reason}`, { cause: err });
  } finally {
    redis.disconnect();
  }
}
