// The report's rows and notes of (m), retention: memory with and without a policy over the run,
// the plateau, commit throughput with compaction running, and the longest compaction step.
import { formatNumber, type Row } from './report';
import type { RetentionResult } from './scenarios/retention';

export const RETENTION_TARGETS = {
  plateau: { op: '<=', threshold: 1.1 },
  throughput: { op: '>=', threshold: 0.9 },
} as const;

const mb = (bytes: number): number => bytes / (1024 * 1024);

export function retentionRows(r: RetentionResult | undefined): Row[] {
  if (!r) return [];
  const scenario = `(m) retention: ${formatNumber(r.commits)} commits over ${formatNumber(r.keys)} keys, maxVersionsPerKey ${r.maxVersionsPerKey}`;
  const last = r.checkpoints.at(-1);
  return [
    {
      scenario,
      metric: 'memory with the policy, final / at 200,000 commits',
      value: r.plateauRatio,
      unit: '',
      digits: 3,
      target: RETENTION_TARGETS.plateau,
    },
    {
      scenario,
      metric: 'commits/s with compaction running / without a policy',
      value: r.throughputRatio,
      unit: '',
      digits: 3,
      target: RETENTION_TARGETS.throughput,
    },
    {
      scenario,
      metric: 'memory with the policy (final)',
      value: last ? mb(last.withPolicyBytes) : null,
      unit: 'MiB',
      digits: 1,
    },
    {
      scenario,
      metric: 'memory without a policy (final)',
      value: last ? mb(last.withoutPolicyBytes) : null,
      unit: 'MiB',
      digits: 1,
    },
    {
      scenario,
      metric: `longest compaction script call (SLOWLOG, ≥ ${r.slowlogThresholdUs} µs logged)`,
      value: r.longestStepRedisUs,
      unit: 'µs',
    },
  ];
}

export function retentionNotes(r: RetentionResult | undefined): string[] {
  if (!r) return [];
  const n = (v: number, d = 0) => formatNumber(v, d);
  const notes = [
    `(m) memory of each namespace's keys (MEMORY USAGE, exact), MiB, by commits: ` +
      r.checkpoints
        .map(
          (c) =>
            `${n(c.commits)}: ${n(mb(c.withPolicyBytes), 1)} with the policy, ${n(mb(c.withoutPolicyBytes), 1)} without`,
        )
        .join('; '),
    `(m) commits/s per segment pair (with / without): ` +
      r.segments.map(([a, b]) => `${n(a)}/${n(b)}`).join(', ') +
      `; medians ${n(r.withPolicyCommitsPerSec)} and ${n(r.withoutPolicyCommitsPerSec)}`,
    `(m) compaction: ${n(r.compactionRuns)} scheduled runs in the worker's process, ` +
      `${n(r.versionsRemoved)} versions and ${n(r.entriesRemoved)} log entries removed, horizon ` +
      `${n(r.compactedTs)}; ${n(r.steps)} steps, ${n(r.stepsOver1ms)} of them over 1 ms on Redis ` +
      `(control: ${n(r.commitsOver1ms)} commit calls over 1 ms, the longest ${n(r.longestCommitRedisUs)} µs); ` +
      `longest step ${n(r.longestStepRedisUs)} µs on Redis, ` +
      `${n(r.longestStepClientMs, 2)} ms seen by the client in the last run`,
  ];
  if (r.firstError) notes.push(`(m) first error: ${r.firstError} (${r.errors} errors)`);
  return notes;
}
