// An agent's replay, read with fetch: EventSource cannot send an Authorization header, and the
// token must not go into a URL (servers and proxies log URLs). fetch can, and its body is read
// as a stream of server-sent events here, resuming with Last-Event-ID after a cut, as
// EventSource would.
import { ApiError, apiUrl, headers, refusal, type ReplayEvent } from './api';

/** Wait before reconnecting after a cut (EventSource's default is about as long). */
const RECONNECT_MS = 1000;

export interface Follow {
  namespace: string;
  agentId: string;
  onEvent(event: ReplayEvent): void;
  /** Connected (true) or cut and reconnecting (false). */
  onLive(live: boolean): void;
  /** A refusal a reconnect cannot cure (401, 403, 400): following stops. */
  onError(error: ApiError): void;
  signal: AbortSignal;
}

/** Follows the agent's commits until the signal aborts, reconnecting after every cut. */
export async function followReplay(follow: Follow): Promise<void> {
  let lastId: string | undefined;
  while (!follow.signal.aborted) {
    try {
      const response = await fetch(
        // fromHorizon: history removed by a retention policy starts the replay at the horizon
        // instead of refusing it (410); a server without retention ignores the parameter.
        apiUrl('v1/replay', {
          namespace: follow.namespace,
          agentId: follow.agentId,
          follow: true,
          fromHorizon: true,
        }),
        {
          headers: headers({
            accept: 'text/event-stream',
            ...(lastId === undefined ? {} : { 'last-event-id': lastId }),
          }),
          signal: follow.signal,
        },
      );
      if (!response.ok) {
        const error = await refusal(response);
        if (error.status !== 429 && error.status < 500) return follow.onError(error);
        throw error;
      }
      follow.onLive(true);
      for await (const message of serverSentEvents(response)) {
        if (message.event === 'replay') {
          lastId = message.id ?? lastId;
          follow.onEvent(JSON.parse(message.data) as ReplayEvent);
        }
        // 'end' (the server shuts down): the stream closes next; reconnect resumes at lastId.
      }
    } catch {
      if (follow.signal.aborted) return;
    }
    follow.onLive(false);
    await sleep(RECONNECT_MS, follow.signal);
  }
}

/** The commits of an agent between two commitTs (inclusive), read whole (NDJSON). */
export async function replayRange(query: {
  namespace: string;
  agentId: string;
  startTs: number;
  endTs: number;
}): Promise<ReplayEvent[]> {
  const response = await fetch(apiUrl('v1/replay', query), {
    headers: headers({ accept: 'application/x-ndjson' }),
  });
  if (!response.ok) throw await refusal(response);
  const text = await response.text();
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ReplayEvent | { end: string })
    .filter((event): event is ReplayEvent => 'commitTs' in event);
}

interface Message {
  event: string;
  id: string | undefined;
  data: string;
}

/** The messages of a text/event-stream body (comments such as heartbeats skipped). */
async function* serverSentEvents(response: Response): AsyncGenerator<Message> {
  if (!response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const message: Message = { event: 'message', id: undefined, data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') message.event = text;
        else if (field === 'id') message.id = text;
        else if (field === 'data') data.push(text);
      }
      if (data.length > 0) yield { ...message, data: data.join('\n') };
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
