import { visibleWidth } from './style';

/**
 * Rows under a header, each column as wide as its widest cell (two spaces between columns), the
 * last column unpadded. Cells are shown as given: a caller quotes what may hold spaces or control
 * characters (see `displayName`). A listing printed page by page passes the first page's widths.
 */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  widths: readonly number[] = columnWidths(header, rows),
): string[] {
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) =>
        i === cells.length - 1
          ? cell
          : cell + ' '.repeat(Math.max(0, (widths[i] ?? 0) - visibleWidth(cell))),
      )
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The width of each column: its widest cell, the header's included. */
export function columnWidths(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): number[] {
  return header.map((cell, i) =>
    Math.max(visibleWidth(cell), ...rows.map((row) => visibleWidth(row[i] ?? ''))),
  );
}

/** `label  value` lines with the labels aligned. */
export function fields(entries: ReadonlyArray<readonly [string, string]>): string[] {
  const width = Math.max(0, ...entries.map(([label]) => visibleWidth(label)));
  return entries.map(
    ([label, value]) => `${label}${' '.repeat(width - visibleWidth(label))}  ${value}`,
  );
}

/**
 * A name (agentId, key, namespace) as one table cell: as it is when it is printable without
 * spaces, else JSON-quoted, so a column never breaks and an odd name stays recognisable.
 */
export function displayName(name: string): string {
  return /^[^\s"\\\p{C}]+$/u.test(name) ? name : JSON.stringify(name);
}

/** An integer with thousands separators (1,234,567). */
export function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** `1 commit`, `2 commits`, `1,000 records`. */
export function counted(n: number, noun: string): string {
  return `${count(n)} ${noun}${n === 1 ? '' : 's'}`;
}

/** A commit time in ms since the epoch as ISO 8601, or `-`. */
export function isoTime(ms: number | null | undefined): string {
  return ms ? new Date(ms).toISOString() : '-';
}
