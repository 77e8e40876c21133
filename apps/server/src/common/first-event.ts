import { once, type EventEmitter } from 'node:events';

/**
 * Waits for the first of some events (a stream's `drain`, its client's departure, an abort) and
 * then removes every listener it added: waiting on each write of a long stream must not pile up
 * listeners. An event source that emits 'error' counts as an event (the stream is over); an
 * already aborted signal resolves at once.
 */
export async function firstEvent(
  events: ReadonlyArray<readonly [EventEmitter, string]>,
  signals: ReadonlyArray<AbortSignal> = [],
): Promise<void> {
  if (signals.some((signal) => signal.aborted)) return;
  const done = new AbortController();
  const settled = (): void => undefined;
  try {
    await Promise.race([
      ...events.map(([source, event]) =>
        once(source, event, { signal: done.signal }).then(settled, settled),
      ),
      ...signals.map((signal) =>
        once(signal, 'abort', { signal: done.signal }).then(settled, settled),
      ),
    ]);
  } finally {
    done.abort();
  }
}
