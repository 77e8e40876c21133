import { randomBytes } from 'node:crypto';
import { Statehouse, type StatehouseOptions } from '@statehouse/core';

/** The Redis of this test run (started by the global setup, or the user's REDIS_URL). */
export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: run the tests with `npm test`');
  return url;
}

/** A namespace no other test uses, so tests can run in parallel on one Redis. */
export function uniqueNamespace(label = 't'): string {
  return `${label}-${randomBytes(6).toString('hex')}`.slice(0, 64);
}

/**
 * A namespace no other test uses, of characters the first namespace rule refused (':', braces,
 * '/', '~', '%', a space, non-ASCII): its keys carry an encoded hash tag. Odd calls give a
 * `uniqueNamespace` instead, so a property test runs under both kinds of tag.
 */
let alternate = 0;
export function someNamespace(label = 't'): string {
  return alternate++ % 2 === 1
    ? uniqueNamespace(label)
    : `${label}:{${randomBytes(6).toString('hex')}}/ü ~%`;
}

const open = new Set<Statehouse>();

/** A client on the test Redis, in a fresh namespace unless one is given; closed by `closeClients`. */
export async function connectClient(options: Partial<StatehouseOptions> = {}): Promise<Statehouse> {
  const client = await Statehouse.connect({
    redis: redisUrl(),
    namespace: uniqueNamespace(),
    ...options,
  });
  open.add(client);
  return client;
}

export async function closeClients(): Promise<void> {
  await Promise.all([...open].map((client) => client.close()));
  open.clear();
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Polls `check` until it returns true, failing after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(25);
  }
}
