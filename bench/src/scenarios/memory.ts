// (f) Redis memory per committed write: the INFO used_memory delta over N committed writes of a
// ~100-byte value (each write a new record), with a breakdown by key from MEMORY USAGE.
import type { BenchRedis } from '../redis-env';
import { describeError, runLoad, sleep } from '../stats';

export interface MemoryOptions {
  readonly writes: number;
  readonly writesPerTransaction: number;
  readonly concurrency: number;
  readonly maxMs: number;
  readonly valueBytes: number;
}

export interface MemoryResult {
  readonly writesPerTransaction: number;
  readonly writes: number;
  readonly transactions: number;
  readonly valueBytes: number;
  readonly usedMemoryDelta: number;
  readonly bytesPerWrite: number;
  /** Bytes per write held by each namespace key (MEMORY USAGE); `tx hashes` is estimated from a sample. */
  readonly breakdownPerWrite: Record<string, number>;
  readonly errors: number;
  readonly firstError?: string;
}

/** A JSON object whose serialization is exactly `bytes` long (for bytes >= 12). */
export function valueOfSize(bytes: number): { text: string } {
  const overhead = JSON.stringify({ text: '' }).length;
  return { text: 'x'.repeat(Math.max(0, bytes - overhead)) };
}

async function memoryUsage(env: BenchRedis, key: string): Promise<number> {
  const reply = (await env.admin.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) as number | null;
  return reply ?? 0;
}

/** Average MEMORY USAGE of up to `sample` transaction hashes of the namespace, times `count`. */
async function transactionHashes(
  env: BenchRedis,
  base: string,
  count: number,
  sample = 50,
): Promise<number> {
  const sizes: number[] = [];
  let cursor = '0';
  for (let round = 0; round < 1000 && sizes.length < sample; round++) {
    const [next, keys] = await env.admin.scan(cursor, 'MATCH', `${base}tx:*`, 'COUNT', 500);
    for (const key of keys.slice(0, sample - sizes.length)) sizes.push(await memoryUsage(env, key));
    cursor = next;
    if (cursor === '0') break;
  }
  if (sizes.length === 0) return 0;
  return (sizes.reduce((a, b) => a + b, 0) / sizes.length) * count;
}

export async function runMemory(env: BenchRedis, options: MemoryOptions): Promise<MemoryResult> {
  await env.resetIfPrivate();
  const namespace = env.namespace(`mem-w${options.writesPerTransaction}`);
  const client = await env.connect(namespace);
  const value = valueOfSize(options.valueBytes);
  const perTx = options.writesPerTransaction;
  const commit = (i: number, ns?: string) =>
    client.transaction(
      async (tx) => {
        for (let w = 0; w < perTx; w++) {
          const n = i * perTx + w;
          await tx.write({ agentId: `agent-${n % 100}`, key: `k${n}`, value });
        }
      },
      ns ? { namespace: ns } : {},
    );
  try {
    // Warm-up in another namespace: scripts loaded, connections and BullMQ queue set up.
    const warmNs = env.namespace(`mem-warm-w${perTx}`);
    await runLoad(options.concurrency, { maxOps: 200, maxMs: 5_000 }, (_, i) => commit(i, warmNs));
    await sleep(300);
    const before = await env.usedMemory();
    const transactions = Math.ceil(options.writes / perTx);
    const load = await runLoad(
      options.concurrency,
      { maxOps: transactions, maxMs: options.maxMs },
      (_, i) => commit(i),
    );
    await sleep(500); // background removal of the finished transactions' timeout jobs
    const after = await env.usedMemory();
    const writes = load.ops * perTx;

    const base = `sh:{${namespace}}:`;
    const breakdown: Record<string, number> = {};
    for (const name of ['state', 'index', 'log', 'deadlines']) {
      breakdown[name] = (await memoryUsage(env, `${base}${name}`)) / writes;
    }
    breakdown['tx hashes'] = (await transactionHashes(env, base, load.ops)) / writes;
    return {
      writesPerTransaction: perTx,
      writes,
      transactions: load.ops,
      valueBytes: JSON.stringify(value).length,
      usedMemoryDelta: after - before,
      bytesPerWrite: (after - before) / writes,
      breakdownPerWrite: breakdown,
      errors: load.errors,
      ...(load.errors ? { firstError: describeError(load.firstError) } : {}),
    };
  } finally {
    await client.close();
  }
}
