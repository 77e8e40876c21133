// The property tests' check that nothing stray is left in Redis (library, HTTP and gRPC alike).
import type { Redis } from 'ioredis';
import { namespaceTag } from '@statehouse/core';

/** A SCAN MATCH pattern matching `text` literally. */
const literal = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

const NAMESPACE_KEYS = new Set([
  'clock',
  'log',
  'state',
  'index',
  'deadlines',
  'finished',
  'finishedAt',
  'fence',
  'staged',
  'import',
]);

/**
 * After every transaction of `namespace` has finished: its Redis keys are the namespace's own kinds
 * (under its hash tag: the namespace itself, or `~<hex>` for a name outside `[A-Za-z0-9._-]`), finished transactions hold no staged operations and expire, the deadline
 * index is empty, and nothing else names the namespace except the BullMQ timeout queue's keys. No
 * key name anywhere holds the marker (agent ids and keys never reach key names).
 */
export async function expectNoStrayKeys(
  redis: Redis,
  namespace: string,
  marker: string,
  keyPrefix = 'sh',
): Promise<void> {
  const tag = namespaceTag(namespace);
  const base = `${keyPrefix}:{${tag}}:`;
  const stray: string[] = [];
  for (const key of await scanKeys(redis, `*${literal(tag)}*`)) {
    if (key.startsWith('{sh-timeouts}:')) continue; // the BullMQ timeout sweeps
    if (key === `${keyPrefix}:namespaces`) continue; // the registry of every namespace
    const kind = key.startsWith(base) ? key.slice(base.length) : null;
    if (kind === null) {
      stray.push(key);
    } else if (kind.startsWith('tx:')) {
      const fields = await redis.hgetall(key);
      const staged = Object.keys(fields).filter(
        (field) => field.includes('\u0000') || [1, 3, 4].includes(field.charCodeAt(0)),
      );
      if (fields.state === 'open' || staged.length > 0 || (await redis.pttl(key)) < 0) {
        stray.push(`${key} (state ${fields.state}, ${staged.length} staged fields)`);
      }
    } else if (!NAMESPACE_KEYS.has(kind)) {
      stray.push(key);
    }
  }
  if (tag !== namespace) {
    // An encoded namespace appears in no key name as it is.
    stray.push(...(await scanKeys(redis, `*${literal(namespace)}*`)));
  }
  expect(stray).toEqual([]);
  expect(await redis.zcard(`${base}deadlines`)).toBe(0);
  // The ledger of staged bytes is gone: back at zero once every transaction finished.
  expect(await redis.hgetall(`${base}staged`)).toEqual({});
  expect(await scanKeys(redis, `*${literal(marker)}*`)).toEqual([]);
}
