import { existsSync } from 'node:fs';
import { StatehouseClient } from '@statehouse/client';
import { startStatehouseServer, StatehouseServerStartError } from '@statehouse/testing';
import { withoutRedisUrl } from '../../support/server-process';

// @statehouse/testing's startStatehouseServer, as a user's test suite calls it.

it('starts a server with its own Redis on free ports, serves a client, and cleans up on stop()', async () => {
  const server = await startStatehouseServer({ env: withoutRedisUrl() });
  const embedded = server.lines.find((l) => l.msg === 'started an embedded redis-server');
  const dataDir = String(embedded?.dataDir);
  expect(existsSync(dataDir)).toBe(true);
  try {
    const client = await StatehouseClient.connect({ url: server.url, namespace: 'kit' });
    try {
      await client.transaction((tx) =>
        tx.write({ agentId: 'a', key: 'k', value: { from: 'the kit' } }),
      );
      expect(await client.getState({ agentId: 'a', key: 'k' })).toMatchObject({
        value: { from: 'the kit' },
        version: 1,
      });
      expect((await fetch(`${server.httpUrl}/readyz`)).status).toBe(200);
    } finally {
      await client.close();
    }
  } finally {
    expect(await server.stop()).toBe(0);
  }
  expect(existsSync(dataDir)).toBe(false);
});

it("rejects with the server's own words when the server refuses its configuration", async () => {
  const error = await startStatehouseServer({
    env: withoutRedisUrl(),
    args: ['--tokens', 'not json'],
  }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(StatehouseServerStartError);
  expect((error as Error).message).toMatch(/exited with code 2 before it was ready/);
  expect((error as Error).message).toContain('--tokens');
});

it('says how to fix a missing server entry point', async () => {
  const error = await startStatehouseServer({ entry: '/nonexistent/main.js' }).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StatehouseServerStartError);
  expect((error as Error).message).toContain('/nonexistent/main.js');
});
