// The Redis the bench runs against: the user's REDIS_URL, or a private embedded redis-server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  Statehouse,
  startEmbeddedRedis,
  type EmbeddedRedis,
  type StatehouseOptions,
} from '@statehouse/core';

/** Server-side counters, diffed around a measured phase. */
export interface RedisCounters {
  /** used_cpu_user + used_cpu_sys of the Redis process, ms. */
  readonly cpuMs: number;
  /** aof_current_size (NaN when AOF is off or a rewrite happened in between: not comparable). */
  readonly aofBytes: number;
  readonly aofRewrites: number;
  /** Calls per command name (cmdstat_*), including commands run inside scripts. */
  readonly calls: Record<string, number>;
}

export class BenchRedis {
  /** For INFO, cleanup and FLUSHALL (private Redis only). No auto-pipelining. */
  readonly admin: Redis;
  /** Distinguishes this run's namespaces and keys from any other's. */
  readonly runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  private readonly namespaces: string[] = [];

  private constructor(
    readonly url: string,
    /** True when the bench started this Redis: it may FLUSHALL it. */
    readonly isPrivate: boolean,
    private readonly embedded: EmbeddedRedis | undefined,
    private readonly dataDir: string | undefined,
    readonly description: string,
  ) {
    this.admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  }

  static async open(log: (line: string) => void): Promise<BenchRedis> {
    const fromEnv = process.env.REDIS_URL;
    let env: BenchRedis;
    if (fromEnv) {
      env = new BenchRedis(
        fromEnv,
        false,
        undefined,
        undefined,
        `REDIS_URL ${redact(fromEnv)} (shared: no FLUSHALL)`,
      );
    } else {
      const dataDir = mkdtempSync(join(tmpdir(), 'statehouse-bench-'));
      const binary = process.env.BENCH_REDIS_SERVER; // set by scripts/run-bench.mjs
      const embedded = await startEmbeddedRedis({
        dataDir,
        appendfsync: 'always',
        ...(binary ? { binary } : {}),
      });
      env = new BenchRedis(
        embedded.url,
        true,
        embedded,
        dataDir,
        `private redis-server ${embedded.url}, AOF appendfsync always, ${dataDir}`,
      );
    }
    await env.admin.connect();
    const server = await env.info('server');
    log(`Redis ${server.redis_version ?? '?'} at ${env.description}`);
    return env;
  }

  /** A fresh namespace for one scenario (`bench-<scenario>-<run>`), remembered for cleanup. */
  namespace(scenario: string): string {
    const ns = `bench-${scenario}-${this.runId}`;
    this.namespaces.push(ns);
    return ns;
  }

  /** BullMQ prefix: the shipped default on a private Redis, an isolated one on a shared Redis. */
  get queuePrefix(): string | undefined {
    return this.isPrivate ? undefined : `{bench-timeouts-${this.runId}}`;
  }

  async connect(namespace: string, extra: Partial<StatehouseOptions> = {}): Promise<Statehouse> {
    const queuePrefix = this.queuePrefix;
    return Statehouse.connect({
      redis: this.url,
      namespace,
      ...(queuePrefix ? { queuePrefix } : {}),
      ...extra,
    });
  }

  /**
   * Empties the private Redis between scenarios (never a user-supplied one) and compacts its AOF,
   * so that no scenario pays for an AOF rewrite caused by the one before.
   */
  async resetIfPrivate(): Promise<void> {
    if (!this.isPrivate) return;
    await this.admin.flushall();
    await this.awaitAofRewrite();
    await this.admin.bgrewriteaof();
    await this.awaitAofRewrite();
  }

  async info(section: string): Promise<Record<string, string>> {
    return readInfo(this.admin, section);
  }

  async usedMemory(): Promise<number> {
    return Number((await this.info('memory')).used_memory);
  }

  async counters(): Promise<RedisCounters> {
    return readCounters(this.admin);
  }

  /** Waits (bounded) for a running AOF rewrite to finish, so it does not overlap a measurement. */
  async awaitAofRewrite(maxMs = 30_000): Promise<void> {
    const until = Date.now() + maxMs;
    while (Date.now() < until) {
      const aof = await this.info('persistence');
      if (aof.aof_rewrite_in_progress !== '1' && aof.aof_rewrite_scheduled !== '1') return;
      await new Promise((done) => setTimeout(done, 100));
    }
  }

  /** Deletes this run's keys (shared Redis), then stops the private Redis and removes its files. */
  async close(log: (line: string) => void): Promise<void> {
    try {
      if (!this.isPrivate) {
        const patterns = this.namespaces.map((ns) => `*{${ns}}*`);
        if (this.queuePrefix) patterns.push(`${this.queuePrefix}:*`);
        let removed = 0;
        for (const pattern of patterns) removed += await this.deleteMatching(pattern);
        log(`removed ${removed} bench keys from the shared Redis`);
      }
    } finally {
      this.admin.disconnect();
      await this.embedded?.stop();
      if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
    }
  }

  private async deleteMatching(pattern: string): Promise<number> {
    let cursor = '0';
    let removed = 0;
    for (let round = 0; round < 100_000; round++) {
      const [next, keys] = await this.admin.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length) removed += await this.admin.unlink(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
    return removed;
  }
}

/** One INFO section of any Redis (a bench Redis or one node of a cluster) as name → value. */
export async function readInfo(redis: Redis, section: string): Promise<Record<string, string>> {
  const text = await redis.info(section);
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) out[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return out;
}

/** The counters of any Redis: CPU, AOF size and calls per command. */
export async function readCounters(redis: Redis): Promise<RedisCounters> {
  const cpu = await readInfo(redis, 'cpu');
  const stats = await readInfo(redis, 'commandstats');
  const aof = await readInfo(redis, 'persistence');
  const calls: Record<string, number> = {};
  for (const [name, value] of Object.entries(stats)) {
    const match = /calls=(\d+)/.exec(value);
    if (match) calls[name.replace(/^cmdstat_/, '')] = Number(match[1]);
  }
  return {
    cpuMs: (Number(cpu.used_cpu_user) + Number(cpu.used_cpu_sys)) * 1000,
    aofBytes: aof.aof_enabled === '1' ? Number(aof.aof_current_size) : Number.NaN,
    aofRewrites: Number(aof.aof_rewrites ?? 0),
    calls,
  };
}

export function diffCounters(before: RedisCounters, after: RedisCounters): RedisCounters {
  const calls: Record<string, number> = {};
  for (const [name, count] of Object.entries(after.calls)) {
    const delta = count - (before.calls[name] ?? 0);
    if (delta > 0) calls[name] = delta;
  }
  const rewrote = after.aofRewrites !== before.aofRewrites;
  return {
    cpuMs: after.cpuMs - before.cpuMs,
    aofBytes: rewrote ? Number.NaN : after.aofBytes - before.aofBytes,
    aofRewrites: after.aofRewrites - before.aofRewrites,
    calls,
  };
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(REDIS_URL)';
  }
}
