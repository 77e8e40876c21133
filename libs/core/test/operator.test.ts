import { Readable } from 'node:stream';
import {
  NamespaceNotEmptyError,
  SnapshotFormatError,
  Statehouse,
  StorageUnavailableError,
  VersionCompactedError,
} from '@statehouse/core';
import { describeOperatorConformance } from '../../../test/support/operator-conformance';
import { collect, redisUrl, uniqueNamespace } from './support/statehouse';

// The operator API of the embedded Statehouse (the network client runs the same suite in
// test/e2e/client/conformance.test.ts, the engine on a Redis Cluster in cluster.test.ts).
describeOperatorConformance('embedded Statehouse', {
  connect: (namespace) => Statehouse.connect({ redis: redisUrl(), namespace }),
});

describe('a snapshot import', () => {
  let client: Statehouse;
  let ns: string;

  beforeEach(async () => {
    ns = uniqueNamespace('imp');
    client = await Statehouse.connect({ redis: redisUrl(), namespace: ns });
  });

  afterEach(() => client.close());

  it('refuses to resume into a namespace committed to while it was interrupted', async () => {
    for (let i = 0; i < 40; i++) {
      const tx = await client.beginTransaction({ buffered: true });
      for (let j = 0; j < 20; j++) await tx.write({ agentId: 'a', key: `k${j}`, value: { i } });
      await tx.commit();
    }
    const lines = await collect(client.exportSnapshot({ history: true }));
    const target = `${ns}-t`;
    function* crashing(): Generator<string> {
      yield* lines.slice(0, 35);
      throw new Error('the process died');
    }
    await expect(client.importSnapshot(crashing(), { namespace: target })).rejects.toThrow(
      'the process died',
    );
    const reached = await client.lastCommitTs(target);
    expect(reached).toBeGreaterThan(0);
    // Someone writes to the half-restored namespace: its commit takes the next commitTs, which
    // belongs to the snapshot's next commit. The import must not skip that commit silently.
    await client.transaction(async (tx) => tx.write({ agentId: 'x', key: 'k', value: {} }), {
      namespace: target,
    });
    const resumed = client.importSnapshot(lines, { namespace: target });
    await expect(resumed).rejects.toThrow(NamespaceNotEmptyError);
    await expect(resumed).rejects.toThrow('was committed to while the import was interrupted');
  });

  it('reads raw NDJSON chunks split anywhere, even inside a character', async () => {
    await client.transaction(async (tx) => {
      await tx.write({ agentId: 'ü-agent', key: '日本語', value: { emoji: '🦜', n: 1 } });
      await tx.write({ agentId: 'b', key: 'k', value: { s: 'line\nbreak' } });
    });
    const text = (await collect(client.exportSnapshot())).join('\n') + '\n';
    const bytes = Buffer.from(text, 'utf8');
    const pieces: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 7) pieces.push(bytes.subarray(i, i + 7));
    const chunks = (): Readable => Readable.from(pieces, { objectMode: false });
    const target = `${ns}-c`;
    expect(await client.importSnapshot(chunks(), { namespace: target })).toMatchObject({
      records: 2,
    });
    expect(await client.getState({ namespace: target, agentId: 'ü-agent', key: '日本語' })).toEqual(
      { exists: true, value: { emoji: '🦜', n: 1 }, version: 1, commitTs: 1 },
    );
    expect(await client.getState({ namespace: target, agentId: 'b', key: 'k' })).toMatchObject({
      value: { s: 'line\nbreak' },
    });
  });

  it('keeps appends after a restore from reusing a restored key', async () => {
    for (let i = 0; i < 3; i++) {
      await client.transaction(async (tx) =>
        tx.append({ agentId: 'a', prefix: 'step:', value: { i } }),
      );
    }
    const target = `${ns}-a`;
    await client.importSnapshot(client.exportSnapshot(), { namespace: target });
    const handle = await client.transaction(
      async (tx) => tx.append({ agentId: 'a', prefix: 'step:', value: { i: 3 } }),
      { namespace: target },
    );
    expect(handle.key).toBe('step:000000000004');
    expect((await client.listKeys({ namespace: target, agentId: 'a' })).keys).toHaveLength(4);
  });

  it('merges large values in batches that fit a transaction', async () => {
    const big = 'x'.repeat(900 * 1024);
    for (let i = 0; i < 20; i++) {
      await client.transaction(async (tx) =>
        tx.write({ agentId: 'a', key: `k${i}`, value: { big } }),
      );
    }
    const target = `${ns}-big`;
    await client.transaction(async (tx) => tx.write({ agentId: 'b', key: 'k', value: {} }), {
      namespace: target,
    });
    // 18 MiB of values: more than one transaction may hold (maxTransactionBytes, 16 MiB).
    const summary = await client.importSnapshot(client.exportSnapshot(), {
      namespace: target,
      mode: 'merge',
    });
    expect(summary.records).toBe(21);
    expect(summary.commits).toBeGreaterThan(1);
    const state = await client.getState({ namespace: target, agentId: 'a', key: 'k19' });
    expect(state.value).toEqual({ big });
  });

  it("with durability 'replicated', is reported only once replicas have it", async () => {
    await client.transaction(async (tx) => tx.write({ agentId: 'a', key: 'k', value: { v: 1 } }));
    const lines = await collect(client.exportSnapshot({ history: true }));
    // This Redis has no replica: WAIT never sees one acknowledge.
    const replicated = await Statehouse.connect({
      redis: redisUrl(),
      namespace: ns,
      durability: 'replicated',
      replication: { replicas: 1, timeoutMs: 200 },
      timeoutWorker: false,
    });
    try {
      const target = `${ns}-rep`;
      const refused = replicated.importSnapshot(lines, { namespace: target });
      await expect(refused).rejects.toThrow(StorageUnavailableError);
      await expect(refused).rejects.toThrow(/not enough replicas.*Run the same import again/);
      // On the primary it is complete; run again, it writes nothing and waits again.
      expect(await client.getState({ namespace: target, agentId: 'a', key: 'k' })).toMatchObject({
        value: { v: 1 },
      });
      await expect(replicated.importSnapshot(lines, { namespace: target })).rejects.toThrow(
        StorageUnavailableError,
      );
      expect(await client.importSnapshot(lines, { namespace: target })).toMatchObject({
        namespace: target,
        commits: 1,
      });
    } finally {
      await replicated.close();
    }
  });
});

describe('dumps of a compacted namespace', () => {
  let client: Statehouse;

  beforeEach(async () => {
    // A queue of its own: only this test's compact() calls compact its namespace.
    client = await Statehouse.connect({
      redis: redisUrl(),
      namespace: uniqueNamespace('cmp'),
      timeoutWorker: false,
      queuePrefix: `{${uniqueNamespace('cmp-queue')}}`,
    });
  });

  afterEach(() => client.close());

  const write = async (key: string, value: object): Promise<void> => {
    await client.transaction(async (tx) => tx.write({ agentId: 'a', key, value }));
  };

  it('refuses an export as of a commitTs below the horizon, with or without history', async () => {
    for (let n = 1; n <= 4; n++) await write('k', { n });
    await client.setRetention({ maxVersionsPerKey: 1 });
    const { compactedTs } = await client.compact();
    expect(compactedTs).toBe(4);
    for (const history of [false, true]) {
      const refused = collect(client.exportSnapshot({ history, atTs: 2 }));
      await expect(refused).rejects.toBeInstanceOf(VersionCompactedError);
      await expect(refused).rejects.toMatchObject({ compactedTs: 4 });
    }
    const lines = await collect(client.exportSnapshot({ history: true, atTs: 4 }));
    expect(JSON.parse(lines[0]!)).toMatchObject({ atTs: 4, compactedTs: 4 });
  });

  it('a compaction during a history export: the trailer carries its horizon, the restore is whole from there', async () => {
    // 200 commits over 10 keys; the export reads the log 64 commits a page.
    for (let i = 0; i < 200; i++) await write(`k${i % 10}`, { i });
    await client.setRetention({ maxVersionsPerKey: 3 });
    const iterator = client.exportSnapshot({ history: true })[Symbol.asyncIterator]();
    const lines: string[] = [];
    for (let i = 0; i < 2; i++) lines.push((await iterator.next()).value as string);
    expect(JSON.parse(lines[0]!)).not.toHaveProperty('compactedTs'); // nothing compacted yet
    // The first page is read; the rest is read after the compaction.
    const { compactedTs } = await client.compact();
    expect(compactedTs).toBe(180); // k9's oldest version kept: i = 179
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      lines.push(next.value);
    }
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ end: true, compactedTs });
    const commitLines = lines.length - 2;
    expect(commitLines).toBeGreaterThanOrEqual(64); // the first page, whole
    expect(commitLines).toBeLessThan(200); // later pages without what compaction removed

    const target = `${client.namespace}-during`;
    await client.importSnapshot(lines, { namespace: target });
    expect((await client.getRetention({ namespace: target })).compactedTs).toBe(compactedTs);
    for (let k = 0; k < 10; k++) {
      const key = `k${k}`;
      for (let atTs = compactedTs; atTs <= 200; atTs++) {
        expect(await client.getState({ namespace: target, agentId: 'a', key, atTs })).toEqual(
          await client.getState({ agentId: 'a', key, atTs }),
        );
      }
      await expect(
        client.getState({ namespace: target, agentId: 'a', key, atTs: compactedTs - 1 }),
      ).rejects.toBeInstanceOf(VersionCompactedError);
    }
    const fromHorizon = (namespace?: string) =>
      collect(
        client.replay({ ...(namespace ? { namespace } : {}), agentId: 'a', fromHorizon: true }),
      );
    expect(await fromHorizon(target)).toEqual(await fromHorizon());
  });

  it('refuses a dump whose versions of a record do not grow, or whose horizon is after its atTs', async () => {
    const header = {
      format: 'statehouse-snapshot',
      formatVersion: 1,
      namespace: 'source',
      atTs: 3,
      history: true,
      agentPrefix: null,
      createdAt: '2026-12-01T00:00:00.000Z',
    };
    const op = (key: string, version: number) => ({
      agentId: 'a',
      key,
      version,
      value: { version },
    });
    const dump = (commits: object[], head: object = header): string[] => [
      JSON.stringify(head),
      ...commits.map((commit) => JSON.stringify(commit)),
      JSON.stringify({
        end: true,
        records: 0,
        commits: commits.length,
        versions: commits.reduce((n, c) => n + (c as { ops: unknown[] }).ops.length, 0),
      }),
    ];
    const again = dump([
      { commitTs: 1, txId: 't1', ops: [op('k', 2)] },
      { commitTs: 2, txId: 't2', ops: [op('other', 1), op('k', 2)] },
    ]);
    const refused = client.importSnapshot(again, { namespace: `${client.namespace}-v` });
    await expect(refused).rejects.toBeInstanceOf(SnapshotFormatError);
    await expect(refused).rejects.toThrow(
      /line 3: version 2 of "a"\/"k" is not above its previous version \(2\)/,
    );
    const twice = dump([{ commitTs: 1, txId: 't1', ops: [op('k', 1), op('k', 3)] }]);
    await expect(
      client.importSnapshot(twice, { namespace: `${client.namespace}-w` }),
    ).rejects.toThrow(/line 2: version 3 of "a"\/"k" is not above its previous version \(1\)/);
    // A record whose first versions are not in the dump starts at the version given.
    const gap = dump([{ commitTs: 1, txId: 't1', ops: [op('k', 4)] }]);
    const target = `${client.namespace}-g`;
    await client.importSnapshot(gap, { namespace: target });
    expect(await client.getState({ namespace: target, agentId: 'a', key: 'k' })).toMatchObject({
      version: 4,
      value: { version: 4 },
    });
    await expect(
      client.getStateAtVersion({ namespace: target, agentId: 'a', key: 'k', version: 3 }),
    ).rejects.toBeInstanceOf(VersionCompactedError);
    const late = dump([], { ...header, compactedTs: 4 });
    await expect(
      client.importSnapshot(late, { namespace: `${client.namespace}-l` }),
    ).rejects.toThrow(
      /line 1: "compactedTs" of the header must be an integer from 0 to its "atTs"/,
    );
  });
});
