// A Redis Cluster of local cluster-mode redis-servers for the `cluster` scenario, persisted like
// the bench's private Redis (AOF, appendfsync always). The tests' starter
// (test/support/redis-cluster.ts) lies outside bench/tsconfig.json's rootDir, hence this one.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { freePort } from '@statehouse/core';
import { sleep } from './stats';

export const CLUSTER_SLOTS = 16384;

export interface BenchCluster {
  readonly ports: readonly number[];
  /** One plain connection per master, in slot order (master i owns slotRange(i)): INFO, XLEN. */
  readonly admins: readonly Redis[];
  /** A new ioredis Cluster client, auto-pipelined like the engine's own URL connections. */
  client(): Cluster;
  stop(): Promise<void>;
}

/** The slots master `i` of `masters` owns: an even split, as CLUSTER ADDSLOTSRANGE got them. */
export function slotRange(i: number, masters: number): [number, number] {
  const from = Math.floor((CLUSTER_SLOTS * i) / masters);
  return [from, Math.floor((CLUSTER_SLOTS * (i + 1)) / masters) - 1];
}

export async function startBenchCluster(masters: number): Promise<BenchCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'statehouse-bench-cluster-'));
  const binary = process.env.BENCH_REDIS_SERVER ?? 'redis-server';
  const children: ChildProcess[] = [];
  const admins: Redis[] = [];
  const stop = async (): Promise<void> => {
    admins.forEach((admin) => admin.disconnect());
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < masters; i++) {
      const port = await freePort();
      ports.push(port);
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir);
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', nodeDir];
      args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf');
      args.push('--cluster-announce-ip', '127.0.0.1'); // else a lone master announces no address
      args.push('--appendonly', 'yes', '--appendfsync', 'always', '--save', '');
      children.push(spawn(binary, args, { stdio: 'ignore' }));
      const admin = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: null });
      admin.on('error', () => undefined); // refused until the server listens; commands report errors
      admins.push(admin);
    }
    for (const admin of admins) {
      for (let attempt = 0; ; attempt++) {
        try {
          await admin.connect();
          break;
        } catch (error) {
          if (attempt > 200) throw error;
          await sleep(50);
        }
      }
    }
    for (const [i, admin] of admins.entries())
      await admin.call('CLUSTER', 'ADDSLOTSRANGE', ...slotRange(i, masters));
    for (const admin of admins.slice(1))
      await admin.call('CLUSTER', 'MEET', '127.0.0.1', ports[0]!);
    for (let waited = 0; ; waited += 100) {
      const states = await Promise.all(admins.map((a) => a.call('CLUSTER', 'INFO')));
      if (states.every((s) => String(s).includes('cluster_state:ok'))) break;
      if (waited > 20_000) throw new Error(`the local ${masters}-master cluster did not get ready`);
      await sleep(100);
    }
    const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
    return {
      ports,
      admins,
      client: () =>
        new Cluster(nodes, {
          enableAutoPipelining: true,
          redisOptions: { maxRetriesPerRequest: 2 },
        }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The hash slot of a key's hash tag (CRC16/XMODEM mod 16384), as Redis Cluster computes it. */
export function slotOfTag(tag: string): number {
  let crc = 0;
  for (const byte of Buffer.from(tag)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    crc &= 0xffff;
  }
  return crc % CLUSTER_SLOTS;
}
