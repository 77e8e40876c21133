// The report's rows and notes of (n), statehousectl dump and restore of a large namespace.
import { formatNumber, type Row } from './report';
import type { CliRun, DumpBenchResult, NamespaceMemory } from './scenarios/dump';

/** The bound on the CLI's memory: it streams, it never holds the namespace. */
export const DUMP_TARGETS = { peakRssMb: { op: '<', threshold: 200 } } as const;

const MB = 1024 * 1024;
const n = (v: number, d = 0): string => formatNumber(v, d);

export function dumpRows(r: DumpBenchResult | undefined): Row[] {
  if (!r) return [];
  const scenario = (what: string) =>
    `(n) statehousectl ${what}${r.history ? ' (--history)' : ''}, ${n(r.records)} records`;
  const cliRows = (run: CliRun): Row[] => [
    {
      scenario: scenario(run.command),
      metric: 'throughput',
      value: run.recordsPerSec,
      unit: 'records/s',
    },
    {
      scenario: scenario(run.command),
      metric: 'CLI peak RSS',
      value: run.peakRssBytes / MB,
      unit: 'MB',
      digits: 1,
      target: DUMP_TARGETS.peakRssMb,
    },
  ];
  return [
    ...cliRows(r.dump),
    ...cliRows(r.restore),
    {
      scenario: scenario('dump'),
      metric: 'file size',
      value: r.fileBytes / MB,
      unit: 'MB',
      digits: 1,
    },
    {
      scenario: scenario('restore'),
      metric: 'Redis memory restored / source',
      value: r.restored.totalBytes / r.source.totalBytes,
      unit: '',
      digits: 2,
    },
  ];
}

export function dumpNotes(r: DumpBenchResult | undefined): string[] {
  if (!r) return [];
  const memory = (m: NamespaceMemory) =>
    `${n(m.totalBytes / MB, 1)} MB (${n(m.totalBytes / r.records)} B/record: ` +
    Object.entries(m.byKey)
      .sort(([, a], [, b]) => b - a)
      .map(([key, bytes]) => `${key} ${n(bytes / MB, 1)} MB`)
      .join(', ') +
    ')';
  const cli = (run: CliRun) =>
    `(n ${run.command}) exit ${run.exitCode}, ${n(r.records)} records in ${n(run.elapsedMs / 1000, 1)} s ` +
    (run.records === r.records ? '' : `(the CLI reported ${n(run.records)}) `) +
    `(Node's start included); CPU per 1,000 records: CLI ${n((run.cliCpuMs / r.records) * 1000, 1)} ms, ` +
    `server ${n((run.serverCpuMs / r.records) * 1000, 1)} ms, Redis ${n((run.redisCpuMs / r.records) * 1000, 1)} ms` +
    (run.exitCode === 0 ? '' : `; stderr: ${run.stderr}`);
  const notes = [
    `(n) filled with ${n(r.records)} records of ${r.valueBytes} B (target ${n(r.targetRecords)}) through ` +
      `buffered transactions of 100 writes: ${n(r.fillMs / 1000, 1)} s, ${n(r.fillRecordsPerSec)} records/s, ` +
      `${r.fillErrors} errors` +
      (r.firstFillError ? `; first error: ${r.firstFillError}` : ''),
    cli(r.dump),
    cli(r.restore),
    `(n) dump file ${n(r.fileBytes)} B (${n(r.fileBytes / r.records)} B/record)`,
    `(n) Redis memory (MEMORY USAGE SAMPLES 0): source ${memory(r.source)}; restored ${memory(r.restored)}; ` +
      `used_memory +${n(r.restoreUsedMemoryDelta / MB, 1)} MB over the restore` +
      (r.sharedRedis ? ' (a shared REDIS_URL: other clients move used_memory too)' : ''),
  ];
  if (r.records < r.targetRecords)
    notes.push(`(n) the fill fell short of ${n(r.targetRecords)} records (maxFillMs reached)`);
  return notes;
}
