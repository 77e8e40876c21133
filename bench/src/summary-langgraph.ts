// The LangGraph scenario (m) in the report: its tables (every figure the median over the rounds
// with the min–max beside it; a ratio taken within each round, then summarized), the issue's
// target (StatehouseSaver at least 2× PostgresSaver's graph steps/s at c=32) as rows with
// PASS/FAIL on the median, and notes with each round's ratios.
import { formatNumber, type Row, type Table } from './report';
import type { LangGraphResult, LangGraphSample, LangGraphSaverResult } from './scenarios/langgraph';
import type { SaverId } from './langgraph/savers';
import { median } from './summary-server-calls';
import { ratio, spread, type PerRound } from './summary-peers';

export interface LangGraphResults {
  langgraph?: LangGraphResult;
}

export const LANGGRAPH_TARGET = { op: '>=', threshold: 2 } as const;

type Pick = (s: LangGraphSample) => number | null;

function perRound(saver: LangGraphSaverResult | undefined, c: number, pick: Pick): PerRound {
  const out: PerRound = new Map();
  for (const s of saver?.samples ?? []) {
    const value = s.concurrency === c ? pick(s) : null;
    if (value !== null && Number.isFinite(value)) out.set(s.round, value);
  }
  return out;
}

const find = (r: LangGraphResult, id: SaverId) => r.savers.find((s) => s.id === id);
const steps = (r: LangGraphResult, id: SaverId, c: number) =>
  perRound(find(r, id), c, (s) => s.stepsPerSec);

/** Throughput and CPU per step. */
function throughputTable(r: LangGraphResult): Table {
  const c = r.concurrency;
  return {
    title:
      `(m) LangGraph: one graph (${r.stepsPerRun} steps, 2 tool calls, durability 'sync') per thread, ` +
      `graph steps/s at c=${c} and c=1, ${r.rounds} interleaved rounds (median (min–max))`,
    header: [
      'saver',
      `steps/s c=${c}`,
      '× PostgresSaver',
      'steps/s c=1',
      '× PostgresSaver',
      'puts/run',
      `Redis CPU µs/step c=${c}`,
      `server CPU µs/step c=${c}`,
      `bench CPU µs/step c=${c}`,
    ],
    rows: r.savers.map((saver) => [
      saver.label,
      spread(steps(r, saver.id, c)),
      spread(ratio(steps(r, saver.id, c), steps(r, 'postgres', c)), 2),
      spread(steps(r, saver.id, 1)),
      spread(ratio(steps(r, saver.id, 1), steps(r, 'postgres', 1)), 2),
      spread(
        perRound(saver, c, (s) => s.putsPerRun),
        1,
      ),
      spread(perRound(saver, c, (s) => s.redisCpuUsPerStep)),
      spread(perRound(saver, c, (s) => s.serverCpuUsPerStep)),
      spread(perRound(saver, c, (s) => s.benchCpuUsPerStep)),
    ]),
  };
}

/** put and getTuple latency, as the graph calls them, at both concurrencies. */
function latencyTable(r: LangGraphResult): Table {
  const columns: Array<[string, number, Pick]> = [];
  for (const c of [r.concurrency, 1])
    columns.push(
      [`put p50 c=${c}`, c, (s) => s.putP50],
      [`put p99 c=${c}`, c, (s) => s.putP99],
      [`getTuple p50 c=${c}`, c, (s) => s.getTupleP50],
      [`getTuple p99 c=${c}`, c, (s) => s.getTupleP99],
    );
  columns.push(['run p50 c=1', 1, (s) => s.runP50]);
  return {
    title:
      '(m) LangGraph: checkpoint put and getTuple latency inside the runs, ms (median (min–max))',
    header: ['saver', ...columns.map(([name]) => name)],
    rows: r.savers.map((saver) => [
      saver.label,
      ...columns.map(([, c, pick]) => spread(perRound(saver, c, pick), 2)),
    ]),
    footer: [
      'put: every checkpoint the graph writes (durability sync: awaited before the next step); ' +
        "getTuple: the calls that found a checkpoint (getState's read of the run's last one).",
    ],
  };
}

export function langgraphTables(r: LangGraphResults): Table[] {
  const l = r.langgraph;
  return l ? [throughputTable(l), latencyTable(l)] : [];
}

const RATIO_ROWS: ReadonlyArray<[SaverId, string]> = [
  ['embedded', 'StatehouseSaver embedded ÷ PostgresSaver'],
  ['server', 'StatehouseSaver via server ÷ PostgresSaver'],
];

function ratios(r: LangGraphResult, id: SaverId): PerRound {
  return ratio(steps(r, id, r.concurrency), steps(r, 'postgres', r.concurrency));
}

/** The target as rows: the median of the rounds' ratios (null when PostgreSQL was left out). */
export function langgraphRows(r: LangGraphResults): Row[] {
  const l = r.langgraph;
  if (!l) return [];
  return RATIO_ROWS.map(([id, metric]) => {
    const values = [...ratios(l, id).values()];
    return {
      scenario: `(m) LangGraph steps/s c=${l.concurrency}`,
      metric,
      value: values.length ? median(values) : null,
      unit: '×',
      digits: 2,
      target: LANGGRAPH_TARGET,
    };
  });
}

export function langgraphNotes(r: LangGraphResults): string[] {
  const l = r.langgraph;
  if (!l) return [];
  const n = (v: number, d = 2) => formatNumber(v, d);
  const busy = l.savers.flatMap((s) => s.samples.map((x) => x.machineBusyPercent));
  const notes = [
    `(m) LangGraph: ${
      l.postgres
        ? `${l.postgres} (fsync on, synchronous_commit on, a pool of ${l.concurrency} connections)`
        : 'no PostgreSQL: PostgresSaver left out, no ratio'
    }; Redis AOF appendfsync always; ${l.cores} cores shared by the bench, Redis, our server ` +
      'and PostgreSQL',
    `(m) the whole machine was ${busy.length ? `${n(Math.min(...busy), 0)}–${n(Math.max(...busy), 0)}` : '?'}% ` +
      `busy during the measurements; order of round 1: ${l.orders[0]?.join(' ') ?? '-'} ` +
      '(reversed every other round)',
  ];
  for (const [id, metric] of RATIO_ROWS) {
    const values = ratios(l, id);
    if (!values.size) continue;
    const each = [...values].map(([round, v]) => `round ${round} ${n(v)}`).join(', ');
    const meets = [...values.values()].filter((v) => v >= LANGGRAPH_TARGET.threshold).length;
    notes.push(
      `(m) ${metric} at c=${l.concurrency}: ${each}; spread ${n(Math.min(...values.values()))}–` +
        `${n(Math.max(...values.values()))}, ${meets} of ${values.size} rounds at ≥ ${LANGGRAPH_TARGET.threshold}`,
    );
  }
  for (const reason of l.unavailable) notes.push(`(m) LEFT OUT: ${reason}`);
  return notes;
}
