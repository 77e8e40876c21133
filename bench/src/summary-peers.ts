// The peers scenario (l) in the report: its tables (every figure as the median over the rounds
// with the min–max beside it; a ratio is taken within each round, then summarized), the issue's
// targets as ratios with met / not met / not shown, and its notes.
import { formatNumber, type Table } from './report';
import type { PeerPathResult, PeerSample, PeersResult } from './scenarios/peers';

export interface PeersResults {
  peers?: PeersResult;
}

/** Each round's value of a figure (rounds where it was not measured are left out). */
export type PerRound = Map<number, number>;

const perRound = (samples: readonly PeerSample[], pick: (s: PeerSample) => number | null) =>
  new Map(
    samples
      .map((s) => [s.round, pick(s)] as const)
      .filter((e): e is readonly [number, number] => e[1] !== null && Number.isFinite(e[1])),
  );

export function ratio(a: PerRound, b: PerRound): PerRound {
  const out: PerRound = new Map();
  for (const [round, value] of a) if (b.has(round)) out.set(round, value / b.get(round)!);
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** `median (min–max)`, or `-` when nothing was measured. */
export function spread(values: PerRound, digits = 0): string {
  const all = [...values.values()];
  if (!all.length) return '-';
  const n = (v: number) => formatNumber(v, digits);
  if (all.length === 1) return n(all[0]!);
  return `${n(median(all))} (${n(Math.min(...all))}–${n(Math.max(...all))})`;
}

/** Digits that show a figure of this size (throughput 0, ratios 2, small latencies 2). */
const digitsFor = (values: PerRound) => {
  const m = Math.max(...values.values());
  return m >= 100 ? 0 : m >= 10 ? 1 : 2;
};

const throughput = (p: PeerPathResult | undefined) => perRound(p?.loaded ?? [], (s) => s.txPerSec);

function byId(r: PeersResult): (id: string) => PeerPathResult | undefined {
  return (id) => r.paths.find((p) => p.id === id);
}

function writesTable(r: PeersResult): Table {
  const find = byId(r);
  const versus = ['lua', 'pg-interactive', 'etcd'].map((id) => throughput(find(id)));
  return {
    title: `(l) peers: 3 writes of ~100 B JSON to one of 10,000 agents, c=${r.concurrency}, ${r.rounds} interleaved rounds (median (min–max))`,
    header: ['path', 'tx/s', '× Lua floor', '× PG interactive', '× etcd'],
    rows: r.paths
      .filter((p) => p.workload === 'write')
      .map((p) => {
        const tps = throughput(p);
        return [p.label, spread(tps), ...versus.map((v) => spread(ratio(tps, v), 2))];
      }),
  };
}

function costTable(r: PeersResult): Table {
  const cell = (samples: readonly PeerSample[], pick: (s: PeerSample) => number | null) => {
    const values = perRound(samples, pick);
    return values.size ? spread(values, digitsFor(values)) : '-';
  };
  return {
    title: '(l) latency and CPU per transaction of the same paths',
    header: [
      'path',
      `p50 ms c=${r.concurrency}`,
      `p99 ms c=${r.concurrency}`,
      'p50 ms c=1',
      'Redis CPU µs/tx',
      'server CPU µs/tx',
      'bench CPU µs/tx',
    ],
    rows: r.paths
      .filter((p) => p.workload === 'write')
      .map((p) => [
        p.label,
        cell(p.loaded, (s) => s.p50),
        cell(p.loaded, (s) => s.p99),
        cell(p.single, (s) => s.p50),
        cell(p.loaded, (s) => s.redisCpuUsPerTx),
        cell(p.loaded, (s) => s.serverCpuUsPerTx),
        cell(p.loaded, (s) => s.benchCpuUsPerTx),
      ]),
  };
}

function rmwTable(r: PeersResult): Table {
  const find = byId(r);
  const versus = ['rmw-buffered', 'rmw-pg', 'rmw-etcd'].map((id) => throughput(find(id)));
  const cell = (p: PeerPathResult, pick: (s: PeerSample) => number | null) => {
    const values = perRound(p.loaded, pick);
    return values.size ? spread(values, digitsFor(values)) : '-';
  };
  return {
    title: `(l) contended read-modify-write: increment one of 10 counters, c=${r.concurrency}, retried on conflict (backoff of client.transaction)`,
    header: [
      'path',
      'commits/s',
      'retries/commit',
      'p50 ms',
      'p99 ms',
      '× ours buffered',
      '× PG SERIALIZABLE',
      '× etcd',
      'Redis CPU µs/tx',
    ],
    rows: r.paths
      .filter((p) => p.workload === 'rmw')
      .map((p) => {
        const tps = throughput(p);
        return [
          p.label,
          spread(tps),
          cell(p, (s) => s.retriesPerCommit),
          cell(p, (s) => s.p50),
          cell(p, (s) => s.p99),
          ...versus.map((v) => spread(ratio(tps, v), 2)),
          cell(p, (s) => s.redisCpuUsPerTx),
        ];
      }),
  };
}

interface Goal {
  readonly name: string;
  readonly values: PerRound;
  readonly op: '>=' | '<=' | '>';
  readonly threshold: number;
  readonly digits: number;
  /** For a goal over several paths: each path's own verdict. */
  readonly detail?: string;
}

/** met: every round meets it; not met: none does; not shown: the rounds disagree. */
function goalVerdict(goal: Goal): string {
  const values = [...goal.values.values()];
  if (!values.length) return 'not measured';
  const meets = (v: number) =>
    goal.op === '>='
      ? v >= goal.threshold
      : goal.op === '<='
        ? v <= goal.threshold
        : v > goal.threshold;
  const met = values.filter(meets).length;
  return met === values.length ? 'met' : met === 0 ? 'not met' : 'not shown';
}

/**
 * Per round, the smallest ratio of our paths to a peer's; and, per path of ours, whether it was
 * ahead of the peer in every round (`ahead`), in none (`behind`) or in some (`not shown`).
 */
function slowestVersus(
  r: PeersResult,
  workload: 'write' | 'rmw',
  peer: PeerPathResult | undefined,
): { values: PerRound; detail: string } {
  const values: PerRound = new Map();
  const groups = new Map<string, string[]>();
  const base = throughput(peer);
  for (const p of r.paths.filter((q) => q.ours && q.workload === workload)) {
    const ratios = ratio(throughput(p), base);
    for (const [round, value] of ratios)
      if (!values.has(round) || value < values.get(round)!) values.set(round, value);
    const verdict = goalVerdict({ name: '', values: ratios, op: '>', threshold: 1, digits: 2 });
    const group = { met: 'ahead', 'not met': 'behind' }[verdict] ?? verdict;
    groups.set(group, [...(groups.get(group) ?? []), p.id]);
  }
  const detail = [...groups].map(([group, ids]) => `${group}: ${ids.join(', ')}`).join('; ');
  return { values, detail };
}

function goals(r: PeersResult): Goal[] {
  const find = byId(r);
  const t = (id: string) => throughput(find(id));
  const list: Goal[] = [
    {
      name: 'network client ÷ HTTP one-request (writes)',
      values: ratio(t('client'), t('http')),
      op: '>=',
      threshold: 0.8,
      digits: 2,
    },
    {
      name: 'network client ÷ embedded buffered (rmw)',
      values: ratio(t('rmw-client'), t('rmw-buffered')),
      op: '>=',
      threshold: 0.5,
      digits: 2,
    },
    {
      name: 'gRPC statehouse.v1 ÷ HTTP one-request',
      values: ratio(t('grpc'), t('http')),
      op: '>=',
      threshold: 0.5,
      digits: 2,
    },
    {
      name: 'embedded buffered ÷ Lua floor',
      values: ratio(t('buffered'), t('lua')),
      op: '>=',
      threshold: 0.6,
      digits: 2,
    },
    {
      name: 'embedded staged p50 at c=1, ms',
      values: perRound(find('staged')?.single ?? [], (s) => s.p50),
      op: '<=',
      threshold: 1.2,
      digits: 2,
    },
    {
      name: 'embedded staged, pipelined: p50 at c=1, ms',
      values: perRound(find('pipelined')?.single ?? [], (s) => s.p50),
      op: '<=',
      threshold: 1.2,
      digits: 2,
    },
  ];
  for (const [workload, id, peer] of [
    ['write', 'pg-interactive', 'PostgreSQL interactive'],
    ['write', 'etcd', 'etcd'],
    ['rmw', 'rmw-pg', 'PostgreSQL SERIALIZABLE'],
    ['rmw', 'rmw-etcd', 'etcd'],
  ] as const) {
    const slowest = slowestVersus(r, workload, find(id));
    list.push({
      name: `slowest of ours ÷ ${peer} (${workload === 'write' ? 'writes' : 'rmw'})`,
      ...slowest,
      op: '>',
      threshold: 1,
      digits: 2,
    });
  }
  return list;
}

function goalsTable(r: PeersResult): Table {
  const list = goals(r);
  const verdicts = list.map(goalVerdict);
  const count = (v: string) => verdicts.filter((x) => x === v).length;
  return {
    title: '(l) targets of the issue, per round then summarized',
    header: ['target', 'median (min–max)', 'target', 'result', 'each path of ours'],
    rows: list.map((goal, i) => [
      goal.name,
      spread(goal.values, goal.digits),
      `${goal.op} ${formatNumber(goal.threshold, goal.op === '>' ? 0 : goal.digits === 2 ? 1 : 0)}`,
      verdicts[i]!,
      goal.detail ?? '',
    ]),
    footer: [
      'Paths of ours: buffered, staged, pipelined = embedded; http = POST /v1/commit; grpc = statehouse.v1; ' +
        'client = @statehouse/client (rmw-…: the same in the rmw table).',
      `PEER TARGETS: ${count('met')} met, ${count('not met')} not met, ${count('not shown')} not shown ` +
        `(the rounds disagree), ${count('not measured')} not measured, of ${list.length}`,
    ],
  };
}

export function peersTables(r: PeersResults): Table[] {
  const p = r.peers;
  return p ? [writesTable(p), costTable(p), rmwTable(p), goalsTable(p)] : [];
}

export function peersNotes(r: PeersResults): string[] {
  const p = r.peers;
  if (!p) return [];
  const n = (v: number) => formatNumber(v, 0);
  const busy = p.paths.flatMap((path) => path.loaded.map((s) => s.machineBusyPercent));
  const notes = [
    `(l) peers: ${p.versions.postgres ?? 'no PostgreSQL'} (fsync on, synchronous_commit on); ` +
      `${p.versions.etcd ?? 'no etcd'} (WAL fsync per commit); Redis AOF appendfsync always; ` +
      `${p.cores} cores shared by the bench, Redis, our server and the peers`,
    `(l) the whole machine was ${busy.length ? `${n(Math.min(...busy))}–${n(Math.max(...busy))}` : '?'}% busy ` +
      'during the measurements at c=' +
      `${p.concurrency}; order of round 1: ${p.orders[0]?.join(' ') ?? '-'} (reversed every other round)`,
  ];
  for (const reason of p.unavailable) notes.push(`(l) LEFT OUT: ${reason}`);
  return notes;
}
