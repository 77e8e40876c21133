import {
  Statehouse,
  ValidationError,
  VersionNotFoundError,
  type ReplayEvent,
} from '@statehouse/core';
import { closeClients, collect, connectClient, eventually } from './support/statehouse';

let client: Statehouse;

beforeEach(async () => {
  client = await connectClient({ replayPageSize: 4 });
});

afterAll(closeClients);

async function write(agentId: string, key: string, value: object): Promise<number> {
  return client.transaction(async (tx) => {
    await tx.write({ agentId, key, value });
    return tx.commit();
  });
}

async function remove(agentId: string, key: string): Promise<number> {
  return client.transaction(async (tx) => {
    await tx.delete({ agentId, key });
    return tx.commit();
  });
}

describe('getState and getStateAtVersion', () => {
  it('reports a never-written record as absent with version 0', async () => {
    expect(await client.getState({ agentId: 'a', key: 'missing' })).toEqual({
      exists: false,
      value: null,
      version: 0,
      commitTs: 0,
    });
  });

  it('reads every past version, including the tombstone, and refuses versions that never existed', async () => {
    const ts1 = await write('a', 'k', { n: 1 });
    const ts2 = await write('a', 'k', { n: 2, nested: { list: [1, 'two', null, true] } });
    const ts3 = await remove('a', 'k');
    const ts4 = await write('a', 'k', { n: 4 });
    expect(await client.getStateAtVersion({ agentId: 'a', key: 'k', version: 1 })).toEqual({
      exists: true,
      value: { n: 1 },
      version: 1,
      commitTs: ts1,
    });
    expect(await client.getStateAtVersion({ agentId: 'a', key: 'k', version: 2 })).toEqual({
      exists: true,
      value: { n: 2, nested: { list: [1, 'two', null, true] } },
      version: 2,
      commitTs: ts2,
    });
    expect(await client.getStateAtVersion({ agentId: 'a', key: 'k', version: 3 })).toEqual({
      exists: false,
      value: null,
      version: 3,
      commitTs: ts3,
    });
    expect(await client.getState({ agentId: 'a', key: 'k' })).toEqual({
      exists: true,
      value: { n: 4 },
      version: 4,
      commitTs: ts4,
    });
    const error = await client
      .getStateAtVersion({ agentId: 'a', key: 'k', version: 5 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionNotFoundError);
    expect(error).toMatchObject({ code: 'VERSION_NOT_FOUND' });
    await expect(
      client.getStateAtVersion({ agentId: 'a', key: 'nope', version: 1 }),
    ).rejects.toBeInstanceOf(VersionNotFoundError);
    await expect(
      client.getStateAtVersion({ agentId: 'a', key: 'k', version: 0 }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('keeps integers integers and strings exact', async () => {
    const value = {
      int: 7,
      negative: -3,
      float: 1.5,
      big: 9007199254740991,
      text: 'é 😀 "quoted" \\ ',
    };
    await write('a', 'k', value);
    const read = await client.getState({ agentId: 'a', key: 'k' });
    expect(read.value).toEqual(value);
    expect(Number.isInteger(read.value!.int)).toBe(true);
  });

  it('reads another namespace when asked to', async () => {
    const other = `${client.namespace}-other`;
    await client.transaction(
      async (tx) => tx.write({ agentId: 'a', key: 'k', value: { where: 'other' } }),
      {
        namespace: other,
      },
    );
    expect((await client.getState({ agentId: 'a', key: 'k' })).exists).toBe(false);
    expect((await client.getState({ agentId: 'a', key: 'k', namespace: other })).value).toEqual({
      where: 'other',
    });
  });
});

describe('listKeys and scanPrefix', () => {
  const keys = [
    'b',
    'B',
    'a',
    'step:10',
    'step:2',
    'step:1',
    'é',
    '😀',
    'z',
    'tool/search',
    'step',
  ];

  beforeEach(async () => {
    await client.transaction(async (tx) => {
      for (const key of keys) await tx.write({ agentId: 'agent', key, value: { key } });
      await tx.write({ agentId: 'agent-2', key: 'a', value: {} });
      await tx.write({ agentId: 'agen', key: 't', value: {} });
    });
    await remove('agent', 'z');
  });

  const byteOrder = (list: string[]): string[] =>
    [...list].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));

  it('lists live keys of one agent in UTF-8 byte order, without tombstones or other agents', async () => {
    const expected = byteOrder(keys.filter((key) => key !== 'z'));
    expect(expected.slice(0, 3)).toEqual(['B', 'a', 'b']);
    expect(await client.listKeys({ agentId: 'agent' })).toEqual({ keys: expected, cursor: null });
  });

  it('pages with a cursor until the cursor is null, without repeats or gaps', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { keys: string[]; cursor: string | null } = await client.listKeys({
        agentId: 'agent',
        limit: 3,
        cursor,
      });
      expect(page.keys.length).toBeLessThanOrEqual(3);
      seen.push(...page.keys);
      cursor = page.cursor;
      pages++;
    } while (cursor !== null);
    expect(seen).toEqual(byteOrder(keys.filter((key) => key !== 'z')));
    expect(pages).toBe(4);
  });

  it('scans a prefix with values, versions and commitTs', async () => {
    const { entries, cursor } = await client.scanPrefix({ agentId: 'agent', prefix: 'step:' });
    expect(cursor).toBeNull();
    expect(entries.map((entry) => entry.key)).toEqual(['step:1', 'step:10', 'step:2']);
    expect(entries[0]).toEqual({
      key: 'step:1',
      value: { key: 'step:1' },
      version: 1,
      commitTs: 1,
    });
    expect((await client.scanPrefix({ agentId: 'agent', prefix: 'zz' })).entries).toEqual([]);
    expect((await client.scanPrefix({ agentId: 'agent', prefix: 'z' })).entries).toEqual([]);
  });

  it('pages a prefix scan, and refuses a cursor of another prefix or a forged one', async () => {
    const first = await client.scanPrefix({ agentId: 'agent', prefix: 'step', limit: 2 });
    expect(first.entries.map((e) => e.key)).toEqual(['step', 'step:1']);
    const second = await client.scanPrefix({
      agentId: 'agent',
      prefix: 'step',
      limit: 2,
      cursor: first.cursor,
    });
    expect(second.entries.map((e) => e.key)).toEqual(['step:10', 'step:2']);
    expect(second.cursor).toBeNull(); // the last page says so: no empty page to fetch

    const listCursor = (await client.listKeys({ agentId: 'agent', limit: 1 })).cursor;
    await expect(
      client.scanPrefix({ agentId: 'agent', prefix: 'step', cursor: listCursor }),
    ).rejects.toMatchObject({
      field: 'cursor',
    });
    await expect(client.listKeys({ agentId: 'agent', cursor: '!!' })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(client.listKeys({ agentId: 'agent', limit: 0 })).rejects.toMatchObject({
      field: 'limit',
    });
    await expect(client.listKeys({ agentId: 'agent', limit: 10_001 })).rejects.toMatchObject({
      field: 'limit',
    });
  });
});

describe('replay', () => {
  it('delivers only this agent’s operations, in commit order, with inclusive bounds', async () => {
    const stamps: number[] = [];
    for (let i = 1; i <= 10; i++) {
      stamps.push(
        await client.transaction(async (tx) => {
          await tx.write({ agentId: 'a', key: `k${i % 3}`, value: { i } });
          await tx.write({ agentId: 'b', key: 'secret', value: { i } });
          return tx.commit();
        }),
      );
    }
    await write('b', 'only-b', { x: 1 });
    const all = await collect(client.replay({ agentId: 'a' }));
    expect(all.map((e) => e.commitTs)).toEqual(stamps);
    for (const event of all) {
      expect(event.operations).toHaveLength(1);
      expect(event.operations[0]!.key).not.toBe('secret');
    }
    expect(all[3]).toEqual({
      txId: expect.stringContaining(`${client.namespace}~`),
      commitTs: 4,
      time: expect.any(Number),
      operations: [{ key: 'k1', value: { i: 4 }, version: 2 }],
    });
    const bounded = await collect(client.replay({ agentId: 'a', startTs: 3, endTs: 7 }));
    expect(bounded.map((e) => e.commitTs)).toEqual([3, 4, 5, 6, 7]);
    expect(await collect(client.replay({ agentId: 'a', startTs: 8, endTs: 8 }))).toHaveLength(1);
    expect(await collect(client.replay({ agentId: 'a', startTs: 11 }))).toEqual([]);
    expect(await collect(client.replay({ agentId: 'nobody' }))).toEqual([]);
  });

  it('can be stopped early and frees its page', async () => {
    for (let i = 0; i < 9; i++) await write('a', 'k', { i });
    const seen: number[] = [];
    for await (const event of client.replay({ agentId: 'a' })) {
      seen.push(event.commitTs);
      if (seen.length === 5) break;
    }
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });

  it('follows live commits after the history, without gaps or duplicates', async () => {
    for (let i = 0; i < 6; i++) await write('a', 'k', { i });
    const received: ReplayEvent[] = [];
    const iterator = client
      .replay({ agentId: 'a', follow: true, startTs: 2 })
      [Symbol.asyncIterator]();
    const consume = (async () => {
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        received.push(next.value);
        if (received.length === 25) return;
      }
    })();
    // Commit concurrently with the history read, including other agents' commits.
    const writers = Array.from({ length: 20 }, (_, i) =>
      i % 4 === 0 ? write('other', 'k', { i }) : write('a', `live-${i}`, { i }),
    );
    await Promise.all(writers);
    for (let i = 0; i < 10; i++) await write('a', 'tail', { i });
    await eventually(() => received.length === 25);
    await consume;
    await iterator.return?.();
    const stamps = received.map((e) => e.commitTs);
    expect(new Set(stamps).size).toBe(25);
    expect(stamps).toEqual([...stamps].sort((x, y) => x - y));
    expect(stamps[0]).toBe(2);
    const expectedAll = (await collect(client.replay({ agentId: 'a', startTs: 2 }))).slice(0, 25);
    expect(received).toEqual(expectedAll);
  });

  it('stops following at endTs', async () => {
    await write('a', 'k', { i: 0 });
    const done = collect(client.replay({ agentId: 'a', follow: true, endTs: 3 }));
    await write('a', 'k', { i: 1 });
    await write('a', 'k', { i: 2 });
    await write('a', 'k', { i: 3 });
    expect((await done).map((e) => e.commitTs)).toEqual([1, 2, 3]);
  });

  it('ends a follow when the client closes', async () => {
    const closing = await connectClient();
    const done = collect(closing.replay({ agentId: 'a', follow: true }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await closing.close();
    await expect(done).resolves.toEqual([]);
  });

  it('rejects invalid bounds', () => {
    expect(() => client.replay({ agentId: 'a', startTs: -1 })).toThrow(ValidationError);
    expect(() => client.replay({ agentId: 'a', endTs: 1.5 })).toThrow(ValidationError);
    expect(() => client.replay({ agentId: '' })).toThrow(ValidationError);
  });
});
