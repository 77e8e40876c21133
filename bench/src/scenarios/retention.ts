// (m) Retention (`--only retention`): commits of one write (~100-byte value) to one of 1,000 keys,
// in a namespace with `maxVersionsPerKey: 5` (compacted by the engine's scheduled BullMQ job, as in
// production) and in one without a policy. The two are filled in alternating segments, so both see
// the same machine. Reported: each namespace's Redis memory (MEMORY USAGE of its keys, exact) at
// every checkpoint, whether the policy's plateaus (final within 10% of its value at 200,000
// commits), commit throughput with compaction running as a ratio to without (median of the
// segment pairs), and the longest compaction script call on Redis' clock (SLOWLOG) and the
// client's.
import type { BenchRedis } from '../redis-env';
import { describeError, runLoad, sleep } from '../stats';
import { valueOfSize } from './memory';

export interface RetentionOptions {
  /** Commits per namespace. */
  readonly commits: number;
  readonly keys: number;
  readonly maxVersionsPerKey: number;
  /** Commits per segment (the namespaces alternate every segment). */
  readonly segment: number;
  readonly concurrency: number;
  readonly valueBytes: number;
  readonly compactionIntervalMs: number;
  /** Memory is measured every this many commits (per namespace). */
  readonly checkpointEvery: number;
}

export interface RetentionCheckpoint {
  readonly commits: number;
  /** Bytes held by the namespace's keys (state, log, index, ...): MEMORY USAGE SAMPLES 0. */
  readonly withPolicyBytes: number;
  readonly withoutPolicyBytes: number;
}

export interface RetentionResult {
  readonly commits: number;
  readonly keys: number;
  readonly maxVersionsPerKey: number;
  readonly checkpoints: RetentionCheckpoint[];
  /** Final memory of the policy's namespace over its memory at 200,000 commits (target <= 1.1). */
  readonly plateauRatio: number | null;
  /** Commits/s of each segment pair: [with policy, without]. */
  readonly segments: Array<[number, number]>;
  /** Median over the pairs of (with policy / without). */
  readonly throughputRatio: number;
  readonly withPolicyCommitsPerSec: number;
  readonly withoutPolicyCommitsPerSec: number;
  /** Compaction runs and what they removed. */
  readonly compactionRuns: number;
  readonly versionsRemoved: number;
  readonly entriesRemoved: number;
  readonly compactedTs: number;
  /** Longest compaction step on Redis (SLOWLOG, µs; 0 if none took over the log threshold). */
  readonly longestStepRedisUs: number;
  /** Compaction steps run by the worker's process, and how many took over 1 ms on Redis. */
  readonly steps: number;
  readonly stepsOver1ms: number;
  /** The control: commit script calls over 1 ms in the same run (a loaded machine shows both). */
  readonly commitsOver1ms: number;
  readonly longestCommitRedisUs: number;
  readonly slowlogThresholdUs: number;
  /** Longest compaction step seen by the client (ms, round trip included). */
  readonly longestStepClientMs: number;
  readonly errors: number;
  readonly firstError?: string;
}

const NAMESPACE_KEYS = ['state', 'log', 'index', 'finished', 'finishedAt', 'retention', 'clock'];
const SLOWLOG_US = 200;

export async function runRetention(
  env: BenchRedis,
  options: RetentionOptions,
): Promise<RetentionResult> {
  await env.resetIfPrivate();
  const withPolicy = env.namespace('retention-policy');
  const withoutPolicy = env.namespace('retention-none');
  // The writer has no worker; a second client's worker runs the scheduled compactions, as another
  // replica would.
  // The process that sets a policy sets its schedule (compactionIntervalMs): the writer sets it.
  const writer = await env.connect(withPolicy, {
    timeoutWorker: false,
    compactionIntervalMs: options.compactionIntervalMs,
  });
  const compactor = await env.connect(withPolicy, {
    compactionIntervalMs: options.compactionIntervalMs,
  });
  const value = valueOfSize(options.valueBytes);
  const usage = async (namespace: string): Promise<number> => {
    let total = 0;
    for (const key of NAMESPACE_KEYS) {
      total +=
        ((await env.admin.call('MEMORY', 'USAGE', `sh:{${namespace}}:${key}`, 'SAMPLES', '0')) as
          number | null) ?? 0;
    }
    return total;
  };
  const previousSlowlog = await env.admin.config('GET', 'slowlog-log-slower-than');
  const previousLen = await env.admin.config('GET', 'slowlog-max-len');
  await env.admin.config('SET', 'slowlog-log-slower-than', String(SLOWLOG_US));
  await env.admin.config('SET', 'slowlog-max-len', '100000');
  await env.admin.slowlog('RESET');

  let errors = 0;
  let firstError: unknown;
  const filled = { [withPolicy]: 0, [withoutPolicy]: 0 };
  const fill = async (namespace: string, count: number): Promise<number> => {
    const start = filled[namespace]!;
    const load = await runLoad(
      options.concurrency,
      { maxOps: count, maxMs: 600_000 },
      async (_worker, index) => {
        const n = start + index;
        const tx = await writer.beginTransaction({ buffered: true, namespace });
        await tx.write({ agentId: `agent-${n % 10}`, key: `k${n % options.keys}`, value });
        await tx.commit();
      },
    );
    errors += load.errors;
    firstError ??= load.firstError;
    filled[namespace] = start + load.ops;
    return load.opsPerSec;
  };

  try {
    await writer.setRetention({
      namespace: withPolicy,
      maxVersionsPerKey: options.maxVersionsPerKey,
    });
    // The compactor's worker takes the scheduled jobs; make sure it is the only one here.
    const segments: Array<[number, number]> = [];
    const checkpoints: RetentionCheckpoint[] = [];
    let nextCheckpoint = options.checkpointEvery;
    while (filled[withPolicy]! < options.commits) {
      const count = Math.min(options.segment, options.commits - filled[withPolicy]!);
      // Alternate which goes first, so neither always follows the other's compaction.
      const pair =
        segments.length % 2 === 0
          ? [await fill(withPolicy, count), await fill(withoutPolicy, count)]
          : [0, await fill(withoutPolicy, count)];
      if (segments.length % 2 === 1) pair[0] = await fill(withPolicy, count);
      segments.push([pair[0]!, pair[1]!]);
      if (filled[withPolicy]! >= nextCheckpoint || filled[withPolicy]! >= options.commits) {
        await sleep(options.compactionIntervalMs * 2); // the last scheduled run has passed
        checkpoints.push({
          commits: filled[withPolicy]!,
          withPolicyBytes: await usage(withPolicy),
          withoutPolicyBytes: await usage(withoutPolicy),
        });
        nextCheckpoint += options.checkpointEvery;
      }
    }
    const final = await writer.compact({ namespace: withPolicy });
    const info = await writer.getRetention({ namespace: withPolicy });
    const stats = compactor.compactionStats.get(withPolicy);
    const slowlog = (await env.admin.slowlog('GET', 100_000)) as Array<
      [number, number, number, string[]]
    >;
    // A compaction step is the script call whose fourth key is the namespace's retention hash.
    let longestStepRedisUs = 0;
    let stepsOver1ms = 0;
    let longestCommitRedisUs = 0;
    let commitsOver1ms = 0;
    for (const [, , durationUs, args] of slowlog) {
      if (args[0]?.toLowerCase() !== 'evalsha') continue;
      if (args[3]?.endsWith(':clock') && args[8]?.endsWith(':finishedAt')) {
        // commitBuffered: clock, log, state, index, finished, finishedAt, ...
        longestCommitRedisUs = Math.max(longestCommitRedisUs, durationUs);
        if (durationUs > 1000) commitsOver1ms += 1;
      }
      if (args[6]?.endsWith(':retention')) {
        longestStepRedisUs = Math.max(longestStepRedisUs, durationUs);
        if (durationUs > 1000) stepsOver1ms += 1;
      }
    }
    const at200k = checkpoints.find((c) => c.commits >= 200_000);
    const last = checkpoints.at(-1);
    const ratios = segments.filter(([a, b]) => a > 0 && b > 0).map(([a, b]) => a / b);
    return {
      commits: filled[withPolicy]!,
      keys: options.keys,
      maxVersionsPerKey: options.maxVersionsPerKey,
      checkpoints,
      plateauRatio: at200k && last ? last.withPolicyBytes / at200k.withPolicyBytes : null,
      segments,
      throughputRatio: median(ratios),
      withPolicyCommitsPerSec: median(segments.map(([a]) => a)),
      withoutPolicyCommitsPerSec: median(segments.map(([, b]) => b)),
      compactionRuns: stats?.runs ?? 0,
      versionsRemoved: info.removed.versions,
      entriesRemoved: info.removed.logEntries,
      compactedTs: info.compactedTs,
      longestStepRedisUs,
      steps: stats?.steps ?? 0,
      stepsOver1ms,
      commitsOver1ms,
      longestCommitRedisUs,
      slowlogThresholdUs: SLOWLOG_US,
      longestStepClientMs: final.longestStepMs,
      errors,
      ...(firstError === undefined ? {} : { firstError: describeError(firstError) }),
    };
  } finally {
    await env.admin.config('SET', 'slowlog-log-slower-than', previousSlowlog[1] ?? '10000');
    await env.admin.config('SET', 'slowlog-max-len', previousLen[1] ?? '128');
    await compactor.close();
    await writer.close();
  }
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
