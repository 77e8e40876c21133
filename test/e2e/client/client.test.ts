import {
  ClientClosedError,
  CommitUnknownError,
  PermissionDeniedError,
  StorageUnavailableError,
  UnauthenticatedError,
  ValidationError,
} from '@statehouse/core';
import { StatehouseClient } from '@statehouse/client';
import { freePort } from '@statehouse/core';
import { startServerProcess } from '../../support/server-process';
import { followerGauge } from '../../../apps/server/test/support/followers';

// What only the network client has: connecting, tokens, an unreachable server, closing.

it('fails to connect to an unreachable server with StorageUnavailableError, saying so', async () => {
  const port = await freePort();
  const error = await StatehouseClient.connect({
    url: `127.0.0.1:${port}`,
    callTimeoutMs: 500,
  }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(StorageUnavailableError);
  // It names the server it tried, not Redis (which the client never talks to).
  expect((error as Error).message).toContain(`the Statehouse server at 127.0.0.1:${port}`);
  expect((error as Error).message).toContain('Check that the Statehouse server is running');
  expect((error as Error).message).not.toMatch(/redis/i);
});

it('sends its token; a missing one or a namespace outside its scope is refused', async () => {
  const TOKEN = 'client-token-0123456789ab';
  const server = await startServerProcess(['--tokens', JSON.stringify({ [TOKEN]: ['mine'] })]);
  const url = `127.0.0.1:${server.grpcPort}`;
  try {
    await expect(StatehouseClient.connect({ url, namespace: 'mine' })).rejects.toBeInstanceOf(
      UnauthenticatedError,
    );
    const client = await StatehouseClient.connect({ url, token: TOKEN, namespace: 'mine' });
    await client.transaction(async (tx) => tx.write({ agentId: 'a', key: 'k', value: { v: 1 } }));
    expect((await client.getState({ agentId: 'a', key: 'k' })).value).toEqual({ v: 1 });
    await expect(client.beginTransaction({ namespace: 'theirs' })).rejects.toBeInstanceOf(
      PermissionDeniedError,
    );
    await client.close();
    await expect(client.getState({ agentId: 'a', key: 'k' })).rejects.toBeInstanceOf(
      ClientClosedError,
    );
  } finally {
    await server.stop();
  }
});

it('reports a commit whose answer never came from the server as CommitUnknownError naming the server', async () => {
  const server = await startServerProcess();
  const client = await StatehouseClient.connect({
    url: `127.0.0.1:${server.grpcPort}`,
    namespace: 'client-lost-commit',
    callTimeoutMs: 1000,
  });
  try {
    const tx = await client.beginTransaction();
    await tx.write({ agentId: 'a', key: 'k', value: { v: 1 } });
    await server.stop();
    const error = await tx.commit().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommitUnknownError);
    expect((error as CommitUnknownError).reason).toBe('server');
    expect((error as Error).message).toContain('the Statehouse server did not answer');
    expect((error as Error).message).not.toMatch(/redis/i);
  } finally {
    await client.close();
  }
});

it('refuses a value nested too deep or holding a cycle as the engine does, naming the value', async () => {
  const server = await startServerProcess();
  const client = await StatehouseClient.connect({
    url: `127.0.0.1:${server.grpcPort}`,
    namespace: `deep-${Date.now()}`,
  });
  try {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const tx = await client.beginTransaction();
    for (const [value, rule] of [
      [deep, /at most 32 levels deep/],
      [cycle, /refers back to itself/],
    ] as const) {
      const error = await tx.write({ agentId: 'a', key: 'k', value }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toMatch(/^value/);
      expect((error as ValidationError).message).toMatch(rule);
    }
    await tx.write({ agentId: 'a', key: 'k', value: { ok: true } }); // still usable
    expect(await tx.commit()).toBeGreaterThan(0);
  } finally {
    await client.close();
    await server.stop();
  }
});

it('ends a follower at once when it leaves while waiting for a commit (return(), its signal, close())', async () => {
  const server = await startServerProcess();
  const base = `http://127.0.0.1:${server.httpPort}`;
  const client = await StatehouseClient.connect({
    url: `127.0.0.1:${server.grpcPort}`,
    namespace: `c-${Date.now()}`,
  });
  const stillWaiting = (): Promise<string> =>
    new Promise((done) => setTimeout(() => done('still waiting'), 1000));
  try {
    const iterator = client.replay({ agentId: 'a', follow: true })[Symbol.asyncIterator]();
    const pending = iterator.next(); // no commit will come
    const controller = new AbortController();
    const signalled = (async () => {
      for await (const event of client.replay({
        agentId: 'b',
        follow: true,
        signal: controller.signal,
      }))
        void event;
      return 'ended';
    })();
    while ((await followerGauge(base)).grpc !== 2) {
      await new Promise((done) => setTimeout(done, 25));
    }
    await expect(Promise.race([iterator.return!(), stillWaiting()])).resolves.toEqual({
      done: true,
      value: undefined,
    });
    await expect(pending).resolves.toMatchObject({ done: true });
    controller.abort();
    await expect(Promise.race([signalled, stillWaiting()])).resolves.toBe('ended');
    while ((await followerGauge(base)).grpc !== 0) {
      await new Promise((done) => setTimeout(done, 25));
    }
    // Closing the client ends its followers too (grpc-js' close() alone waits for open calls).
    const open = (async () => {
      for await (const event of client.replay({ agentId: 'c', follow: true })) void event;
      return 'ended';
    })();
    while ((await followerGauge(base)).grpc !== 1) {
      await new Promise((done) => setTimeout(done, 25));
    }
    await client.close();
    await expect(Promise.race([open, stillWaiting()])).resolves.toBe('ended');
    while ((await followerGauge(base)).grpc !== 0) {
      await new Promise((done) => setTimeout(done, 25));
    }
  } finally {
    await client.close();
    await server.stop();
  }
});

it('sends a scoped transaction of blind writes in one call, and a read-modify-write in two', async () => {
  const server = await startServerProcess();
  const calls = async (): Promise<Map<string, number>> => {
    const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
    const counts = new Map<string, number>();
    for (const [, method, count] of text.matchAll(
      /^statehouse_rpc_duration_seconds_count\{transport="grpc",method="(\w+)",[^}]*\} (\d+)$/gm,
    )) {
      counts.set(method!, (counts.get(method!) ?? 0) + Number(count));
    }
    return counts;
  };
  const delta = (after: Map<string, number>, before: Map<string, number>): Record<string, number> =>
    Object.fromEntries(
      [...after]
        .map(([method, count]) => [method, count - (before.get(method) ?? 0)] as const)
        .filter(([, count]) => count > 0),
    );
  const client = await StatehouseClient.connect({ url: server.url, namespace: 'one-call' });
  try {
    const start = await calls();
    await client.transaction(async (tx) => {
      await tx.write({ agentId: 'a', key: 'k1', value: { v: 1 } });
      await tx.write({ agentId: 'a', key: 'k2', value: { v: 1 } });
      await tx.delete({ agentId: 'a', key: 'k3' });
    });
    const blind = await calls();
    expect(delta(blind, start)).toEqual({ CommitOperations: 1 });
    await client.transaction(async (tx) => {
      const { value } = await tx.get({ agentId: 'a', key: 'k1' });
      await tx.write({ agentId: 'a', key: 'k1', value: { v: (value!.v as number) + 1 } });
    });
    expect(delta(await calls(), blind)).toEqual({ GetState: 1, CommitOperations: 1 });
    expect((await client.getState({ agentId: 'a', key: 'k1' })).value).toEqual({ v: 2 });
  } finally {
    await client.close();
    await server.stop();
  }
});
