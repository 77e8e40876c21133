// Turns scenario results into rows with targets, and prints them as a table or as JSON.

export interface Target {
  readonly op: '>=' | '>' | '<' | '<=';
  readonly threshold: number;
}

export interface Row {
  readonly scenario: string;
  readonly metric: string;
  /** null when the scenario did not run or failed. */
  readonly value: number | null;
  readonly unit: string;
  readonly digits?: number;
  readonly target?: Target;
}

/** A table of its own, for figures that do not fit the rows (e.g. the peers' comparison). */
export interface Table {
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
  /** Lines printed under the table. */
  readonly footer?: readonly string[];
}

export interface Report {
  readonly startedAt: string;
  readonly durationSec: number;
  readonly environment: Record<string, string | number | boolean>;
  readonly rows: readonly Row[];
  /** Printed after the rows, before the notes. */
  readonly tables?: readonly Table[];
  /** Diagnostics: where time and memory go, counts, anomalies. */
  readonly notes: readonly string[];
  readonly errors: readonly string[];
  /** Raw scenario results. */
  readonly results: Record<string, unknown>;
}

export type Verdict = 'PASS' | 'FAIL' | 'n/a' | '';

export function verdict(row: Row): Verdict {
  if (!row.target) return '';
  if (row.value === null || Number.isNaN(row.value)) return 'n/a';
  const { op, threshold } = row.target;
  const v = row.value;
  const ok =
    op === '>='
      ? v >= threshold
      : op === '>'
        ? v > threshold
        : op === '<'
          ? v < threshold
          : v <= threshold;
  return ok ? 'PASS' : 'FAIL';
}

export function formatNumber(value: number | null, digits = 0): string {
  if (value === null || Number.isNaN(value)) return '-';
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function targetText(row: Row): string {
  if (!row.target) return '';
  return `${row.target.op} ${formatNumber(row.target.threshold, row.digits ?? 0)}`;
}

/** Columns padded to their widest cell: the first left-aligned, the others right-aligned. */
function renderGrid(header: readonly string[], body: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join(' | ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('-+-');
  return [line(header), rule, ...body.map(line), rule];
}

export function renderTable(report: Report): string {
  const header = ['Scenario', 'Metric', 'Value', 'Unit', 'Target', 'Result'];
  const body = report.rows.map((row) => [
    row.scenario,
    row.metric,
    formatNumber(row.value, row.digits ?? 0),
    row.unit,
    targetText(row),
    verdict(row),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join(' | ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('-+-');
  const out: string[] = [];
  out.push(`Statehouse bench — ${report.startedAt} (${report.durationSec.toFixed(1)} s)`);
  for (const [name, value] of Object.entries(report.environment)) out.push(`  ${name}: ${value}`);
  if (report.rows.length === 0) return renderRest(out, report); // e.g. --only peers
  out.push('', line(header), rule);
  let previous = '';
  for (const cells of body) {
    if (previous && cells[0] !== previous) out.push(rule);
    previous = cells[0]!;
    out.push(line(cells));
  }
  out.push(rule);
  const judged = report.rows.map(verdict).filter((v) => v !== '');
  const failed = judged.filter((v) => v === 'FAIL').length;
  const missing = judged.filter((v) => v === 'n/a').length;
  const tail = missing ? ` (${missing} not measured)` : '';
  out.push(
    failed
      ? `TARGETS: ${failed} of ${judged.length} NOT MET${tail}`
      : `TARGETS: none failed of ${judged.length}${tail}`,
  );
  return renderRest(out, report);
}

/** The tables, notes and errors after the rows. */
function renderRest(out: string[], report: Report): string {
  for (const table of report.tables ?? [])
    out.push('', table.title, ...renderGrid(table.header, table.rows), ...(table.footer ?? []));
  if (report.notes.length) out.push('', 'Notes:', ...report.notes.map((n) => `  - ${n}`));
  if (report.errors.length) out.push('', 'ERRORS:', ...report.errors.map((e) => `  ! ${e}`));
  return out.join('\n');
}

export function renderJson(report: Report): string {
  const rows = report.rows.map((row) => ({ ...row, result: verdict(row) || undefined }));
  return JSON.stringify({ ...report, rows }, null, 2);
}
