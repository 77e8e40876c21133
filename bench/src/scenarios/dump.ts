// (n) statehousectl dump and restore of a large namespace (opt-in: `--only dump`). The namespace is
// filled through real commits (buffered transactions of 100 writes of a ~100-byte value, one agent
// per transaction), a server process (apps/server/dist/main.js) runs on the bench's Redis, and the
// built CLI runs as a child process, as an operator runs it: `dump -o FILE`, then `restore FILE`
// into a new namespace. Per run: records/s (the CLI's wall time, Node's start included), the CLI's
// peak RSS (ru_maxrss written by a preloaded hook at exit), its CPU, the server's and Redis' CPU,
// the file's size, and the Redis memory of the source and restored namespaces (MEMORY USAGE
// SAMPLES 0 of every key of each: exact).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchRedis } from '../redis-env';
import { describeError, processCpuMs, runLoad, sleep } from '../stats';
import { valueOfSize } from './memory';
import { startServer, stopServer } from './server';

const ROOT = join(__dirname, '..', '..', '..');
const CLI = join(ROOT, 'apps', 'cli', 'bin', 'statehousectl.js');
/** Written into the CLI's process with `node -r`: its peak RSS and CPU when it exits. */
const PEAK_HOOK = `const fs = require('node:fs');
process.on('exit', () => {
  const r = process.resourceUsage();
  fs.writeFileSync(process.env.BENCH_PEAK_FILE, JSON.stringify({
    maxRssKb: r.maxRSS, cpuUs: r.userCPUTime + r.systemCPUTime }));
});
`;

export interface DumpBenchOptions {
  /** Records to fill the source namespace with (BENCH_DUMP_RECORDS overrides it). */
  readonly records: number;
  readonly writesPerTransaction: number;
  readonly fillConcurrency: number;
  readonly valueBytes: number;
  /** Give up filling (and dump what was reached) after this long. */
  readonly maxFillMs: number;
  /** `dump --history` (every version and the log) instead of the live records. */
  readonly history: boolean;
}

/** One run of the CLI. */
export interface CliRun {
  readonly command: 'dump' | 'restore';
  readonly exitCode: number | null;
  /** Records the CLI reported (its --json summary; a --history dump reports 0 record lines). */
  readonly records: number;
  readonly elapsedMs: number;
  /** The namespace's records over the CLI's wall time. */
  readonly recordsPerSec: number;
  /** ru_maxrss of the CLI process (bytes); NaN when the hook did not report. */
  readonly peakRssBytes: number;
  readonly cliCpuMs: number;
  readonly serverCpuMs: number;
  readonly redisCpuMs: number;
  readonly stderr: string;
}

export interface NamespaceMemory {
  readonly totalBytes: number;
  /** MEMORY USAGE per key kind (state, index, log, …; `tx` for transaction hashes). */
  readonly byKey: Record<string, number>;
}

export interface DumpBenchResult {
  readonly records: number;
  readonly history: boolean;
  readonly targetRecords: number;
  readonly valueBytes: number;
  readonly fillMs: number;
  readonly fillRecordsPerSec: number;
  readonly fillErrors: number;
  readonly firstFillError?: string;
  readonly dump: CliRun;
  readonly restore: CliRun;
  readonly fileBytes: number;
  readonly source: NamespaceMemory;
  readonly restored: NamespaceMemory;
  /** INFO used_memory after the restore minus before it. */
  readonly restoreUsedMemoryDelta: number;
  readonly sharedRedis: boolean;
}

export function dumpRecordsFromEnv(fallback: number): number {
  const raw = process.env.BENCH_DUMP_RECORDS;
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new Error(`BENCH_DUMP_RECORDS must be a positive integer (got ${JSON.stringify(raw)})`);
  return value;
}

export async function runDump(
  env: BenchRedis,
  options: DumpBenchOptions,
  log: (line: string) => void,
): Promise<DumpBenchResult> {
  await env.resetIfPrivate();
  const source = env.namespace('dump-src');
  const target = env.namespace('dump-restored');
  const dir = mkdtempSync(join(tmpdir(), 'statehouse-bench-dump-'));
  const hook = join(dir, 'peak-hook.js');
  writeFileSync(hook, PEAK_HOOK);
  const file = join(dir, 'dump.ndjson');
  try {
    const fill = await fillNamespace(env, source, options);
    log(
      `dump: ${fill.records.toLocaleString('en-US')} records filled in ${(fill.fillMs / 1000).toFixed(1)} s`,
    );
    const server = await startServer(env.url);
    try {
      const address = `127.0.0.1:${server.grpcPort}`;
      const cli = (command: 'dump' | 'restore', args: string[]) =>
        runCli(env, server.child.pid, hook, command, fill.records, [
          ...['--address', address, '--json'],
          ...args,
        ]);
      const dump = await cli('dump', [
        ...['--namespace', source, 'dump', '-o', file],
        ...(options.history ? ['--history'] : []),
      ]);
      log(`dump: dump took ${(dump.elapsedMs / 1000).toFixed(1)} s`);
      await env.awaitAofRewrite();
      const before = await env.usedMemory();
      const restore = await cli('restore', ['--namespace', target, 'restore', file]);
      log(`dump: restore took ${(restore.elapsedMs / 1000).toFixed(1)} s`);
      await sleep(500);
      const after = await env.usedMemory();
      return {
        ...fill,
        targetRecords: options.records,
        history: options.history,
        valueBytes: JSON.stringify(valueOfSize(options.valueBytes)).length,
        dump,
        restore,
        fileBytes: existsSync(file) ? statSync(file).size : Number.NaN,
        source: await namespaceMemory(env, source),
        restored: await namespaceMemory(env, target),
        restoreUsedMemoryDelta: after - before,
        sharedRedis: !env.isPrivate,
      };
    } finally {
      await stopServer(server);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function fillNamespace(
  env: BenchRedis,
  namespace: string,
  options: DumpBenchOptions,
): Promise<{
  records: number;
  fillMs: number;
  fillRecordsPerSec: number;
  fillErrors: number;
  firstFillError?: string;
}> {
  const client = await env.connect(namespace);
  try {
    const value = valueOfSize(options.valueBytes);
    const perTx = options.writesPerTransaction;
    const transactions = Math.ceil(options.records / perTx);
    const t0 = performance.now();
    const load = await runLoad(
      options.fillConcurrency,
      { maxOps: transactions, maxMs: options.maxFillMs },
      async (_, tx) => {
        const transaction = await client.beginTransaction({ buffered: true });
        const writes = Math.min(perTx, options.records - tx * perTx);
        for (let w = 0; w < writes; w++)
          await transaction.write({ agentId: `agent-${tx}`, key: `k${w}`, value });
        await transaction.commit();
      },
    );
    const fillMs = performance.now() - t0;
    // Every transaction but the last holds perTx records; the last may be short.
    const records = Math.min(options.records, load.ops * perTx);
    return {
      records,
      fillMs,
      fillRecordsPerSec: (records / fillMs) * 1000,
      fillErrors: load.errors,
      ...(load.errors ? { firstFillError: describeError(load.firstError) } : {}),
    };
  } finally {
    await client.close();
  }
}

async function runCli(
  env: BenchRedis,
  serverPid: number | undefined,
  hook: string,
  command: 'dump' | 'restore',
  namespaceRecords: number,
  args: string[],
): Promise<CliRun> {
  const peakFile = `${hook}.${command}.json`;
  const serverBefore = processCpuMs(serverPid);
  const redisBefore = await env.counters();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-r', hook, CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BENCH_PEAK_FILE: peakFile, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exitCode = await new Promise<number | null>((done, fail) => {
    child.on('error', fail);
    child.on('close', done);
  });
  const elapsedMs = performance.now() - t0;
  const redisAfter = await env.counters();
  const peak = existsSync(peakFile)
    ? (JSON.parse(readFileSync(peakFile, 'utf8')) as { maxRssKb: number; cpuUs: number })
    : { maxRssKb: Number.NaN, cpuUs: Number.NaN };
  let records = Number.NaN;
  try {
    records = Number((JSON.parse(stdout) as { records?: number }).records);
  } catch {
    // not a summary: the exit code and stderr say why
  }
  return {
    command,
    exitCode,
    records,
    elapsedMs,
    recordsPerSec: (namespaceRecords / elapsedMs) * 1000,
    peakRssBytes: peak.maxRssKb * 1024,
    cliCpuMs: peak.cpuUs / 1000,
    serverCpuMs: processCpuMs(serverPid) - serverBefore,
    redisCpuMs: redisAfter.cpuMs - redisBefore.cpuMs,
    stderr: stderr.trim().slice(0, 2_000),
  };
}

/** MEMORY USAGE SAMPLES 0 (exact) of every key of a namespace, summed by kind of key. */
async function namespaceMemory(env: BenchRedis, namespace: string): Promise<NamespaceMemory> {
  const prefix = `sh:{${namespace}}:`;
  const byKey: Record<string, number> = {};
  let totalBytes = 0;
  let cursor = '0';
  do {
    const [next, keys] = await env.admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const bytes =
        ((await env.admin.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) as number | null) ?? 0;
      const kind = key.slice(prefix.length).split(':')[0]!;
      byKey[kind] = (byKey[kind] ?? 0) + bytes;
      totalBytes += bytes;
    }
  } while (cursor !== '0');
  return { totalBytes, byKey };
}
