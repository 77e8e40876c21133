// Jest globalTeardown: stops the Redis container that global-setup.ts started (if it started one).
export default async function globalTeardown(): Promise<void> {
  const container = globalThis.__STATEHOUSE_REDIS_CONTAINER__;
  if (!container) return;
  globalThis.__STATEHOUSE_REDIS_CONTAINER__ = undefined;
  await container.stop();
}
