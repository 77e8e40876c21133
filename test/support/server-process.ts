// The server as users run it: `node apps/server/dist/main.js` in a process of its own (build
// first), through @statehouse/testing's startStatehouseServer.
import { startStatehouseServer, type StatehouseServer } from '@statehouse/testing';

export type ServerProcess = StatehouseServer;

/** The environment of a server process on the test Redis (REDIS_URL). */
export function testEnv(): NodeJS.ProcessEnv {
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) throw new Error('REDIS_URL is not set: run the tests with `npm test`');
  return { ...process.env, STATEHOUSE_REDIS_URL: redisUrl };
}

/** A server process with these flags and this environment (default: on the test Redis). */
export function startServerProcess(
  args: string[] = [],
  env: NodeJS.ProcessEnv = testEnv(),
): Promise<ServerProcess> {
  return startStatehouseServer({ args, env });
}

/** SIGTERM to a server still running, then waits for it to exit; its exit code (or null). */
export function stopServerProcess(server: ServerProcess): Promise<number | null> {
  return server.stop();
}

/** This process' environment without a Redis URL (a server then starts its own, or uses a cluster). */
export function withoutRedisUrl(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.REDIS_URL;
  delete env.STATEHOUSE_REDIS_URL;
  return env;
}
