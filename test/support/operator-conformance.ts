// The operator API (listings of namespaces and agents, dump and restore) checked the same way
// against every client that claims StatehouseApi: the embedded Statehouse (also on a Redis
// Cluster) and the network StatehouseClient through a real server. Called next to
// describeConformance.
import { randomBytes } from 'node:crypto';
import {
  NamespaceNotEmptyError,
  SnapshotFormatError,
  Statehouse,
  ValidationError,
  type AgentInfo,
  type ReplayEvent,
  type StateEntry,
  type StatehouseApi,
  type TransactionApi,
} from '@statehouse/core';
import type { ConformanceTarget } from './conformance';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** Every agent of a namespace, a page of `limit` at a time. */
export async function allAgents(
  client: StatehouseApi,
  namespace: string,
  limit = 2,
  prefix?: string,
): Promise<AgentInfo[]> {
  const agents: AgentInfo[] = [];
  let cursor: string | null = null;
  do {
    const page: { agents: AgentInfo[]; cursor: string | null } = await client.listAgents({
      namespace,
      limit,
      ...(prefix === undefined ? {} : { prefix }),
      ...(cursor ? { cursor } : {}),
    });
    expect(page.agents.length).toBeLessThanOrEqual(limit);
    agents.push(...page.agents);
    cursor = page.cursor;
  } while (cursor);
  return agents;
}

/** Every live record of every agent (as of `atTs`, if given): what a restore must reproduce. */
export async function everyRecord(
  client: StatehouseApi,
  namespace: string,
  atTs?: number,
): Promise<Array<StateEntry & { agentId: string }>> {
  const records: Array<StateEntry & { agentId: string }> = [];
  for (const { agentId } of await allAgents(client, namespace, 1000)) {
    let cursor: string | null = null;
    do {
      const page: { entries: StateEntry[]; cursor: string | null } = await client.scanPrefix({
        namespace,
        agentId,
        prefix: '',
        limit: 1000,
        ...(atTs === undefined ? {} : { atTs }),
        ...(cursor ? { cursor } : {}),
      });
      records.push(...page.entries.map((entry) => ({ agentId, ...entry })));
      cursor = page.cursor;
    } while (cursor);
  }
  return records;
}

/** Each agent's whole replay. */
async function replays(
  client: StatehouseApi,
  namespace: string,
): Promise<Record<string, ReplayEvent[]>> {
  const out: Record<string, ReplayEvent[]> = {};
  for (const { agentId } of await allAgents(client, namespace, 1000)) {
    out[agentId] = await collect(client.replay({ namespace, agentId }));
  }
  return out;
}

/** Runs `fn` in a transaction of `namespace` and commits it: its commitTs. */
async function commitIn(
  client: StatehouseApi,
  namespace: string,
  fn: (tx: TransactionApi) => Promise<unknown>,
  buffered = false,
): Promise<number> {
  const tx = await client.beginTransaction({ namespace, buffered });
  await fn(tx);
  return tx.commit();
}

const byteOrder = (a: string, b: string): number =>
  Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** A namespace with history: versions, deletes, an emptied agent, odd names, an empty commit. */
async function fill(client: StatehouseApi, namespace: string): Promise<void> {
  const put = (agentId: string, key: string, value: object): Promise<void> =>
    client.transaction(async (tx) => tx.write({ agentId, key, value }), { namespace });
  await put('agent-b', 'memory', { fact: 'one', n: 1 });
  await put('agent-b', 'memory', { fact: 'two', n: 2, nested: { list: [1, 'x', null] } });
  await client.transaction(
    async (tx) => {
      await tx.write({ agentId: 'agent-a', key: 'step:1', value: { ok: true } });
      await tx.write({ agentId: 'agent-a', key: 'tool/search', value: { q: 'ü 日本語 🦜' } });
      await tx.write({ agentId: 'Zed', key: 'k', value: { big: 9007199254740991 } });
    },
    { namespace },
  );
  await put('emptied', 'gone', { soon: 'deleted' });
  await client.transaction(async (tx) => tx.delete({ agentId: 'emptied', key: 'gone' }), {
    namespace,
  });
  await client.transaction(() => Promise.resolve(), { namespace }); // an empty commit
  await put('ü-agent', 'é', { unicode: 'ok' });
  await client.transaction(async (tx) => tx.delete({ agentId: 'agent-a', key: 'step:1' }), {
    namespace,
  });
  await put('agent-a', 'step:1', { back: 1 });
}

export function describeOperatorConformance(name: string, target: ConformanceTarget): void {
  describe(`operator API conformance: ${name}`, () => {
    let client: StatehouseApi;
    let ns: string;

    beforeEach(async () => {
      ns = `op-${randomBytes(6).toString('hex')}`;
      client = await target.connect(ns);
    });

    afterEach(async () => {
      await client.close();
    });

    it('lists agents in byte order, paginated, with live key counts and last commits', async () => {
      await fill(client, ns);
      const agents = await allAgents(client, ns, 2);
      expect(agents.map((a) => a.agentId)).toEqual(
        ['agent-a', 'agent-b', 'emptied', 'Zed', 'ü-agent'].sort(byteOrder),
      );
      const of = (id: string): AgentInfo => agents.find((a) => a.agentId === id)!;
      expect(of('agent-a')).toEqual({ agentId: 'agent-a', keyCount: 2, lastCommitTs: 9 });
      expect(of('agent-b')).toEqual({ agentId: 'agent-b', keyCount: 1, lastCommitTs: 2 });
      // Every key deleted: still an agent (its history replays), with no live key.
      expect(of('emptied')).toEqual({ agentId: 'emptied', keyCount: 0, lastCommitTs: 5 });
      expect(await allAgents(client, ns, 1000, 'agent-')).toEqual([of('agent-a'), of('agent-b')]);
      expect(await allAgents(client, ns, 1000, 'nobody')).toEqual([]);
      expect((await client.listAgents()).agents).toEqual(agents); // the default namespace
      await expect(client.listAgents({ namespace: ns, cursor: 'garbage!' })).rejects.toThrow(
        ValidationError,
      );
      await expect(client.listAgents({ namespace: ns, limit: 0 })).rejects.toThrow(ValidationError);
    });

    it('lists namespaces in byte order with their agent count and last commit', async () => {
      const second = `${ns}-b`;
      await fill(client, ns);
      await client.transaction(async (tx) => tx.write({ agentId: 'x', key: 'k', value: {} }), {
        namespace: second,
      });
      const { namespaces } = await client.listNamespaces();
      const names = namespaces.map((info) => info.namespace);
      expect([...names].sort(byteOrder)).toEqual(names);
      expect(namespaces.find((info) => info.namespace === ns)).toEqual({
        namespace: ns,
        agentCount: 5,
        lastCommitTs: 9,
      });
      expect(namespaces.find((info) => info.namespace === second)).toEqual({
        namespace: second,
        agentCount: 1,
        lastCommitTs: 1,
      });
      // A namespace only read from is not one.
      await client.getState({ namespace: `${ns}-read`, agentId: 'a', key: 'k' });
      const again = await client.listNamespaces();
      expect(again.namespaces.map((info) => info.namespace)).not.toContain(`${ns}-read`);
    });

    it('keeps the listings exact under concurrent commits', async () => {
      const writers = 8;
      const rounds = 6;
      const last = new Map<string, number>();
      const live = new Map<string, Set<string>>();
      const observed: AgentInfo[][] = [];
      let running = true;
      const watcher = (async () => {
        while (running) observed.push(await allAgents(client, ns, 3));
      })();
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let r = 0; r < rounds; r++) {
            // Two agents per commit: one of its own, one shared by every writer.
            const agentId = `w${w}`;
            const commitTs = await commitIn(client, ns, async (tx) => {
              await tx.write({ agentId, key: `k${r}`, value: { r } });
              if (r % 3 === 2) await tx.delete({ agentId, key: `k${r - 1}` });
              await tx.write({ agentId: 'shared', key: `w${w}`, value: { r } });
            });
            for (const id of [agentId, 'shared']) {
              last.set(id, Math.max(last.get(id) ?? 0, commitTs));
            }
            const keys = live.get(agentId) ?? new Set<string>();
            keys.add(`k${r}`);
            if (r % 3 === 2) keys.delete(`k${r - 1}`);
            live.set(agentId, keys);
          }
        }),
      );
      running = false;
      await watcher;
      const final = await allAgents(client, ns, 3);
      expect(final).toHaveLength(writers + 1);
      for (const agent of final) {
        const keys = agent.agentId === 'shared' ? writers : live.get(agent.agentId)!.size;
        expect(agent).toEqual({
          agentId: agent.agentId,
          keyCount: keys,
          lastCommitTs: last.get(agent.agentId),
        });
        expect(
          (await client.listKeys({ namespace: ns, agentId: agent.agentId })).keys,
        ).toHaveLength(keys);
      }
      // Seen while the commits ran: each agent as of one snapshot. No commit touched it between
      // its last commit and the snapshot, so its key count is its live keys as of that commit.
      expect(observed.length).toBeGreaterThan(0);
      for (const seen of observed.slice(-12)) {
        for (const agent of seen) {
          const asOf = await client.listKeys({
            namespace: ns,
            agentId: agent.agentId,
            atTs: agent.lastCommitTs,
          });
          expect({ agentId: agent.agentId, keyCount: asOf.keys.length }).toEqual({
            agentId: agent.agentId,
            keyCount: agent.keyCount,
          });
        }
      }
      const info = (await client.listNamespaces()).namespaces.find((n) => n.namespace === ns);
      expect(info).toEqual({
        namespace: ns,
        agentCount: writers + 1,
        lastCommitTs: writers * rounds,
      });
    });

    it('dumps and restores every record, version, value and commitTs', async () => {
      await fill(client, ns);
      const lines = await collect(client.exportSnapshot({ namespace: ns }));
      const header = JSON.parse(lines[0]!) as Record<string, unknown>;
      expect(header).toMatchObject({
        format: 'statehouse-snapshot',
        formatVersion: 1,
        namespace: ns,
        atTs: 9,
        history: false,
        agentPrefix: null,
      });
      expect(JSON.parse(lines[lines.length - 1]!)).toEqual({
        end: true,
        records: 5,
        commits: 0,
        versions: 5,
      });
      const target = `${ns}-restored`;
      const progress: number[] = [];
      const summary = await client.importSnapshot(lines, {
        namespace: target,
        onProgress: (p) => progress.push(p.lines),
      });
      expect(progress.at(-1)).toBe(lines.length); // the progress reaches the last line
      expect(summary).toEqual({ namespace: target, records: 5, versions: 5, commits: 0, atTs: 9 });
      expect(await everyRecord(client, target)).toEqual(await everyRecord(client, ns));
      expect(await client.lastCommitTs(target)).toBe(9);
      const agents = await allAgents(client, target, 1000);
      // The emptied agent has no live record as of atTs: a snapshot without history has no trace.
      expect(agents).toEqual(
        (await allAgents(client, ns, 1000)).filter((agent) => agent.keyCount > 0),
      );
      // The same snapshot again: nothing to do. Another one: the namespace is not empty.
      expect(await client.importSnapshot(lines, { namespace: target })).toEqual(summary);
      const other = await collect(client.exportSnapshot({ namespace: ns, agentPrefix: 'agent-' }));
      await expect(client.importSnapshot(other, { namespace: target })).rejects.toThrow(
        NamespaceNotEmptyError,
      );
      // Writes made after the restore are new commits, after the restored ones.
      const commitTs = await commitIn(client, target, (tx) =>
        tx.write({ agentId: 'agent-b', key: 'memory', value: { after: 1 } }),
      );
      expect(commitTs).toBe(10);
      expect(
        await client.getState({ namespace: target, agentId: 'agent-b', key: 'memory' }),
      ).toEqual({ exists: true, value: { after: 1 }, version: 3, commitTs: 10 });
    });

    it('restores a dump with history: versions, commitTs and each agent’s replay identical', async () => {
      await fill(client, ns);
      const lines = await collect(client.exportSnapshot({ namespace: ns, history: true }));
      expect(JSON.parse(lines[0]!)).toMatchObject({ history: true, atTs: 9 });
      expect(lines).toHaveLength(2 + 9); // header, every commit (the empty one too), trailer
      const target = `${ns}-h`;
      const summary = await client.importSnapshot(lines, { namespace: target });
      expect(summary).toEqual({ namespace: target, records: 5, versions: 10, commits: 9, atTs: 9 });
      expect(await everyRecord(client, target)).toEqual(await everyRecord(client, ns));
      expect(await replays(client, target)).toEqual(await replays(client, ns));
      expect(await allAgents(client, target)).toEqual(await allAgents(client, ns));
      expect(
        await client.getStateAtVersion({
          namespace: target,
          agentId: 'agent-b',
          key: 'memory',
          version: 1,
        }),
      ).toEqual({ exists: true, value: { fact: 'one', n: 1 }, version: 1, commitTs: 1 });
      expect(await client.getState({ namespace: target, agentId: 'emptied', key: 'gone' })).toEqual(
        { exists: false, value: null, version: 2, commitTs: 5 },
      );
    });

    it('restores a dump with history of a compacted namespace: same versions, horizon and refusals', async () => {
      await fill(client, ns);
      for (let n = 3; n <= 6; n++) {
        await commitIn(client, ns, (tx) =>
          tx.write({ agentId: 'agent-b', key: 'memory', value: { n } }),
        );
      }
      await client.setRetention({ namespace: ns, maxVersionsPerKey: 2 });
      const { compactedTs } = await client.compact({ namespace: ns });
      expect(compactedTs).toBeGreaterThan(1);
      const lines = await collect(client.exportSnapshot({ namespace: ns, history: true }));
      const header = JSON.parse(lines[0]!) as { atTs: number; compactedTs?: number };
      expect(header.compactedTs).toBe(compactedTs);
      expect(JSON.parse(lines.at(-1)!)).toMatchObject({ end: true, compactedTs });
      const target = `${ns}-hc`;
      await client.importSnapshot(lines, { namespace: target });
      expect((await client.getRetention({ namespace: target })).compactedTs).toBe(compactedTs);

      // What a read answers: the record, or the error's code and horizon.
      const outcome = (read: Promise<unknown>): Promise<unknown> =>
        read.then(
          (value) => value,
          (error: { code?: string; compactedTs?: number }) => ({
            code: error.code,
            compactedTs: error.compactedTs,
          }),
        );
      const records = [
        ['agent-b', 'memory'],
        ['agent-a', 'step:1'],
        ['agent-a', 'tool/search'],
        ['Zed', 'k'],
        ['emptied', 'gone'],
        ['ü-agent', 'é'],
      ] as const;
      for (const [agentId, key] of records) {
        const { version: latest } = await client.getState({ namespace: ns, agentId, key });
        for (let version = 1; version <= latest + 1; version++) {
          const at = (namespace: string) =>
            outcome(client.getStateAtVersion({ namespace, agentId, key, version }));
          expect([agentId, key, version, await at(target)]).toEqual([
            agentId,
            key,
            version,
            await at(ns),
          ]);
        }
        for (let atTs = 0; atTs <= header.atTs; atTs++) {
          const asOf = (namespace: string) =>
            outcome(client.getState({ namespace, agentId, key, atTs }));
          expect([agentId, key, atTs, await asOf(target)]).toEqual([
            agentId,
            key,
            atTs,
            await asOf(ns),
          ]);
        }
      }
      expect(await everyRecord(client, target)).toEqual(await everyRecord(client, ns));
      for (const { agentId } of await allAgents(client, ns, 1000)) {
        const fromHorizon = (namespace: string) =>
          collect(client.replay({ namespace, agentId, fromHorizon: true }));
        expect(await fromHorizon(target)).toEqual(await fromHorizon(ns));
        const whole = (namespace: string) =>
          outcome(collect(client.replay({ namespace, agentId })));
        expect(await whole(target)).toEqual({ code: 'VERSION_COMPACTED', compactedTs });
        expect(await whole(ns)).toEqual({ code: 'VERSION_COMPACTED', compactedTs });
      }
    });

    it('dumps as of an earlier commitTs, and only the agents of a prefix', async () => {
      await fill(client, ns);
      const lines = await collect(
        client.exportSnapshot({ namespace: ns, atTs: 3, agentPrefix: 'agent-' }),
      );
      const records = lines.slice(1, -1).map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(records).toEqual([
        { agentId: 'agent-a', key: 'step:1', version: 1, commitTs: 3, value: { ok: true } },
        {
          agentId: 'agent-a',
          key: 'tool/search',
          version: 1,
          commitTs: 3,
          value: { q: 'ü 日本語 🦜' },
        },
        {
          agentId: 'agent-b',
          key: 'memory',
          version: 2,
          commitTs: 2,
          value: { fact: 'two', n: 2, nested: { list: [1, 'x', null] } },
        },
      ]);
      await expect(collect(client.exportSnapshot({ namespace: ns, atTs: 99 }))).rejects.toThrow(
        ValidationError,
      );
    });

    it('refuses a truncated or corrupt dump with the line, and completes when run again', async () => {
      await fill(client, ns);
      const lines = await collect(client.exportSnapshot({ namespace: ns, history: true }));
      const target = `${ns}-t`;
      const truncated = client.importSnapshot(lines.slice(0, 5), { namespace: target });
      await expect(truncated).rejects.toThrow(SnapshotFormatError);
      await expect(truncated).rejects.toThrow(/line 6: .*truncated/);
      const corrupt = [...lines];
      corrupt[3] = corrupt[3]!.slice(0, 20);
      await expect(client.importSnapshot(corrupt, { namespace: `${ns}-c` })).rejects.toThrow(
        /Invalid snapshot at line 4: not JSON/,
      );
      await expect(
        client.importSnapshot(['{"hello":"world"}'], { namespace: `${ns}-x` }),
      ).rejects.toThrow(/line 1: not a Statehouse snapshot/);
      const badName = [...lines];
      badName[2] = badName[2]!.replace('"agentId":"agent-b"', '"agentId":"bad\\u0000name"');
      await expect(client.importSnapshot(badName, { namespace: `${ns}-n` })).rejects.toThrow(
        /Invalid snapshot at line 3: .*agentId/,
      );
      const notObject = [...lines];
      notObject[2] = notObject[2]!.replace(/"value":\{.*?\}\}/, '"value":[1,2]}');
      await expect(client.importSnapshot(notObject, { namespace: `${ns}-o` })).rejects.toThrow(
        /Invalid snapshot at line 3: /,
      );
      // The interrupted import resumes: the whole file completes it, exactly.
      await client.importSnapshot(lines, { namespace: target });
      expect(await replays(client, target)).toEqual(await replays(client, ns));
      expect(await everyRecord(client, target)).toEqual(await everyRecord(client, ns));
    });

    it('resumes an import interrupted part-way: run again, the result is exact', async () => {
      // Enough commits for several batches of the import, and pages of the export's log reads.
      const COMMITS = 70;
      for (let i = 0; i < COMMITS; i++) {
        await commitIn(
          client,
          ns,
          async (tx) => {
            for (let j = 0; j < 40; j++) {
              await tx.write({ agentId: `agent-${j % 7}`, key: `k${j}`, value: { i, j } });
            }
            if (i % 4 === 3) await tx.delete({ agentId: 'agent-1', key: 'k1' });
          },
          true,
        );
      }
      for (const history of [true, false]) {
        const lines = await collect(client.exportSnapshot({ namespace: ns, history }));
        const target = `${ns}-${history ? 'h' : 'r'}`;
        function* crashing(): Generator<string> {
          for (const [i, line] of lines.entries()) {
            if (i === 25) throw new Error('the process died');
            yield line;
          }
        }
        await expect(client.importSnapshot(crashing(), { namespace: target })).rejects.toThrow(
          'the process died',
        );
        // Part of it is there (with history, whole batches of commits); another snapshot may
        // not go in now. (A network client's last chunks may not have reached the server before
        // the process died: checked on the embedded client, where nothing is in flight.)
        const reached = await client.lastCommitTs(target);
        expect(reached).toBeLessThan(COMMITS);
        if (client instanceof Statehouse) {
          if (history) expect(reached).toBeGreaterThan(0);
          const other = await collect(
            client.exportSnapshot({ namespace: ns, agentPrefix: 'agent-1' }),
          );
          await expect(client.importSnapshot(other, { namespace: target })).rejects.toThrow(
            NamespaceNotEmptyError,
          );
        }
        const summary = await client.importSnapshot(lines, { namespace: target });
        expect(summary).toMatchObject({ namespace: target, atTs: COMMITS });
        expect(await everyRecord(client, target)).toEqual(await everyRecord(client, ns));
        expect(await client.lastCommitTs(target)).toBe(COMMITS);
        if (history) expect(await replays(client, target)).toEqual(await replays(client, ns));
      }
    });

    it('dumps one commitTs while commits go on', async () => {
      await fill(client, ns);
      let running = true;
      const writer = (async () => {
        for (let i = 0; running; i++) {
          await commitIn(client, ns, async (tx) => {
            await tx.write({ agentId: 'agent-b', key: 'memory', value: { during: i } });
            await tx.write({ agentId: `new-${i % 5}`, key: `k${i}`, value: { i } });
          });
        }
      })();
      const lines = await collect(client.exportSnapshot({ namespace: ns }));
      running = false;
      await writer;
      const { atTs } = JSON.parse(lines[0]!) as { atTs: number };
      for (const line of lines.slice(1, -1)) {
        const record = JSON.parse(line) as { agentId: string; key: string; value: object };
        const then = await client.getState({
          namespace: ns,
          agentId: record.agentId,
          key: record.key,
          atTs,
        });
        expect({ ...record, value: then.value }).toEqual(record);
      }
      const count = (await everyRecord(client, ns, atTs)).length;
      expect(lines).toHaveLength(count + 2);
    });

    it('merges a dump into a namespace that holds data, as new commits', async () => {
      await fill(client, ns);
      const lines = await collect(client.exportSnapshot({ namespace: ns, agentPrefix: 'agent-b' }));
      const target = `${ns}-m`;
      await client.transaction(
        async (tx) => {
          await tx.write({ agentId: 'agent-b', key: 'memory', value: { mine: true } });
          await tx.write({ agentId: 'local', key: 'k', value: { stays: true } });
        },
        { namespace: target },
      );
      await expect(client.importSnapshot(lines, { namespace: target })).rejects.toThrow(
        NamespaceNotEmptyError,
      );
      const summary = await client.importSnapshot(lines, { namespace: target, mode: 'merge' });
      expect(summary).toMatchObject({ namespace: target, records: 2, commits: 1, versions: 1 });
      expect(
        await client.getState({ namespace: target, agentId: 'agent-b', key: 'memory' }),
      ).toEqual({
        exists: true,
        value: { fact: 'two', n: 2, nested: { list: [1, 'x', null] } },
        version: 2,
        commitTs: 2,
      });
      // Run again (a retry after a crash): nothing applies twice.
      await client.importSnapshot(lines, { namespace: target, mode: 'merge' });
      expect(await client.lastCommitTs(target)).toBe(2);
      expect(
        (await client.getState({ namespace: target, agentId: 'local', key: 'k' })).exists,
      ).toBe(true);
    });
  });
}
