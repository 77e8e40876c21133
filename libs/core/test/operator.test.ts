import { Readable } from 'node:stream';
import { NamespaceNotEmptyError, Statehouse, StorageUnavailableError } from '@statehouse/core';
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
