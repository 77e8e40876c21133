import { VersionCompactedError, type ReplayEvent, type Statehouse } from '@statehouse/core';
import { closeClients, collect, connectClient, sleep } from './support/statehouse';

// Compaction running while commits, follow-mode replays and read-only transactions run (issue 16,
// item 4). Afterwards: the current state is untouched, versions were never renumbered, every replay
// from the horizon equals what was committed, and no reader saw a partial compaction (each read
// either returned exactly the committed value as of its snapshot, or VersionCompactedError).

const AGENTS = ['a0', 'a1', 'a2'];
const KEYS = ['k0', 'k1', 'k2', 'k3'];
const MAX_VERSIONS = 3;

interface Written {
  readonly agentId: string;
  readonly key: string;
  readonly value: { w: number; s: number };
  readonly commitTs: number;
  readonly txId: string;
}

let client: Statehouse;

beforeAll(async () => {
  client = await connectClient({ timeoutWorker: false });
  await client.setRetention({ maxVersionsPerKey: MAX_VERSIONS });
});

afterAll(closeClients);

it('keeps state, versions, replays and snapshots exact while compaction runs', async () => {
  const written: Written[] = [];
  const readerFailures: string[] = [];
  let compactedReads = 0;
  let stop = false;

  // The committed value of a record as of `ts`.
  const expectedAt = (agentId: string, key: string, ts: number) => {
    let best: Written | undefined;
    for (const w of written) {
      if (w.agentId === agentId && w.key === key && w.commitTs <= ts) {
        if (!best || w.commitTs > best.commitTs) best = w;
      }
    }
    return best;
  };

  const writer = async (w: number) => {
    for (let s = 0; !stop; s++) {
      const agentId = AGENTS[(w + s) % AGENTS.length]!;
      const key = KEYS[(s * 7 + w) % KEYS.length]!;
      const tx = await client.beginTransaction({ buffered: true });
      await tx.write({ agentId, key, value: { w, s } });
      const commitTs = await tx.commit();
      written.push({ agentId, key, value: { w, s }, commitTs, txId: tx.id });
    }
  };

  const compactor = async () => {
    let runs = 0;
    while (!stop) {
      await client.compact();
      runs += 1;
      await sleep(5);
    }
    return runs;
  };

  // Reads are judged at the end, once every acknowledged commit is known.
  const observed: Array<{ agentId: string; key: string; readTs: number; value: unknown }> = [];
  const reader = async () => {
    while (!stop) {
      await sleep(3);
      // Snapshots in the past, some of them below a horizon that moves meanwhile.
      const readTs = Math.max(1, (await client.lastCommitTs()) - Math.floor(Math.random() * 80));
      const tx = await client.beginTransaction({ readOnly: true, readTs });
      for (const agentId of AGENTS) {
        for (const key of KEYS) {
          try {
            const got = await tx.get({ agentId, key });
            observed.push({ agentId, key, readTs, value: got.value });
          } catch (error) {
            if (error instanceof VersionCompactedError) compactedReads += 1;
            else throw error;
          }
        }
      }
      await tx.abort();
    }
  };

  // A follower of a0 from the start of the run: it must see every a0 commit after it started.
  const followed: ReplayEvent[] = [];
  const abort = new AbortController();
  const followStart = (await client.lastCommitTs()) + 1;
  const follower = (async () => {
    try {
      for await (const event of client.replay({
        agentId: 'a0',
        startTs: followStart,
        follow: true,
        signal: abort.signal,
      })) {
        followed.push(event);
      }
    } catch (error) {
      if (!(error instanceof VersionCompactedError)) throw error;
      followed.push({ txId: 'FELL-BEHIND', commitTs: -1, operations: [] });
    }
  })();

  const work = Promise.all([writer(0), writer(1), writer(2), compactor(), reader(), reader()]);
  await sleep(2500);
  stop = true;
  const [, , , runs] = await work;
  const lastTs = await client.lastCommitTs();
  // Let the follower reach the last commit, then stop it.
  for (let i = 0; i < 200 && (followed.at(-1)?.commitTs ?? 0) < lastOf('a0'); i++) await sleep(10);
  abort.abort();
  await follower;

  function lastOf(agentId: string): number {
    return Math.max(0, ...written.filter((w) => w.agentId === agentId).map((w) => w.commitTs));
  }

  expect(runs).toBeGreaterThan(3);
  expect(written.length).toBeGreaterThan(50);
  for (const { agentId, key, readTs, value } of observed) {
    const want = expectedAt(agentId, key, readTs)?.value ?? null;
    if (JSON.stringify(value) !== JSON.stringify(want)) {
      readerFailures.push(
        `${agentId}/${key}@${readTs}: got ${JSON.stringify(value)}, want ${JSON.stringify(want)}`,
      );
    }
  }
  expect(readerFailures).toEqual([]);
  expect(observed.length).toBeGreaterThan(0);
  expect(compactedReads).toBeGreaterThan(0); // the horizon did pass some snapshots
  expect((await client.getRetention()).removed.versions).toBeGreaterThan(written.length / 2);
  const final = await client.compact(); // one more, with nothing running
  const { compactedTs } = final;
  expect(compactedTs).toBeGreaterThan(0);

  // Current state untouched, versions never renumbered: version i of a record is its i-th write.
  for (const agentId of AGENTS) {
    for (const key of KEYS) {
      const writes = written
        .filter((w) => w.agentId === agentId && w.key === key)
        .sort((x, y) => x.commitTs - y.commitTs);
      if (writes.length === 0) continue;
      const latest = await client.getState({ agentId, key });
      expect(latest).toMatchObject({
        value: writes.at(-1)!.value,
        version: writes.length,
        commitTs: writes.at(-1)!.commitTs,
      });
      for (let v = Math.max(1, writes.length - MAX_VERSIONS + 1); v <= writes.length; v++) {
        expect(await client.getStateAtVersion({ agentId, key, version: v })).toMatchObject({
          value: writes[v - 1]!.value,
          commitTs: writes[v - 1]!.commitTs,
        });
      }
      if (writes.length > MAX_VERSIONS) {
        await expect(client.getStateAtVersion({ agentId, key, version: 1 })).rejects.toBeInstanceOf(
          VersionCompactedError,
        );
      }
    }
  }

  // Every replay from the horizon equals what was committed from there on.
  for (const agentId of AGENTS) {
    const events = await collect(client.replay({ agentId, startTs: compactedTs }));
    const want = written
      .filter((w) => w.agentId === agentId && w.commitTs >= compactedTs)
      .sort((x, y) => x.commitTs - y.commitTs);
    expect(events.map((e) => [e.commitTs, e.txId, e.operations.map((o) => o.value)])).toEqual(
      want.map((w) => [w.commitTs, w.txId, [w.value]]),
    );
  }

  // The follower saw every a0 commit after it started, in order, with no gap (or was told it fell
  // behind the horizon: never a silent gap).
  if (followed.at(-1)?.txId !== 'FELL-BEHIND') {
    const want = written
      .filter((w) => w.agentId === 'a0' && w.commitTs >= followStart && w.commitTs <= lastTs)
      .sort((x, y) => x.commitTs - y.commitTs);
    expect(followed.map((e) => [e.commitTs, e.operations[0]!.value])).toEqual(
      want.map((w) => [w.commitTs, w.value]),
    );
  }
}, 60_000);
