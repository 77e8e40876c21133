// A Redis Cluster of local redis-server processes (no container, no registry needed): three masters
// by default, optionally with replicas, for tests on a cluster and of its failover. Needs the
// redis-server binary (Debian: apt-get install -y redis-server).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis, type ClusterOptions } from 'ioredis';
import { freePort } from './redis-container';

export interface ClusterNode {
  readonly host: string;
  readonly port: number;
}

export interface LocalClusterOptions {
  masters?: number;
  /** Replicas of each master (default 0). */
  replicasPerMaster?: number;
  /** cluster-node-timeout: how long a silent master takes to be failed over (default 15000). */
  nodeTimeoutMs?: number;
  /** The redis-server binary (default `/usr/bin/redis-server` if it exists, else from PATH). */
  binary?: string;
  /** Persist every node with AOF and this fsync policy (default: no persistence). */
  appendfsync?: 'always' | 'everysec' | 'no';
}

export interface LocalCluster {
  readonly nodes: ClusterNode[];
  /** A new ioredis Cluster client on it (close it yourself). */
  client(options?: ClusterOptions): Cluster;
  /** The node that serves `key` now (asks the cluster). */
  masterOf(key: string): Promise<ClusterNode>;
  /** The replicas of a master, as the cluster knows them now. */
  replicasOf(master: ClusterNode): Promise<ClusterNode[]>;
  /** Sends a signal to one node: SIGKILL (no shutdown, no save), SIGSTOP / SIGCONT (pause). */
  signal(node: ClusterNode, signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): void;
  /**
   * Starts a killed replica, or a master that was failed over, again on its port with its cluster
   * configuration: it rejoins as a replica (of its successor) and this waits until it is in sync.
   */
  restart(node: ClusterNode): Promise<void>;
  /** Waits until `key`'s slot is served by a master other than `previous` and the cluster is ok. */
  waitForFailover(key: string, previous: ClusterNode, timeoutMs?: number): Promise<ClusterNode>;
  stop(): Promise<void>;
}

const SLOTS = 16384;

/**
 * Starts a Redis Cluster of local processes on free ports and waits until every slot is served and
 * every replica is in sync. `startLocalRedisCluster(3)` or `{ masters, replicasPerMaster }`.
 */
export async function startLocalRedisCluster(
  options: number | LocalClusterOptions = 3,
): Promise<LocalCluster> {
  const {
    masters = 3,
    replicasPerMaster = 0,
    nodeTimeoutMs = 15_000,
    binary = existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : 'redis-server',
    appendfsync,
  } = typeof options === 'number' ? { masters: options } : options;
  if (spawnSync(binary, ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(
      `${binary} was not found: install it (Debian/Ubuntu: apt-get install -y redis-server) or ` +
        'pass { binary } to startLocalRedisCluster',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'statehouse-cluster-'));
  const processes = new Map<number, ChildProcess>();
  const ports: number[] = [];
  for (let i = 0; i < masters * (1 + replicasPerMaster); i++) {
    const port = await freePort();
    ports.push(port);
    processes.set(port, spawnNode(binary, port, dir, nodeTimeoutMs, appendfsync));
  }
  const stop = async () => {
    await Promise.all([...processes.values()].map(stopProcess));
    rmSync(dir, { recursive: true, force: true });
  };
  const admins = ports.map((port) => new Redis({ port, host: '127.0.0.1', lazyConnect: true }));
  try {
    for (const admin of admins) await connectWithRetry(admin);
    const masterAdmins = admins.slice(0, masters);
    // Slots split evenly over the masters, then every node meets the first.
    for (const [i, admin] of masterAdmins.entries()) {
      const from = Math.floor((SLOTS * i) / masters);
      const to = Math.floor((SLOTS * (i + 1)) / masters) - 1;
      await admin.call('CLUSTER', 'ADDSLOTSRANGE', from, to);
    }
    for (const admin of admins.slice(1))
      await admin.call('CLUSTER', 'MEET', '127.0.0.1', ports[0]!);
    if (replicasPerMaster > 0) {
      const masterIds = await Promise.all(
        masterAdmins.map((a) => a.call('CLUSTER', 'MYID') as Promise<string>),
      );
      for (const [i, admin] of admins.slice(masters).entries()) {
        const masterId = masterIds[i % masters]!;
        // A node can only replicate a master it has heard of (gossip takes a moment).
        await until(
          async () => ((await admin.call('CLUSTER', 'NODES')) as string).includes(masterId),
          10_000,
          'a replica did not learn of its master',
        );
        await admin.call('CLUSTER', 'REPLICATE', masterId);
      }
    }
    await until(
      async () => {
        const states = await Promise.all(
          admins.map((a) => a.call('CLUSTER', 'INFO') as Promise<string>),
        );
        if (!states.every((s) => s.includes('cluster_state:ok'))) return false;
        const replication = await Promise.all(
          admins.slice(masters).map((a) => a.info('replication')),
        );
        return replication.every((info) => info.includes('master_link_status:up'));
      },
      30_000,
      'the local Redis Cluster did not become ready',
    );
  } catch (error) {
    await stop();
    throw error;
  } finally {
    admins.forEach((admin) => admin.disconnect());
  }
  const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
  const client = (clientOptions: ClusterOptions = {}) =>
    new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: 2 }, ...clientOptions });

  /** Asks the first live node that answers: any one answers for the whole cluster. */
  const ask = async <T>(question: (admin: Redis) => Promise<T>): Promise<T> => {
    for (const port of ports) {
      const child = processes.get(port)!;
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const admin = new Redis({
        port,
        host: '127.0.0.1',
        lazyConnect: true,
        connectTimeout: 500,
        commandTimeout: 500,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      try {
        await admin.connect();
        return await question(admin);
      } catch {
        // a paused or dying node: try the next
      } finally {
        admin.disconnect();
      }
    }
    throw new Error('no node of the local Redis Cluster answers');
  };

  const masterOf = (key: string): Promise<ClusterNode> =>
    ask(async (admin) => {
      const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', key));
      const shards = (await admin.call('CLUSTER', 'SLOTS')) as Array<
        [number, number, [string, number, string], ...unknown[]]
      >;
      const shard = shards.find(([from, to]) => slot >= from && slot <= to);
      if (!shard) throw new Error(`no master serves the slot of ${key}`);
      return { host: '127.0.0.1', port: Number(shard[2][1]) };
    });

  return {
    nodes,
    client,
    masterOf,
    async replicasOf(master) {
      // The master's own view: its replication links ("slave0:ip=...,port=...,state=online").
      const admin = new Redis({ port: master.port, host: master.host, lazyConnect: true });
      try {
        await admin.connect();
        const info = await admin.info('replication');
        return [...info.matchAll(/^slave\d+:ip=([^,]+),port=(\d+)/gm)].map((match) => ({
          host: '127.0.0.1',
          port: Number(match[2]),
        }));
      } finally {
        admin.disconnect();
      }
    },
    signal(node, signal) {
      processes.get(node.port)?.kill(signal);
    },
    async restart(node) {
      const previous = processes.get(node.port);
      if (previous && previous.exitCode === null && previous.signalCode === null) {
        throw new Error(`node ${node.port} is still running: kill it first`);
      }
      processes.set(node.port, spawnNode(binary, node.port, dir, nodeTimeoutMs, appendfsync));
      const admin = new Redis({ port: node.port, host: '127.0.0.1', lazyConnect: true });
      try {
        await connectWithRetry(admin);
        await until(
          async () => (await admin.info('replication')).includes('master_link_status:up'),
          30_000,
          `node ${node.port} did not rejoin the cluster`,
        );
      } finally {
        admin.disconnect();
      }
    },
    async waitForFailover(key, previous, timeoutMs = 30_000) {
      let current: ClusterNode = previous;
      await until(
        async () => {
          current = await masterOf(key);
          if (current.port === previous.port) return false;
          const admin = new Redis({ port: current.port, host: '127.0.0.1', lazyConnect: true });
          try {
            await admin.connect();
            return ((await admin.call('CLUSTER', 'INFO')) as string).includes('cluster_state:ok');
          } finally {
            admin.disconnect();
          }
        },
        timeoutMs,
        `the slot of ${key} was not failed over within ${timeoutMs} ms`,
      );
      return current;
    },
    stop,
  };
}

function spawnNode(
  binary: string,
  port: number,
  dir: string,
  nodeTimeoutMs: number,
  appendfsync: LocalClusterOptions['appendfsync'],
): ChildProcess {
  const persistence = appendfsync
    ? ['--appendonly', 'yes', '--appendfsync', appendfsync, '--appenddirname', `aof-${port}`]
    : ['--appendonly', 'no'];
  return spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dir, `nodes-${port}.conf`),
      '--cluster-node-timeout',
      String(nodeTimeoutMs),
      // Else a lone master announces no address, and clients cannot follow its slots.
      '--cluster-announce-ip',
      '127.0.0.1',
      '--dir',
      dir,
      '--dbfilename',
      `dump-${port}.rdb`,
      '--save',
      '',
      ...persistence,
      '--hz',
      '100',
    ],
    { stdio: 'ignore' },
  );
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

async function until(check: () => Promise<boolean>, timeoutMs: number, message: string) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((done) => setTimeout(done, 100));
  }
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
