import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Statehouse } from '@statehouse/core';
import { defineScripts } from '../src/commands/scripts';
import { NamespaceKeys } from '../src/storage/keys';
import { AGENT_MARK } from '../src/storage/marks';
import { prefixRange } from '../src/storage/record-fields';
import { allAgents } from '../../../test/support/operator-conformance';
import { closeClients, connectClient, redisUrl } from './support/statehouse';

// Data written before the listings existed: a namespace's agent list is backfilled once, by its
// first listing, in bounded steps that resume; namespaces are registered by a one-time discovery.

let admin: Redis;
let prefix: string;
let client: Statehouse;

beforeAll(() => {
  admin = new Redis(redisUrl());
});

beforeEach(async () => {
  prefix = `upg-${randomBytes(4).toString('hex')}`;
  client = await connectClient({ keyPrefix: prefix, queuePrefix: `{${prefix}-timeouts}` });
});

afterAll(async () => {
  await closeClients();
  admin.disconnect();
});

async function write(namespace: string, agents: string[]): Promise<void> {
  await client.transaction(
    async (tx) => {
      for (const agentId of agents) await tx.write({ agentId, key: 'k', value: { agentId } });
    },
    { namespace },
  );
}

/** Makes a namespace look as one written before the agent list: no list, no mark. */
async function forgetAgentList(namespace: string): Promise<void> {
  const keys = new NamespaceKeys(prefix, namespace);
  const [min, max] = prefixRange(AGENT_MARK);
  await admin.zremrangebylex(keys.index, min, max);
  await admin.hdel(keys.state, AGENT_MARK);
}

it('backfills the agent list of a namespace written before it, at its first listing', async () => {
  const namespace = 'old-one';
  await write(namespace, ['b', 'a', 'c d', 'ü']);
  await client.transaction(async (tx) => tx.delete({ agentId: 'a', key: 'k' }), { namespace });
  const before = await allAgents(client, namespace);
  await forgetAgentList(namespace);
  const keys = new NamespaceKeys(prefix, namespace);
  expect(await admin.zlexcount(keys.index, ...prefixRange(AGENT_MARK))).toBe(0);
  expect(await allAgents(client, namespace)).toEqual(before);
  expect(before.map((agent) => agent.agentId)).toEqual(['a', 'b', 'c d', 'ü']);
  expect(await admin.hget(keys.state, AGENT_MARK)).toBe('indexed');
  const info = (await client.listNamespaces()).namespaces.find((n) => n.namespace === namespace);
  expect(info).toEqual({ namespace, agentCount: 4, lastCommitTs: 2 });
});

it('backfills in bounded steps that resume where they stopped, beside new commits', async () => {
  const namespace = 'old-two';
  await write(namespace, ['a1', 'a2', 'a3', 'a4', 'a5']);
  await forgetAgentList(namespace);
  const keys = new NamespaceKeys(prefix, namespace);
  const redis = defineScripts(admin.duplicate());
  const [, listEnd] = prefixRange(AGENT_MARK);
  const step = (): Promise<0 | 1> =>
    redis.statehouseBackfillAgents(keys.index, keys.state, keys.clock, listEnd, 2);
  expect(await step()).toBe(0);
  expect(await admin.hget(keys.state, AGENT_MARK)).toBe('after a2');
  // A commit meanwhile adds its own agent, behind or ahead of the walk.
  await write(namespace, ['a0', 'z9']);
  expect(await step()).toBe(0);
  expect(await step()).toBe(0);
  expect(await step()).toBe(1);
  expect(await step()).toBe(1); // done: nothing more to do
  redis.disconnect();
  expect((await allAgents(client, namespace)).map((agent) => agent.agentId)).toEqual([
    'a0',
    'a1',
    'a2',
    'a3',
    'a4',
    'a5',
    'z9',
  ]);
});

it('registers namespaces written before the registry with a one-time discovery', async () => {
  const names = ['plain-ns', 'team:alpha', '日本語 {x}'];
  for (const namespace of names) await write(namespace, ['agent']);
  await admin.del(`${prefix}:namespaces`);
  // A new process (an empty registry cache) lists nothing: the registry is gone.
  const fresh = await connectClient({ keyPrefix: prefix, queuePrefix: `{${prefix}-timeouts}` });
  expect((await fresh.listNamespaces()).namespaces).toEqual([]);
  expect(await fresh.indexExistingNamespaces()).toBe(names.length);
  const listed = (await fresh.listNamespaces()).namespaces;
  expect(listed.map((info) => info.namespace)).toEqual(
    [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
  );
  expect(listed.every((info) => info.agentCount === 1 && info.lastCommitTs === 1)).toBe(true);
});
