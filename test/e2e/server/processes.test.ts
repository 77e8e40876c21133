import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Statehouse } from '@statehouse/core';
import { failure, struct, V1 } from '../../../apps/server/test/support/server';
import {
  startServerProcess as startProcess,
  stopServerProcess,
  withoutRedisUrl,
  type ServerProcess,
} from '../../support/server-process';

// The server as users run it: separate processes (the built apps/server/dist/main.js), several on
// one Redis, killed with SIGKILL, started without a Redis and stopped with SIGTERM.

describe('three server processes on one Redis', () => {
  const servers: ServerProcess[] = [];
  const clients: V1[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) servers.push(await startProcess());
    clients.push(...servers.map((s) => new V1(s.grpcPort)));
  });

  afterAll(async () => {
    clients.forEach((c) => c.close());
    await Promise.all(servers.map(stopServerProcess));
  });

  it('serve one transaction begun on the first, written on the second, committed on the third', async () => {
    const [first, second, third] = clients as [V1, V1, V1];
    const namespace = `p-${randomBytes(5).toString('hex')}`;
    const { txn_id } = await first.call<{ txn_id: string }>('BeginTransaction', {
      timeout_ms: 10_000,
    });
    await second.call('Write', {
      txn_id,
      namespace,
      agent_id: 'a',
      key: 'k',
      value: struct({ v: 1 }),
    });
    await third.call('Write', {
      txn_id,
      namespace,
      agent_id: 'a',
      key: 'k2',
      value: struct({ v: 2 }),
    });
    expect(await third.call('Commit', { txn_id })).toEqual({ commit_ts: 1 });
    expect((await first.call('ListKeys', { namespace, agent_id: 'a' })).keys).toEqual(['k', 'k2']);
  });

  it('time out the open transactions of a server killed with SIGKILL', async () => {
    const [first, second] = clients as [V1, V1];
    const namespace = `k-${randomBytes(5).toString('hex')}`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { txn_id } = await first.call<{ txn_id: string }>('BeginTransaction', {
        timeout_ms: 1500,
      });
      await first.call('Write', {
        txn_id,
        namespace,
        agent_id: 'a',
        key: `k${i}`,
        value: struct({ i }),
      });
      ids.push(txn_id);
    }
    servers[0]!.child.kill('SIGKILL');
    await servers[0]!.exited;
    // A timeout worker applies each timeout (not a later request noticing it): the transaction is
    // finished as timedOut in Redis. (Any process's worker may run the sweep: the survivors', or
    // in this test run other clients of the same Redis.)
    const observer = await Statehouse.connect({
      redis: process.env.REDIS_URL!,
      timeoutWorker: false,
    });
    try {
      const deadline = Date.now() + 10_000;
      let finished: Array<{ state: string; finishedAt: number | null }> = [];
      while (Date.now() < deadline) {
        finished = await Promise.all(
          ids.map((id) => observer.describeTransaction(`${namespace}~${id}`)),
        );
        if (finished.every((tx) => tx.finishedAt !== null)) break;
        await new Promise((done) => setTimeout(done, 100));
      }
      expect(finished.map((tx) => [tx.state, tx.finishedAt !== null])).toEqual(
        ids.map(() => ['timedOut', true]),
      );
    } finally {
      await observer.close();
    }
    for (const txn_id of ids) {
      expect(await failure(second.call('Commit', { txn_id }))).toMatchObject({
        status: 'DEADLINE_EXCEEDED',
        message: 'Transaction timeout',
      });
    }
    expect((await second.call('ListKeys', { namespace, agent_id: 'a' })).keys ?? []).toEqual([]);
  });
});

describe('a server stopped with SIGTERM while keep-alive clients keep sending', () => {
  it('stops without waiting for the clients to go away, and answers what it accepted', async () => {
    const server = await startProcess();
    const base = `http://127.0.0.1:${server.httpPort}`;
    let exited = false;
    void server.exited.then(() => (exited = true));
    const statuses: number[] = [];
    // Four clients that would go on for 30 s: the server must not wait for them.
    const until = Date.now() + 30_000;
    const clients = Array.from({ length: 4 }, async (_, c) => {
      for (let i = 0; !exited && Date.now() < until; i++) {
        try {
          const response = await fetch(`${base}/v1/commit`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              namespace: `drain-${server.httpPort}`,
              operations: [{ op: 'write', agentId: 'a', key: `k${c}`, value: { i } }],
            }),
          });
          await response.text();
          statuses.push(response.status);
        } catch {
          await new Promise((done) => setTimeout(done, 20)); // refused or reset once it is gone
        }
      }
    });
    await new Promise((done) => setTimeout(done, 1000));
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const stoppedAt = Date.now();
    await Promise.all(clients);
    expect(stoppedAt).toBeLessThan(until);
    expect(server.lines.some((line) => line.msg === 'stopped')).toBe(true);
    // Every request it answered was answered properly: no 5xx while draining.
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
  }, 60_000);
});

describe('the server without a configured Redis', () => {
  it('starts its own redis-server, serves, and on SIGTERM stops cleanly with it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'statehouse-data-'));
    const env = withoutRedisUrl();
    try {
      const server = await startProcess(['--data-dir', dataDir], env);
      const embedded = server.lines.find((l) => l.msg === 'started an embedded redis-server');
      expect(embedded).toMatchObject({ persistence: 'AOF, appendfsync always', dataDir });
      const ready = await fetch(`http://127.0.0.1:${server.httpPort}/readyz`);
      expect(ready.status).toBe(200);
      const client = new V1(server.grpcPort);
      const { txn_id } = await client.call<{ txn_id: string }>('BeginTransaction');
      await client.call('Write', { txn_id, agent_id: 'a', key: 'k', value: struct({ v: 1 }) });
      expect(await client.call('Commit', { txn_id })).toEqual({ commit_ts: 1 });
      client.close();

      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      expect(server.lines.map((l) => l.msg)).toContain('stopped');
      const port = Number(new URL(embedded!.url as string).port);
      const refused = await new Promise<boolean>((resolve) => {
        const socket = createConnection({ port, host: '127.0.0.1' });
        socket.on('connect', () => {
          socket.destroy();
          resolve(false);
        });
        socket.on('error', () => resolve(true));
      });
      expect(refused).toBe(true); // its redis-server is gone too
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
