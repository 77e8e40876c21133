// Namespaces the official daemon accepts: any non-empty Unicode name without control characters,
// at most 256 UTF-8 bytes. Each lives under its own hash tag (one cluster slot), never shares a key
// with another, and the names valid before keep their exact Redis key names.
import { randomBytes } from 'node:crypto';
import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import { Statehouse, ValidationError, namespaceTag } from '@statehouse/core';
import { closeClients, collect, connectClient, eventually, redisUrl } from './support/statehouse';
import { ODD_NAMESPACES } from '../../../test/support/namespace-names';

/** The namespaces of this file, exactly as named: the file has key prefixes of its own. */
const NAMESPACES = [...ODD_NAMESPACES, 'é'.repeat(128), 'default', 'my-ns.v1'];

let admin: Redis;
let prefix: string;
let client: Statehouse;

beforeAll(() => {
  admin = new Redis(redisUrl());
});

beforeEach(async () => {
  prefix = `nst-${randomBytes(4).toString('hex')}`;
  client = await connectClient({
    keyPrefix: prefix,
    queuePrefix: `{${prefix}-timeouts}`,
    namespace: 'team:alpha',
  });
});

afterAll(async () => {
  await closeClients();
  admin.disconnect();
});

/** Test-only inventory of this test's keys (the library itself never scans the keyspace). */
async function keysOfPrefix(): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await admin.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    found.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

async function writeEach(namespaces: readonly string[]): Promise<Map<string, number>> {
  const commits = new Map<string, number>();
  for (const namespace of namespaces) {
    const tx = await client.beginTransaction({ namespace });
    await tx.write({ agentId: 'agent', key: 'step:1', value: { namespace } });
    await tx.write({ agentId: 'agent', key: 'step:2', value: { namespace, n: 2 } });
    await tx.write({ agentId: 'agent', key: 'other', value: { namespace, n: 3 } });
    commits.set(namespace, await tx.commit());
  }
  return commits;
}

describe('a namespace of any valid name', () => {
  it('writes, commits, reads, lists, scans and replays, each namespace seeing only its own', async () => {
    await writeEach(NAMESPACES);
    for (const namespace of NAMESPACES) {
      await client.transaction(
        async (tx) => {
          await tx.delete({ agentId: 'agent', key: 'other' });
          await tx.write({ agentId: 'agent', key: 'step:1', value: { namespace, n: 11 } });
        },
        { namespace },
      );
    }
    for (const namespace of NAMESPACES) {
      const read = await client.getState({ namespace, agentId: 'agent', key: 'step:1' });
      expect(read).toEqual({ exists: true, value: { namespace, n: 11 }, version: 2, commitTs: 2 });
      expect(
        await client.getStateAtVersion({ namespace, agentId: 'agent', key: 'step:1', version: 1 }),
      ).toMatchObject({ exists: true, value: { namespace } });
      expect((await client.listKeys({ namespace, agentId: 'agent' })).keys).toEqual([
        'step:1',
        'step:2',
      ]);
      const scan = await client.scanPrefix({ namespace, agentId: 'agent', prefix: 'step:' });
      expect(scan.entries.map((entry) => [entry.key, entry.value])).toEqual([
        ['step:1', { namespace, n: 11 }],
        ['step:2', { namespace, n: 2 }],
      ]);
      const events = await collect(client.replay({ namespace, agentId: 'agent' }));
      expect(events.map((event) => event.commitTs)).toEqual([1, 2]);
      for (const event of events) {
        expect(event.txId.startsWith(`${namespace}~`)).toBe(true);
        expect((await client.describeTransaction(event.txId)).namespace).toBe(namespace);
      }
      expect(events[1]!.operations).toEqual([
        { key: 'other', value: null, version: 2 },
        { key: 'step:1', value: { namespace, n: 11 }, version: 2 },
      ]);
    }
  });

  it('puts each namespace under its own hash tag, in one cluster slot, sharing no key', async () => {
    await writeEach(NAMESPACES);
    const open = await client.beginTransaction({ namespace: 'a{b' }); // a tx:<id> key too
    await open.write({ agentId: 'agent', key: 'k', value: {} });
    const byTag = new Map<string, string[]>();
    // Apart from every namespace: the registry of them all (listNamespaces), in a slot of its own.
    expect(await admin.zrange(`${prefix}:namespaces`, '0', '-1')).toEqual(
      [...NAMESPACES].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
    for (const key of await keysOfPrefix()) {
      if (key === `${prefix}:namespaces`) continue;
      const tag = /^[^{]*\{([^}]*)\}:/.exec(key)?.[1];
      expect(tag).toBeDefined();
      byTag.set(tag!, [...(byTag.get(tag!) ?? []), key]);
    }
    expect(new Set(byTag.keys())).toEqual(new Set(NAMESPACES.map(namespaceTag)));
    for (const namespace of NAMESPACES) {
      const keys = byTag.get(namespaceTag(namespace))!;
      expect(new Set(keys.map((key) => calculateSlot(key)))).toEqual(
        new Set([calculateSlot(`{${namespaceTag(namespace)}}`)]),
      );
      expect(keys.length).toBeGreaterThanOrEqual(4); // clock, log, state, index
    }
    expect(
      byTag.get(namespaceTag('a{b'))!.some((key) => key.includes(`:tx:${open.id.slice(-36)}`)),
    ).toBe(true);
    await open.abort();
  });

  it('keeps the Redis key names of the namespaces valid before (existing data keeps working)', async () => {
    await writeEach(['default', 'my-ns.v1']);
    const keys = new Set(await keysOfPrefix());
    for (const kind of ['clock', 'log', 'state', 'index']) {
      expect(keys).toContain(`${prefix}:{default}:${kind}`);
      expect(keys).toContain(`${prefix}:{my-ns.v1}:${kind}`);
    }
    // Data written under the old key names is read back (as after an upgrade).
    await admin.hset(`${prefix}:{my-ns.v1}:state`, 'agent\u0000written-before', '1 1 {"old":true}');
    expect(
      await client.getState({ namespace: 'my-ns.v1', agentId: 'agent', key: 'written-before' }),
    ).toMatchObject({ exists: true, value: { old: true } });
  });

  it('follows live commits of a namespace with ":" and "~" in its name', async () => {
    const namespace = 'team:alpha~1';
    const followed = collect(
      client.replay({ namespace, agentId: 'agent', follow: true, endTs: 3 }),
    );
    await writeEach([namespace, namespace, namespace]);
    expect((await followed).map((event) => event.commitTs)).toEqual([1, 2, 3]);
  });

  it.each(['team:alpha', 'a~b', '日本語 🦜'])(
    'times out a transaction of namespace %p on the server side',
    async (namespace) => {
      const tx = await client.beginTransaction({ namespace, timeoutMs: 20 });
      // The sweep of the namespace ran (its BullMQ job id holds the tag, not the name): the
      // transaction is timed out and out of the namespace's deadline index.
      const deadlines = `${prefix}:{${namespaceTag(namespace)}}:deadlines`;
      await eventually(
        async () =>
          (await client.describeTransaction(tx.id)).state === 'timedOut' &&
          (await admin.zcard(deadlines)) === 0,
        5000,
      );
    },
  );

  it('finds a buffered transaction of a namespace holding "~" by its id', async () => {
    const namespace = 'a~b';
    const tx = await client.beginTransaction({ namespace, buffered: true });
    await tx.write({ agentId: 'agent', key: 'k', value: { v: 1 } });
    const commitTs = await tx.commit();
    expect(await client.describeTransaction(tx.id)).toMatchObject({
      id: tx.id,
      namespace,
      state: 'committed',
      commitTs,
    });
    const again = await client.resumeTransaction(tx.id);
    expect(again.state).toBe('committed');
  });

  it('continues a transaction by its id in another client', async () => {
    const other = await connectClient({ keyPrefix: prefix, queuePrefix: `{${prefix}-timeouts}` });
    const tx = await client.beginTransaction({ namespace: 'prod/eu ~ 100%' });
    await tx.write({ agentId: 'agent', key: 'a', value: { v: 1 } });
    const resumed = await other.resumeTransaction(tx.id);
    expect(resumed.namespace).toBe('prod/eu ~ 100%');
    await resumed.write({ agentId: 'agent', key: 'b', value: { v: 2 } });
    await resumed.commit();
    expect((await other.listKeys({ namespace: 'prod/eu ~ 100%', agentId: 'agent' })).keys).toEqual([
      'a',
      'b',
    ]);
  });
});

describe('an invalid namespace', () => {
  it.each<[string, string, RegExp]>([
    ['empty', '', /must not be empty/],
    ['with a control character', 'team\u0000alpha', /must not contain control characters/],
    ['with a newline', 'team\nalpha', /must not contain control characters/],
    ['of 257 UTF-8 bytes', 'é'.repeat(128) + 'x', /at most 256 UTF-8 bytes \(got 257\)/],
    ['with a lone surrogate', 'team\ud83d', /well-formed Unicode/],
  ])('is refused (%s) by every call, naming the rule', async (_label, namespace, rule) => {
    const calls: Array<() => Promise<unknown>> = [
      () => client.beginTransaction({ namespace }),
      () => client.getState({ namespace, agentId: 'a', key: 'k' }),
      () => client.listKeys({ namespace, agentId: 'a' }),
      () => client.scanPrefix({ namespace, agentId: 'a', prefix: '' }),
      async () => collect(client.replay({ namespace, agentId: 'a' })),
      () => Statehouse.connect({ redis: redisUrl(), namespace }),
    ];
    for (const call of calls) {
      const error = await call().then(
        () => null,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'namespace' });
      expect((error as Error).message).toMatch(rule);
    }
    expect(await keysOfPrefix()).toEqual([]);
  });
});
