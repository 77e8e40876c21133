import type { Response } from 'express';
import { ValidationError, type ReplayEvent } from '@statehouse/core';
import { firstEvent } from '../common/first-event';

/** How a replay is written: NDJSON, or server-sent events with a heartbeat comment. */
export interface ReplayFraming {
  readonly sse: boolean;
  /** SSE only: a `: heartbeat` comment line this often while the stream is open. */
  readonly heartbeatMs: number;
  /** The client left. */
  readonly left: AbortSignal;
  /** The server ends the stream (shutdown). */
  readonly ended: AbortSignal;
}

/** The final event of a stream the server ends (shutdown). */
const SHUTDOWN_REASON = 'server shutting down';

/**
 * The `Last-Event-ID` header of a reconnecting EventSource: the commitTs of the last event it
 * received (each SSE event's `id`). The replay resumes after it: no event twice, none missed.
 */
export function lastEventId(header: string | undefined): number | undefined {
  if (header === undefined || header === '') return undefined;
  const id = Number(header);
  if (!/^\d{1,16}$/.test(header) || id >= Number.MAX_SAFE_INTEGER) {
    throw new ValidationError(
      'Last-Event-ID',
      `must be the id of a replay event (a commitTs), got ${JSON.stringify(header.slice(0, 40))}`,
    );
  }
  return id;
}

/**
 * Writes a replay's events as they come, with backpressure: a slow reader slows the reading of
 * the history, never the memory. An SSE event carries its commitTs as `id`, so a reconnecting
 * EventSource sends it back as Last-Event-ID. When the server ends the stream (shutdown), a final
 * event says so: the NDJSON line `{"end":"server shutting down"}`, or the SSE event `end` with data
 * `{"reason":"server shutting down"}` (without an id: the client's last id stays the last commit).
 */
export async function writeReplay(
  iterator: AsyncIterator<ReplayEvent>,
  response: Response,
  framing: ReplayFraming,
): Promise<void> {
  const { sse, left, ended } = framing;
  // Wait briefly for the first event before sending headers, so a refused request (bad input,
  // Redis down) still gets a problem document; a follower with no history gets headers anyway.
  const first = iterator.next();
  await Promise.race([first, new Promise((done) => setTimeout(done, 200))]);
  let heartbeat: NodeJS.Timeout | undefined;
  const open = (): void => {
    response.status(200);
    response.setHeader('content-type', sse ? 'text/event-stream' : 'application/x-ndjson');
    response.setHeader('cache-control', 'no-store');
    response.flushHeaders();
    if (sse) {
      // A comment line, ignored by EventSource; skipped while the socket is backed up (the
      // stream is not idle then). unref: it never keeps the process alive by itself.
      heartbeat = setInterval(() => {
        if (!response.writableNeedDrain) response.write(': heartbeat\n\n');
      }, framing.heartbeatMs).unref();
    }
  };
  try {
    let settled = false;
    void first.then(
      () => (settled = true),
      () => (settled = true),
    );
    await Promise.resolve();
    if (!settled && !left.aborted) open();
    let next = await first;
    if (left.aborted) return;
    if (!response.headersSent) open();
    while (!next.done && !left.aborted) {
      const json = JSON.stringify(next.value);
      const chunk = sse
        ? `event: replay\nid: ${next.value.commitTs}\ndata: ${json}\n\n`
        : `${json}\n`;
      if (!response.write(chunk)) {
        await firstEvent([[response, 'drain']], [left, ended]);
      }
      if (left.aborted || ended.aborted) break;
      next = await iterator.next();
    }
    if (ended.aborted && !left.aborted) {
      response.write(
        sse
          ? `event: end\ndata: ${JSON.stringify({ reason: SHUTDOWN_REASON })}\n\n`
          : `${JSON.stringify({ end: SHUTDOWN_REASON })}\n`,
      );
    }
  } finally {
    clearInterval(heartbeat);
  }
}
