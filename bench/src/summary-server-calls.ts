// The report's rows and notes of (l), the server's cost per call: per kind of call, the median of
// the rounds (server CPU per call, calls/s) with the range of the rounds in the notes.
import { formatNumber, type Row } from './report';
import type { CallKind, ServerCallsResult } from './scenarios/server-calls';

export const SERVER_CALL_TARGETS = {
  cpuPerCall: { op: '<=', threshold: 60 },
  grpcTxVsHttpCommit: { op: '>=', threshold: 0.5 },
} as const;

const LABELS: Record<CallKind, string> = {
  'grpc-health': 'gRPC Health Check',
  'grpc-get': 'gRPC v1 GetState',
  'grpc-tx': 'gRPC v1 Begin+3 Write+Commit',
  'http-get': 'HTTP GET /v1/state',
  'http-commit': 'HTTP POST /v1/commit',
};

const n = (v: number, d = 0): string => formatNumber(v, d);

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function serverCallsRows(r: ServerCallsResult | undefined): Row[] {
  if (!r) return [];
  const rows: Row[] = [];
  const txPerSec: Partial<Record<CallKind, number>> = {};
  for (const { kind, callsPerOp, rounds } of r.kinds) {
    const scenario = `(l) server calls: ${LABELS[kind]} c=${r.concurrency}`;
    const callsPerSec = median(rounds.map((x) => x.callsPerSec));
    txPerSec[kind] = callsPerSec / callsPerOp;
    rows.push(
      {
        scenario,
        metric: 'server CPU per call',
        value: median(rounds.map((x) => x.serverCpuUsPerCall)),
        unit: 'µs',
        digits: 1,
        target: SERVER_CALL_TARGETS.cpuPerCall,
      },
      { scenario, metric: 'calls/s', value: callsPerSec, unit: 'calls/s' },
    );
  }
  if (txPerSec['grpc-tx'] !== undefined && txPerSec['http-commit'] !== undefined) {
    rows.push({
      scenario: `(l) server calls: gRPC v1 transaction / HTTP one-request commit`,
      metric: 'tx/s ratio',
      value: txPerSec['grpc-tx'] / txPerSec['http-commit'],
      unit: '',
      digits: 2,
      target: SERVER_CALL_TARGETS.grpcTxVsHttpCommit,
    });
  }
  return rows;
}

export function serverCallsNotes(r: ServerCallsResult | undefined): string[] {
  if (!r) return [];
  return r.kinds.map(({ kind, callsPerOp, rounds, firstError }) => {
    const range = (values: number[], d = 0) =>
      `${n(Math.min(...values), d)}–${n(Math.max(...values), d)}`;
    return (
      `(l ${kind}) ${rounds.length} rounds: server CPU ${range(
        rounds.map((x) => x.serverCpuUsPerCall),
        1,
      )} µs/call, ${range(rounds.map((x) => x.callsPerSec))} calls/s` +
      (callsPerOp > 1 ? ` (${callsPerOp} calls per transaction)` : '') +
      `, server ${range(rounds.map((x) => x.serverCpuPercent))}% of a core; per call bench ` +
      `${n(median(rounds.map((x) => x.benchCpuUsPerCall)), 1)} µs, Redis ` +
      `${n(median(rounds.map((x) => x.redisCpuUsPerCall)), 1)} µs (medians), ` +
      `${rounds.reduce((a, x) => a + x.errors, 0)} errors` +
      (firstError ? `; first error: ${firstError}` : '')
    );
  });
}
