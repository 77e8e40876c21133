// A three-master Redis Cluster of local redis-server processes (no container needed), for the
// tests that check every package on a cluster.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { freePort } from '@statehouse/core';

export interface LocalCluster {
  readonly nodes: Array<{ host: string; port: number }>;
  /** A new ioredis Cluster client on it (close it yourself). */
  client(): Cluster;
  stop(): Promise<void>;
}

const SLOTS = 16384;

export async function startLocalCluster(masters = 3): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'statehouse-cluster-'));
  const processes: ChildProcess[] = [];
  const ports: number[] = [];
  for (let i = 0; i < masters; i++) {
    const port = await freePort();
    ports.push(port);
    processes.push(
      spawn(
        '/usr/bin/redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
          '--hz',
          '100',
        ],
        { stdio: 'ignore' },
      ),
    );
  }
  const admins = ports.map((port) => new Redis({ port, host: '127.0.0.1', lazyConnect: true }));
  try {
    for (const admin of admins) await connectWithRetry(admin);
    // Slots split evenly, then every node meets the first.
    for (const [i, admin] of admins.entries()) {
      const from = Math.floor((SLOTS * i) / masters);
      const to = Math.floor((SLOTS * (i + 1)) / masters) - 1;
      await admin.call('CLUSTER', 'ADDSLOTSRANGE', from, to);
    }
    for (const admin of admins.slice(1))
      await admin.call('CLUSTER', 'MEET', '127.0.0.1', ports[0]!);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const states = await Promise.all(
        admins.map((a) => a.call('CLUSTER', 'INFO') as Promise<string>),
      );
      if (states.every((s) => s.includes('cluster_state:ok'))) break;
      if (Date.now() > deadline) throw new Error('the local Redis Cluster did not become ready');
      await new Promise((done) => setTimeout(done, 100));
    }
  } finally {
    admins.forEach((admin) => admin.disconnect());
  }
  const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
  return {
    nodes,
    client: () => new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: 2 } }),
    async stop() {
      await Promise.all(
        processes.map(
          (child) =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function connectWithRetry(redis: Redis): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await redis.connect();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      redis.disconnect();
      await new Promise((done) => setTimeout(done, 50));
    }
  }
}
