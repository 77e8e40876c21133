// The report's rows and notes of the scale-out scenarios: (i) one Redis vs a Redis Cluster,
// (j) one vs three server processes, (k) Redis memory per write at 1,000 and 1,000,000 history
// entries; with what a machine of this few cores can and cannot show.
import { formatNumber, type Row } from './report';
import type { ClusterBenchResult } from './scenarios/cluster';
import type { MemoryHistoryResult } from './scenarios/memory-history';
import type { ServersBenchResult, ServersRun } from './scenarios/servers';

export interface ScaleOutResults {
  cluster?: ClusterBenchResult;
  servers?: ServersBenchResult;
  memoryHistory?: MemoryHistoryResult;
}

const TRANSPORTS: Record<ServersRun['transport'], string> = {
  'http-commit': 'HTTP one-request commit',
  grpc: 'gRPC statehouse.v1',
};

const n = (v: number, d = 0): string => formatNumber(v, d);
const range = (values: number[]): string => `${n(Math.min(...values))}–${n(Math.max(...values))}`;

interface MeasuredRun {
  readonly txPerSec: number;
  readonly latency: { readonly p50: number; readonly p99: number };
}

/** Throughput and latency of a run, and its ratio to the baseline run (unless it is the baseline). */
function throughputRows(
  scenario: string,
  run: MeasuredRun,
  baseline: MeasuredRun | undefined,
  ratio: string,
): Row[] {
  const rows: Row[] = [
    { scenario, metric: 'throughput', value: run.txPerSec, unit: 'tx/s' },
    { scenario, metric: 'latency p50', value: run.latency.p50, unit: 'ms', digits: 2 },
    { scenario, metric: 'latency p99', value: run.latency.p99, unit: 'ms', digits: 2 },
  ];
  if (baseline && baseline !== run)
    rows.push({
      scenario,
      metric: ratio,
      value: run.txPerSec / baseline.txPerSec,
      unit: '',
      digits: 2,
    });
  return rows;
}

export function scaleOutRows(r: ScaleOutResults): Row[] {
  const rows: Row[] = [];
  const c = r.cluster;
  for (const run of c?.runs ?? []) {
    const mode = run.buffered ? 'buffered' : 'staged';
    const scenario = `(i) ${run.topology}: ${mode} tx c=${c!.concurrency}, ${c!.namespaces} ns`;
    const single = c!.runs.find((o) => o.topology === 'one Redis' && o.buffered === run.buffered);
    rows.push(...throughputRows(scenario, run, single, 'ratio to one Redis'));
  }
  const sv = r.servers;
  for (const run of sv?.runs ?? []) {
    const scenario = `(j) ${run.processes} server process${run.processes > 1 ? 'es' : ''}: ${TRANSPORTS[run.transport]} c=${sv!.concurrency}`;
    const one = sv!.runs.find((o) => o.processes === 1 && o.transport === run.transport);
    rows.push(...throughputRows(scenario, run, one, 'ratio to 1 process'));
  }
  const m = r.memoryHistory;
  for (const point of m?.checkpoints ?? []) {
    const scenario = `(k) Redis memory, history of ${n(point.target)} writes`;
    rows.push({
      scenario,
      metric: `per write (${m!.writesPerTransaction} write/tx, ${m!.valueBytes} B value)`,
      value: point.bytesPerWrite,
      unit: 'B',
    });
  }
  if (m)
    rows.push({
      scenario: `(k) Redis memory, history fill`,
      metric: `${n(m.commits * m.writesPerTransaction)} writes in ${n(m.commits)} commits`,
      value: m.fillMs / 1000,
      unit: 's',
      digits: 1,
    });
  return rows;
}

export function scaleOutNotes(r: ScaleOutResults): string[] {
  const notes: string[] = [];
  const c = r.cluster;
  if (c) {
    for (const run of c.runs) {
      const label = `(i ${run.topology}, ${run.buffered ? 'buffered' : 'staged'})`;
      const perNode = run.nodes
        .map(
          (node) =>
            `${node.port === null ? 'the Redis' : `:${node.port}`}` +
            `${node.hasTimeoutQueue && run.nodes.length > 1 ? ' (timeout queue)' : ''} ${node.namespaces} ns, ` +
            `${n(node.commits)} commits, CPU ${n(node.cpuPercentOfCore)}% of a core, ` +
            `${n(node.scriptCalls)} script calls, ${n(node.keys)} keys`,
        )
        .join('; ');
      const check =
        run.logged === run.acknowledged
          ? `log entries = acknowledged commits (${n(run.logged)})`
          : `log entries ${n(run.logged)} ≠ acknowledged commits ${n(run.acknowledged)}`;
      notes.push(
        `${label} ${n(run.transactions)} tx, ${run.errors} errors; Redis CPU ${n(run.redisCpuUsPerTx, 1)} µs/tx ` +
          `(all nodes), bench CPU ${n(run.nodeCpuUsPerTx, 1)} µs/tx; bench + Redis used ${n(run.machineCpuPercent)}% ` +
          `of the ${c.cores} cores, the whole machine was ${n(run.machineBusyPercent)}% busy; ${check}; per node: ${perNode}`,
      );
      if (run.firstError) notes.push(`${label} first error: ${run.firstError}`);
    }
    notes.push(
      `(i) On ${c.cores} cores this cannot show scale-out throughput: the masters, their AOF fsyncs and ` +
        'the bench client share the same cores, so a 3-master cluster can only redistribute the same CPU. ' +
        'It shows that commits spread over the masters (per-node commits and CPU above), that the ' +
        'Cluster client works under load, and what the cluster costs per transaction (Redis CPU µs/tx ' +
        'summed over nodes, bench CPU µs/tx). Scale-out needs each master on its own cores or host. ' +
        `Here bench + Redis used ${range(c.runs.map((x) => x.machineCpuPercent))}% of the cores: with ` +
        'appendfsync always, a commit waits for its fsync, so throughput is also bounded by the disk, ' +
        'which the masters share too. The master holding the BullMQ timeout queue (`{sh-timeouts}`, one ' +
        'slot) runs every deadline sweep: it does more script calls and holds more keys than the others.',
    );
  }
  const sv = r.servers;
  if (sv) {
    for (const run of sv.runs) {
      const label = `(j ${run.processes}× ${run.transport})`;
      const per = run.perProcess
        .map((p) => `${n(p.transactions)} tx at ${n(p.cpuPercent)}% of a core`)
        .join(', ');
      notes.push(
        `${label} ${n(run.transactions)} tx, ${run.errors} errors; per process: ${per}; CPU per tx: ` +
          `servers ${n(run.serverCpuUsPerTx)} µs, Redis ${n(run.redisCpuUsPerTx)} µs, bench ${n(run.benchCpuUsPerTx)} µs; ` +
          `servers + Redis + bench used ${n(run.ownCpuPercent)}% of the ${sv.cores} cores, ` +
          `the whole machine was ${n(run.machineBusyPercent)}% busy`,
      );
      if (run.firstError) notes.push(`${label} first error: ${run.firstError}`);
    }
    notes.push(
      `(j) On ${sv.cores} cores, three server processes cannot show scale-out either: they, Redis and the ` +
        'bench client share the cores, so once those are busy a second and third process only split ' +
        'the same CPU (and add their own event loops, connections and timeout workers). It shows that ' +
        'any process serves any request on one Redis, the round-robin spread, and the CPU per ' +
        'transaction of server and Redis; more throughput from more processes needs the cores to run them.',
    );
  }
  const m = r.memoryHistory;
  if (m) {
    for (const point of m.checkpoints) {
      const parts = Object.entries(point.breakdownPerWrite).map(([k, v]) => `${k} ${n(v, 1)}`);
      const known = Object.values(point.breakdownPerWrite).reduce((x, y) => x + y, 0);
      notes.push(
        `(k ${n(point.writes)} writes) used_memory +${n(point.usedMemoryDelta)} B over the empty namespace; ` +
          `B/write by key (MEMORY USAGE): ${parts.join(', ')}; other (allocator, timeout queue) ${n(point.bytesPerWrite - known, 1)}`,
      );
    }
    notes.push(
      `(k) filled through ${n(m.commits)} buffered commits of ${m.writesPerTransaction} writes (each a new record ` +
        `over 100 agents) in ${n(m.fillMs / 1000, 1)} s: ${n(m.fillWritesPerSec)} writes/s, ${m.errors} failed commits` +
        (m.complete
          ? ''
          : '; INCOMPLETE: the fill hit its time limit, figures are for the writes reached'),
    );
    if (m.sharedRedis)
      notes.push(
        '(k) measured on a shared REDIS_URL: used_memory includes whatever else that Redis did meanwhile',
      );
    if (m.firstError) notes.push(`(k) first error: ${m.firstError}`);
  }
  return notes;
}
