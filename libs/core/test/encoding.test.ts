import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import { Statehouse } from '@statehouse/core';
import { closeClients, collect, connectClient, redisUrl } from './support/statehouse';

let client: Statehouse;
let admin: Redis;

beforeAll(() => {
  admin = new Redis(redisUrl());
});

beforeEach(async () => {
  client = await connectClient();
});

afterAll(async () => {
  await closeClients();
  admin.disconnect();
});

const awkward = [
  'a:b',
  'a',
  'b:c',
  '{tag}',
  '}{',
  '*',
  '?[a-z]',
  'with space',
  ' leading',
  '😀 emoji',
  'é',
  'e\u0301',
  'sh:{x}:state',
  '\\',
  '"',
  'x'.repeat(256),
  '😀'.repeat(64),
];

describe('user strings in Redis', () => {
  it('stores every awkward agentId × key pair as its own record', async () => {
    const pairs = awkward.flatMap((agentId) => awkward.map((key) => ({ agentId, key })));
    for (let i = 0; i < pairs.length; i += 100) {
      await client.transaction(async (tx) => {
        for (const [j, { agentId, key }] of pairs.slice(i, i + 100).entries()) {
          await tx.write({ agentId, key, value: { agentId, key, n: i + j } });
        }
      });
    }
    for (const agentId of awkward) {
      const { keys } = await client.listKeys({ agentId });
      expect(keys).toEqual(
        [...awkward].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))),
      );
      const { entries } = await client.scanPrefix({ agentId, prefix: '' });
      for (const entry of entries) expect(entry.value).toMatchObject({ agentId, key: entry.key });
    }
    // 'a:b' + 'c' and 'a' + 'b:c' would collide under naive `agent:key` joining.
    expect((await client.getState({ agentId: 'a:b', key: 'b:c' })).value).toMatchObject({
      agentId: 'a:b',
      key: 'b:c',
    });
    expect((await client.getState({ agentId: 'a', key: 'b:c' })).value).toMatchObject({
      agentId: 'a',
      key: 'b:c',
    });
    const history = await collect(client.replay({ agentId: '{tag}' }));
    expect(
      history
        .flatMap((e) => e.operations)
        .map((op) => op.key)
        .sort(),
    ).toEqual([...awkward].sort());
  });

  it('scans a prefix made of pattern characters literally', async () => {
    await client.transaction(async (tx) => {
      for (const key of ['*', '*a', '?[a-z]x', 'a*', 'abc'])
        await tx.write({ agentId: 'p', key, value: {} });
    });
    expect(
      (await client.scanPrefix({ agentId: 'p', prefix: '*' })).entries.map((e) => e.key),
    ).toEqual(['*', '*a']);
    expect(
      (await client.scanPrefix({ agentId: 'p', prefix: '?[a-z]' })).entries.map((e) => e.key),
    ).toEqual(['?[a-z]x']);
  });

  it('keeps every Redis key of a namespace in one cluster slot, and nothing outside its tag', async () => {
    const tx = await client.beginTransaction();
    await tx.write({ agentId: 'a', key: 'k', value: {} });
    await client.transaction(async (t) => {
      await t.write({ agentId: '{other}', key: 'k', value: {} });
      await t.delete({ agentId: 'a', key: 'gone' });
    });
    // Test-only inventory of the keys: the library itself never scans the keyspace.
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await admin.scan(
        cursor,
        'MATCH',
        `*${client.namespace}*`,
        'COUNT',
        1000,
      );
      found.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    const ours = found.filter((key) => !key.startsWith('{sh-timeouts}'));
    const kinds = new Set(
      ours.map((key) => key.slice(`sh:{${client.namespace}}:`.length).split(':')[0]),
    );
    expect(kinds).toEqual(new Set(['clock', 'log', 'state', 'index', 'deadlines', 'staged', 'tx']));
    const slots = new Set(ours.map((key) => calculateSlot(key)));
    expect(slots).toEqual(new Set([calculateSlot(`{${client.namespace}}`)]));
    for (const key of ours) expect(key.startsWith(`sh:{${client.namespace}}:`)).toBe(true);
    await tx.abort();
  });
});
