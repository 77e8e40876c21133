import { randomBytes } from 'node:crypto';
import {
  ValidationError,
  VersionCompactedError,
  VersionNotFoundError,
  type Statehouse,
} from '@statehouse/core';
import {
  closeClients,
  collect,
  connectClient,
  eventually,
  sleep,
  uniqueNamespace,
} from './support/statehouse';

// Retention policies and compaction (issue 16): what goes, what stays, the horizon, and the
// errors below it.

let client: Statehouse;

/**
 * A client with no worker whose namespace's compaction jobs go to a queue of its own. Setting a
 * policy schedules the namespace's compaction with its first run at once, taken by any worker on
 * the same queue (other test files' processes share this Redis): these tests check what their
 * own compact() call removes, so no other process may compact their namespaces meanwhile.
 */
function isolatedClient(options: Parameters<typeof connectClient>[0] = {}): Promise<Statehouse> {
  return connectClient({
    timeoutWorker: false,
    queuePrefix: `{retention-test-${randomBytes(4).toString('hex')}}`,
    ...options,
  });
}

beforeAll(async () => {
  client = await isolatedClient();
});

afterAll(closeClients);

type Tx = Awaited<ReturnType<Statehouse['beginTransaction']>>;

/** Commits what `fn` stages in one buffered transaction of `on`; returns its commitTs. */
async function commit(on: Statehouse, fn: (tx: Tx) => Promise<unknown>): Promise<number> {
  const tx = await on.beginTransaction({ buffered: true });
  await fn(tx);
  return tx.commit();
}

async function writeVersions(
  agentId: string,
  key: string,
  count: number,
  on: Statehouse = client,
): Promise<number[]> {
  const stamps: number[] = [];
  for (let i = 1; i <= count; i++) {
    stamps.push(await commit(on, (tx) => tx.write({ agentId, key, value: { n: i } })));
  }
  return stamps;
}

describe('setRetention / getRetention', () => {
  it('keeps everything by default, and stores a namespace policy', async () => {
    const namespace = uniqueNamespace();
    expect(await client.getRetention({ namespace })).toEqual({
      namespace,
      policy: {},
      source: 'default',
      compactedTs: 0,
      removed: { versions: 0, logEntries: 0, deletedRecords: 0 },
    });
    const info = await client.setRetention({ namespace, maxVersionsPerKey: 3, maxAgeMs: 60_000 });
    expect(info).toMatchObject({
      policy: { maxVersionsPerKey: 3, maxAgeMs: 60_000 },
      source: 'namespace',
    });
    expect((await client.getRetention({ namespace })).policy).toEqual({
      maxVersionsPerKey: 3,
      maxAgeMs: 60_000,
    });
    // Replacing it drops the rules not given again.
    await client.setRetention({ namespace, deletedRecordTtlMs: 0 });
    expect((await client.getRetention({ namespace })).policy).toEqual({ deletedRecordTtlMs: 0 });
  });

  it.each([
    [{ maxVersionsPerKey: 0 }, 'maxVersionsPerKey'],
    [{ maxVersionsPerKey: 1.5 }, 'maxVersionsPerKey'],
    [{ maxAgeMs: -1 }, 'maxAgeMs'],
    [{ deletedRecordTtlMs: 'soon' }, 'deletedRecordTtlMs'],
  ])('refuses the bad rule %j with a ValidationError naming it', async (rule, field) => {
    const error = await client.setRetention({ ...(rule as object) }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain(field);
  });
});

describe('compact with maxVersionsPerKey', () => {
  it('keeps the last N versions of each record and refuses older ones with VERSION_COMPACTED', async () => {
    const namespace = client.namespace;
    await client.setRetention({ maxVersionsPerKey: 2 });
    const stamps = await writeVersions('a', 'k', 5);
    const rare = await writeVersions('a', 'rare', 1);

    const result = await client.compact();
    expect(result.removed.versions).toBe(3);
    expect(result.removed.logEntries).toBe(3);
    // The horizon is the commit of the oldest version kept of the record that lost versions.
    expect(result.compactedTs).toBe(stamps[3]);
    expect(result.namespace).toBe(namespace);

    // The latest and the one before stay readable, with their numbers unchanged.
    expect(await client.getStateAtVersion({ agentId: 'a', key: 'k', version: 5 })).toMatchObject({
      value: { n: 5 },
      version: 5,
    });
    expect(await client.getStateAtVersion({ agentId: 'a', key: 'k', version: 4 })).toMatchObject({
      value: { n: 4 },
    });
    const error = await client
      .getStateAtVersion({ agentId: 'a', key: 'k', version: 2 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionCompactedError);
    expect(error).toMatchObject({ code: 'VERSION_COMPACTED', compactedTs: stamps[3] });
    // A version that never was is still VERSION_NOT_FOUND.
    await expect(
      client.getStateAtVersion({ agentId: 'a', key: 'k', version: 6 }),
    ).rejects.toBeInstanceOf(VersionNotFoundError);
    // A record with few versions keeps them all, however old.
    expect(await client.getStateAtVersion({ agentId: 'a', key: 'rare', version: 1 })).toMatchObject(
      { value: { n: 1 }, commitTs: rare[0] },
    );
    expect((await client.getState({ agentId: 'a', key: 'k' })).value).toEqual({ n: 5 });

    // Reads as of a commitTs: below the horizon refused, at it answered.
    await expect(
      client.getState({ agentId: 'a', key: 'k', atTs: stamps[1]! }),
    ).rejects.toMatchObject({ code: 'VERSION_COMPACTED', compactedTs: stamps[3] });
    expect(await client.getState({ agentId: 'a', key: 'k', atTs: stamps[3]! })).toMatchObject({
      value: { n: 4 },
      version: 4,
    });

    // Read-only transactions and listings as of a commitTs below the horizon are refused too.
    const snapshot = await client.beginTransaction({ readOnly: true, readTs: stamps[0]! });
    await expect(snapshot.get({ agentId: 'a', key: 'k' })).rejects.toMatchObject({
      code: 'VERSION_COMPACTED',
    });
    await expect(client.listKeys({ agentId: 'a', atTs: stamps[2]! })).rejects.toBeInstanceOf(
      VersionCompactedError,
    );
    expect((await client.listKeys({ agentId: 'a', atTs: stamps[3]! })).keys).toEqual(['k']);

    // A second run finds nothing more to remove.
    expect((await client.compact()).removed).toEqual({
      versions: 0,
      logEntries: 0,
      deletedRecords: 0,
    });
    expect(await client.getRetention()).toMatchObject({
      compactedTs: stamps[3],
      removed: { versions: 3, logEntries: 3, deletedRecords: 0 },
    });
  });
});

describe('replay and the horizon', () => {
  it('refuses a replay starting below the horizon, and fromHorizon starts at it and says so', async () => {
    const other = await isolatedClient();
    await other.setRetention({ maxVersionsPerKey: 1 });
    const stamps = await writeVersions('r', 'k', 4, other);
    const { compactedTs } = await other.compact();
    expect(compactedTs).toBe(stamps[3]);

    const error = await collect(other.replay({ agentId: 'r' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionCompactedError);
    expect((error as Error).message).toContain('fromHorizon');

    const events = await collect(other.replay({ agentId: 'r', fromHorizon: true }));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ commitTs: stamps[3], horizon: stamps[3] });
    expect(events[0]!.operations).toEqual([{ key: 'k', value: { n: 4 }, version: 4 }]);
    // From the horizon on, no flag is needed, and no event says "horizon".
    const plain = await collect(other.replay({ agentId: 'r', startTs: compactedTs }));
    expect(plain).toEqual([
      {
        txId: events[0]!.txId,
        commitTs: stamps[3],
        operations: events[0]!.operations,
        time: events[0]!.time,
      },
    ]);
  });
});

describe('deletedRecordTtlMs', () => {
  it('removes a deleted record whole once its tombstone is older than the TTL', async () => {
    const c = await isolatedClient();
    await c.setRetention({ deletedRecordTtlMs: 300 });
    await commit(c, (tx) => tx.write({ agentId: 'd', key: 'gone', value: { v: 1 } }));
    await commit(c, (tx) => tx.write({ agentId: 'd', key: 'gone', value: { v: 2 } }));
    const deletedAt = await commit(c, (tx) => tx.delete({ agentId: 'd', key: 'gone' }));
    await commit(c, (tx) => tx.write({ agentId: 'd', key: 'kept', value: { v: 1 } }));
    // Too young yet: nothing goes.
    expect((await c.compact()).removed.deletedRecords).toBe(0);
    await sleep(600);
    await commit(c, (tx) => tx.write({ agentId: 'd', key: 'kept', value: { v: 2 } }));
    const result = await c.compact();
    expect(result.removed).toMatchObject({ deletedRecords: 1, versions: 3, logEntries: 3 });
    expect(result.compactedTs).toBe(deletedAt + 1);
    expect(await c.getState({ agentId: 'd', key: 'gone' })).toMatchObject({
      exists: false,
      version: 0,
    });
    // The live record is untouched, its history too (no version rule).
    expect(await c.getStateAtVersion({ agentId: 'd', key: 'kept', version: 1 })).toMatchObject({
      value: { v: 1 },
    });
    expect((await c.listKeys({ agentId: 'd' })).keys).toEqual(['kept']);
  });
});

describe('maxAgeMs', () => {
  it('removes a version once the version after it is older than maxAgeMs', async () => {
    const c = await isolatedClient();
    await c.setRetention({ maxAgeMs: 400 });
    const old = [];
    for (let i = 1; i <= 3; i++) {
      old.push(await commit(c, (tx) => tx.write({ agentId: 'g', key: 'k', value: { n: i } })));
    }
    expect((await c.compact()).removed.versions).toBe(0);
    await sleep(700);
    const fresh = await commit(c, (tx) => tx.write({ agentId: 'g', key: 'k', value: { n: 4 } }));
    const result = await c.compact();
    // Versions 1 and 2 were superseded more than 400 ms ago; version 3 was superseded just now.
    expect(result.removed.versions).toBe(2);
    expect(result.compactedTs).toBe(old[2]);
    expect(await c.getStateAtVersion({ agentId: 'g', key: 'k', version: 3 })).toMatchObject({
      value: { n: 3 },
    });
    expect(await c.getState({ agentId: 'g', key: 'k', atTs: old[2]! })).toMatchObject({
      value: { n: 3 },
    });
    expect(await c.getState({ agentId: 'g', key: 'k' })).toMatchObject({
      value: { n: 4 },
      commitTs: fresh,
    });
  });
});

describe('scheduled compaction (BullMQ job scheduler per namespace)', () => {
  it('compacts a namespace with a policy on schedule, on whichever process runs a worker', async () => {
    // This client sets the policy and has no worker; another process's worker runs the jobs.
    const setter = await connectClient({ timeoutWorker: false, compactionIntervalMs: 200 });
    const worker = await connectClient({ namespace: setter.namespace });
    await writeVersions('s', 'k', 4, setter);
    await setter.setRetention({ maxVersionsPerKey: 1 });
    await eventually(async () => (await worker.getRetention()).removed.versions === 3);
    expect((await setter.getRetention()).compactedTs).toBeGreaterThan(0);
    // Keep everything again: the schedule ends, and new history stays.
    await setter.setRetention({});
    await writeVersions('s', 'k2', 3, setter);
    await sleep(600);
    expect((await worker.getRetention()).removed.versions).toBe(3);
  });

  it('applies the default policy (the `retention` option) to every namespace a process uses', async () => {
    const c = await connectClient({
      retention: { maxVersionsPerKey: 2 },
      compactionIntervalMs: 200,
    });
    expect(await c.getRetention()).toMatchObject({
      policy: { maxVersionsPerKey: 2 },
      source: 'default',
    });
    await writeVersions('d', 'k', 5, c);
    await eventually(async () => (await c.getRetention()).removed.versions === 3);
    expect(await c.getStateAtVersion({ agentId: 'd', key: 'k', version: 4 })).toMatchObject({
      value: { n: 4 },
    });
    // A namespace's own policy wins over the default, also "keep everything".
    const own = uniqueNamespace();
    await c.setRetention({ namespace: own });
    expect(await c.getRetention({ namespace: own })).toMatchObject({
      policy: {},
      source: 'namespace',
    });
    expect((await c.compact({ namespace: own })).removed.versions).toBe(0);
  });
});

describe('a follower that falls behind the horizon', () => {
  it('gets VersionCompactedError, never a gap', async () => {
    // A queue of one event: a follower that does not read overflows and must catch up from the
    // history, which compaction removes meanwhile.
    const c = await isolatedClient({ replayPageSize: 1 });
    await c.setRetention({ maxVersionsPerKey: 1 });
    const first = await commit(c, (tx) => tx.write({ agentId: 'f', key: 'k', value: { n: 0 } }));
    const iterator = c
      .replay({ agentId: 'f', startTs: first, follow: true })
      [Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ commitTs: first });
    const second = iterator.next(); // waiting for the next commit
    for (let n = 1; n <= 5; n++) {
      await commit(c, (tx) => tx.write({ agentId: 'f', key: 'k', value: { n } }));
    }
    expect((await second).value).toMatchObject({ operations: [{ value: { n: 1 } }] });
    // Its queue overflowed while it did not read; now the history it needs goes.
    const { compactedTs } = await c.compact();
    expect(compactedTs).toBeGreaterThan(first + 2);
    const delivered: number[] = [];
    const error = await (async () => {
      for (;;) {
        const next = await iterator.next();
        if (next.done) return null;
        delivered.push(next.value.commitTs);
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionCompactedError);
    // What it got before the error has no gap: consecutive commits of the agent.
    for (let i = 1; i < delivered.length; i++) expect(delivered[i]).toBe(delivered[i - 1]! + 1);
  });
});

describe('dump and restore with history', () => {
  it('keep each commit’s time, so age rules measure restored history the same', async () => {
    const c = await connectClient({ timeoutWorker: false });
    await writeVersions('t', 'k', 3, c);
    const lines: string[] = [];
    for await (const line of c.exportSnapshot({ history: true })) lines.push(line);
    const commits = lines.slice(1, -1).map((line) => JSON.parse(line) as { time?: number });
    expect(commits).toHaveLength(3);
    for (const commit of commits) expect(commit.time).toEqual(expect.any(Number));
    const target = uniqueNamespace();
    await c.importSnapshot(lines, { namespace: target });
    const again: string[] = [];
    for await (const line of c.exportSnapshot({ namespace: target, history: true })) {
      again.push(line);
    }
    expect(again.slice(1)).toEqual(lines.slice(1)); // header aside (namespace, createdAt)
    // The latest version of a record restored without history reads by its number too.
    const flat: string[] = [];
    for await (const line of c.exportSnapshot({})) flat.push(line);
    const plain = uniqueNamespace();
    await c.importSnapshot(flat, { namespace: plain });
    expect(
      await c.getStateAtVersion({ namespace: plain, agentId: 't', key: 'k', version: 3 }),
    ).toMatchObject({ value: { n: 3 }, version: 3 });
    await expect(
      c.getStateAtVersion({ namespace: plain, agentId: 't', key: 'k', version: 2 }),
    ).rejects.toBeInstanceOf(VersionCompactedError);
  });
});
