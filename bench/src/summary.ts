// The report's content: which numbers go in the table (with their targets) and the diagnostic notes.
import { formatNumber, type Row } from './report';
import type { BaselineResult } from './scenarios/baseline';
import type { MemoryResult } from './scenarios/memory';
import type { ReplayResult } from './scenarios/replay';
import type { RmwResult } from './scenarios/rmw';
import type { ServerBenchResult } from './scenarios/server';
import type { TimeoutResult } from './scenarios/timeouts';
import { commandsPerOp, type TransactionResult } from './scenarios/transactions';
import { langgraphNotes, langgraphRows, type LangGraphResults } from './summary-langgraph';
import { peersNotes, type PeersResults } from './summary-peers';
import { scaleOutNotes, scaleOutRows, type ScaleOutResults } from './summary-scale-out';
import { serverCallsNotes, serverCallsRows } from './summary-server-calls';
import type { ServerCallsResult } from './scenarios/server-calls';
import type { RetentionResult } from './scenarios/retention';
import { retentionNotes, retentionRows } from './summary-retention';
import type { DumpBenchResult } from './scenarios/dump';
import { dumpNotes, dumpRows } from './summary-dump';

/** Results of the scenarios run; the scale-out ones (i)–(k) are in ScaleOutResults, (l) in PeersResults. */
export interface Results extends ScaleOutResults, PeersResults, LangGraphResults {
  baseline?: BaselineResult;
  tx1?: TransactionResult;
  tx64?: TransactionResult;
  tx64Buffered?: TransactionResult;
  rmwLow?: RmwResult;
  rmwHigh?: RmwResult;
  timeouts?: TimeoutResult;
  memory1?: MemoryResult;
  memory10?: MemoryResult;
  replay?: ReplayResult;
  server?: ServerBenchResult;
  serverCalls?: ServerCallsResult;
  retention?: RetentionResult;
  dump?: DumpBenchResult;
}

export const TARGETS = {
  ratio: { op: '>=', threshold: 0.25 },
  latenessP99: { op: '<', threshold: 100 },
  replay: { op: '>', threshold: 100_000 },
  httpCommitVsEmbedded: { op: '>=', threshold: 0.3 },
} as const;

const ms = (value: number | undefined): number | null => (value === undefined ? null : value);

export function buildRows(r: Results): Row[] {
  const rows: Row[] = [];
  const a = r.baseline;
  rows.push(
    {
      scenario: '(a) Lua baseline c=64',
      metric: 'throughput',
      value: a?.opsPerSec ?? null,
      unit: 'ops/s',
    },
    {
      scenario: '(a) Lua baseline c=64',
      metric: 'latency p50',
      value: ms(a?.latency.p50),
      unit: 'ms',
      digits: 2,
    },
    {
      scenario: '(a) Lua baseline c=64',
      metric: 'latency p99',
      value: ms(a?.latency.p99),
      unit: 'ms',
      digits: 2,
    },
  );
  for (const [label, tx] of [
    ['c=1', r.tx1],
    ['c=64', r.tx64],
    ['buffered c=64', r.tx64Buffered],
  ] as const) {
    const scenario = `(b) transaction ${label}`;
    rows.push({ scenario, metric: 'throughput', value: tx?.txPerSec ?? null, unit: 'tx/s' });
    rows.push(
      { scenario, metric: 'latency p50', value: ms(tx?.latency.p50), unit: 'ms', digits: 2 },
      { scenario, metric: 'latency p99', value: ms(tx?.latency.p99), unit: 'ms', digits: 2 },
    );
  }
  rows.push({
    scenario: '(c) ratio',
    metric: 'b(c=64) / a',
    value: a && r.tx64 ? r.tx64.txPerSec / a.opsPerSec : null,
    unit: '',
    digits: 3,
    target: TARGETS.ratio,
  });
  rows.push({
    scenario: '(c) ratio',
    metric: 'b(buffered c=64) / a',
    value: a && r.tx64Buffered ? r.tx64Buffered.txPerSec / a.opsPerSec : null,
    unit: '',
    digits: 3,
    target: TARGETS.ratio,
  });
  const t = r.timeouts;
  rows.push(
    {
      scenario: '(d) timeout lateness',
      metric: `p50 (${t?.timedOut ?? 0} tx)`,
      value: ms(t?.lateness.p50),
      unit: 'ms',
      digits: 1,
    },
    {
      scenario: '(d) timeout lateness',
      metric: 'p99',
      value: ms(t?.lateness.p99),
      unit: 'ms',
      digits: 1,
      target: TARGETS.latenessP99,
    },
    {
      scenario: '(d) timeout lateness',
      metric: 'max',
      value: ms(t?.lateness.max),
      unit: 'ms',
      digits: 1,
    },
  );
  const e = r.replay;
  rows.push({
    scenario: '(e) replay',
    metric: `throughput (${e ? formatNumber(e.events) : '-'} events${e && !e.exact ? ', INEXACT' : ''})`,
    value: e?.eventsPerSec ?? null,
    unit: 'events/s',
    target: TARGETS.replay,
  });
  for (const m of [r.memory1, r.memory10]) {
    if (!m) continue;
    rows.push({
      scenario: '(f) Redis memory',
      metric: `per write (${m.writesPerTransaction} write/tx, ${m.valueBytes} B value)`,
      value: m.bytesPerWrite,
      unit: 'B',
    });
  }
  if (!r.memory1 && !r.memory10)
    rows.push({ scenario: '(f) Redis memory', metric: 'per write', value: null, unit: 'B' });
  for (const [keys, g] of [
    [10_000, r.rmwLow],
    [10, r.rmwHigh],
  ] as const) {
    const scenario = `(g) read-modify-write, ${formatNumber(g?.keys ?? keys)} keys c=${g?.concurrency ?? 64}`;
    const bad = g && g.check.problems.length ? ' (CHECK FAILED)' : '';
    rows.push(
      { scenario, metric: `commits${bad}`, value: g?.commitsPerSec ?? null, unit: 'tx/s' },
      { scenario, metric: 'conflicts', value: g?.conflictsPerSec ?? null, unit: '/s' },
      {
        scenario,
        metric: 'retries per commit',
        value: g?.retriesPerCommit ?? null,
        unit: '',
        digits: 3,
      },
    );
  }
  const embedded = r.tx64?.txPerSec;
  const labels = {
    grpc: 'gRPC statehouse.v1',
    http: 'HTTP per operation',
    'http-commit': 'HTTP one-request commit',
    client: 'network client',
  };
  for (const result of r.server?.results ?? []) {
    const scenario = `(h) server: ${labels[result.transport]} c=${r.server!.concurrency}`;
    rows.push(
      { scenario, metric: 'throughput', value: result.txPerSec, unit: 'tx/s' },
      { scenario, metric: 'latency p50', value: result.latency.p50, unit: 'ms', digits: 2 },
      {
        scenario,
        metric: 'ratio to embedded (b c=64)',
        value: embedded ? result.txPerSec / embedded : null,
        unit: '',
        digits: 3,
        ...(result.transport === 'http-commit' ? { target: TARGETS.httpCommitVsEmbedded } : {}),
      },
      {
        scenario,
        metric: 'ratio to baseline (a)',
        value: a ? result.txPerSec / a.opsPerSec : null,
        unit: '',
        digits: 3,
      },
    );
  }
  rows.push(...scaleOutRows(r));
  rows.push(...optInRows(r));
  return rows;
}

/** The rows of the opt-in scenarios (server-calls, langgraph, retention, dump): alone when only they ran. */
export function optInRows(r: Results): Row[] {
  return [
    ...serverCallsRows(r.serverCalls),
    ...langgraphRows(r),
    ...retentionRows(r.retention),
    ...dumpRows(r.dump),
  ];
}

export function buildNotes(r: Results): string[] {
  const notes: string[] = [];
  const n = (v: number, d = 0) => formatNumber(v, d);
  if (r.baseline) {
    const a = r.baseline;
    notes.push(
      `(a) ${n(a.ops)} ops; Redis CPU ${n(a.redisCpuUsPerOp, 1)} µs/op, node CPU ${n(a.nodeCpuUsPerOp, 1)} µs/op, ` +
        `AOF ${n(a.aofBytesPerOp)} B/op; ` +
        `Redis commands/op: ${commandsPerOp(a.redis, a.ops)}`,
    );
  }
  for (const tx of [r.tx1, r.tx64, r.tx64Buffered]) {
    if (!tx) continue;
    const label = `(b${tx.buffered ? ' buffered' : ''} c=${tx.concurrency})`;
    notes.push(
      `${label} ${n(tx.transactions)} tx, ${tx.errors} errors; step p50: begin ${n(tx.phasesP50.begin, 2)} ms, ` +
        `write ${n(tx.phasesP50.write, 2)} ms (each of 3), commit ${n(tx.phasesP50.commit, 2)} ms; ` +
        `Redis CPU ${n(tx.redisCpuUsPerTx, 1)} µs/tx, node CPU ${n(tx.nodeCpuUsPerTx, 1)} µs/tx, ` +
        `AOF ${n(tx.aofBytesPerTx)} B/tx`,
      `${label} Redis commands/tx (incl. inside scripts): ${commandsPerOp(tx.redis, tx.transactions, 12)}`,
    );
    if (tx.firstError) notes.push(`${label} first error: ${tx.firstError}`);
  }
  if (r.timeouts) {
    const t = r.timeouts;
    notes.push(
      `(d) ${t.transactions} begun in ${n(t.beginWindowMs)} ms; ${t.timedOut} timed out, ${t.notTimedOut} not; ` +
        `lateness min ${n(t.minLatenessMs, 1)} / mean ${n(t.lateness.mean, 1)} ms; first deadline → last abort ${n(t.drainMs)} ms; ` +
        `Redis hz ${t.redisHz}`,
    );
    if (t.firstError) notes.push(`(d) first begin error: ${t.firstError}`);
  }
  if (r.replay) {
    const e = r.replay;
    notes.push(
      `(e) history loaded with 1-write transactions at c=64: ${n(e.loadTxPerSec)} tx/s (${n(e.loadMs / 1000, 1)} s, ${e.loadErrors} errors); ` +
        `replay of ${n(e.events)} events took ${n(e.replayMs)} ms (page size ${e.pageSize}); ` +
        `Redis CPU ${n(e.redisCpuUsPerEvent, 2)} µs/event, node CPU ${n(e.nodeCpuUsPerEvent, 2)} µs/event`,
    );
    for (const problem of e.problems) notes.push(`(e) PROBLEM: ${problem}`);
    if (e.firstLoadError) notes.push(`(e) first load error: ${e.firstLoadError}`);
  }
  for (const m of [r.memory1, r.memory10]) {
    if (!m) continue;
    const parts = Object.entries(m.breakdownPerWrite).map(([k, v]) => `${k} ${n(v)}`);
    const known = Object.values(m.breakdownPerWrite).reduce((x, y) => x + y, 0);
    notes.push(
      `(f ${m.writesPerTransaction} write/tx) ${n(m.writes)} writes in ${n(m.transactions)} tx, used_memory +${n(m.usedMemoryDelta)} B; ` +
        `B/write by key: ${parts.join(', ')}, other (main dict, allocator) ${n(m.bytesPerWrite - known)}`,
    );
    if (m.firstError) notes.push(`(f) first error: ${m.firstError}`);
  }
  for (const g of [r.rmwLow, r.rmwHigh]) if (g) notes.push(...rmwNotes(g));
  for (const result of r.server?.results ?? []) {
    notes.push(
      `(h ${result.transport}) ${n(result.transactions)} tx, ${result.errors} errors, p99 ${n(result.latency.p99, 2)} ms; ` +
        `client-side CPU ${n(result.clientCpuUsPerTx, 1)} µs/tx (the server runs in its own process)`,
    );
    if (result.firstError) notes.push(`(h ${result.transport}) first error: ${result.firstError}`);
  }
  notes.push(...scaleOutNotes(r), ...peersNotes(r));
  notes.push(...serverCallsNotes(r.serverCalls), ...langgraphNotes(r));
  notes.push(...retentionNotes(r.retention));
  notes.push(...dumpNotes(r.dump));
  return notes;
}

function rmwNotes(g: RmwResult): string[] {
  const n = (v: number, d = 0) => formatNumber(v, d);
  const c = g.check;
  const label = `(g ${n(g.keys)} keys)`;
  const notes = [
    `${label} ${n(g.transactions)} tx in ${n(g.elapsedMs / 1000, 1)} s: ${n(g.commits)} committed, ` +
      `${n(g.conflicts)} conflicts, ${n(g.retries)} retries (most runs of one tx ${g.maxRuns}); ` +
      `failed: ${g.exhausted} after maxRetries ${g.maxRetries}, ${g.abandoned} abandoned, ` +
      `${g.otherErrors} other; latency p50 ${n(g.latency.p50, 1)} ms, p99 ${n(g.latency.p99, 1)} ms; ` +
      (c.problems.length
        ? `check FAILED: ${c.problems.join('; ')}`
        : `check OK: ${n(c.records)} counters sum to ${n(c.counterSum)} = commits incl. warm-up`),
  ];
  if (g.firstError) notes.push(`${label} first error: ${g.firstError}`);
  return notes;
}
