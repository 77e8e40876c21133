import type { ReplayEvent } from '@statehouse/contract';
import type { Output } from '../output/output';
import { displayName, table } from '../output/table';

/** An event as `--json` prints it: the client's shape, one line of NDJSON. */
export function eventJson(event: ReplayEvent): object {
  return { txId: event.txId, commitTs: event.commitTs, operations: event.operations };
}

/**
 * An event for people: its commitTs and transaction, then one aligned line per operation
 * (`write key v3 {"value":1}` or `delete key v4`).
 */
export function eventLines(event: ReplayEvent, out: Output, values = true): string[] {
  const s = out.style;
  const header = `${s.bold(`commitTs ${event.commitTs}`)}  ${s.dim(`tx ${event.txId}`)}`;
  const rows = event.operations.map((op) => [
    op.value === null ? s.red('delete') : s.green('write'),
    displayName(op.key),
    `v${op.version}`,
    ...(values && op.value !== null ? [JSON.stringify(op.value)] : []),
  ]);
  // table() aligns the columns; its header row is dropped (the operations have no header).
  const [, ...body] = table(['', '', '', ''], rows);
  return [header, ...body.map((line) => `  ${line}`)];
}

/** Prints each event as it comes: NDJSON with `--json`, else eventLines. */
export async function printEvent(event: ReplayEvent, out: Output): Promise<void> {
  if (out.json) await out.document(eventJson(event));
  else await out.lines(eventLines(event, out));
}

/** The last `n` events of a replay (a ring of n: memory bounded by n, not by the history). */
export async function lastEvents(
  events: AsyncIterable<ReplayEvent>,
  n: number,
): Promise<ReplayEvent[]> {
  const ring: ReplayEvent[] = [];
  if (n === 0) return ring;
  for await (const event of events) {
    ring.push(event);
    if (ring.length > n) ring.shift();
  }
  return ring;
}
