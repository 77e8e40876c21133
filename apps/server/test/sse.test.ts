import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { EventSource } from 'eventsource';
import type { RunningServer } from '../src/server';
import { commitOverHttp } from './support/followers';
import { startTestServer } from './support/server';

// The replay as server-sent events, read the way browsers read it: every event's `id` is its
// commitTs, a reconnect sending `Last-Event-ID` resumes after that commit (no event twice, none
// missed), and a quiet stream gets a heartbeat comment every --sse-heartbeat-ms.

let server: RunningServer;
let base: string;

beforeAll(async () => {
  server = await startTestServer({ sseHeartbeatMs: 200 });
  base = `http://127.0.0.1:${server.httpPort}`;
});

afterAll(() => server.close());

const namespace = (): string => `sse-${randomBytes(5).toString('hex')}`;

const commit = commitOverHttp;

interface SseMessage {
  readonly event?: string;
  readonly id?: string;
  readonly data?: string;
  /** A comment line's text (`: heartbeat`). */
  readonly comment?: string;
}

/** Parses an SSE body into its messages and comments (one per block between blank lines). */
function parseSse(text: string): SseMessage[] {
  return text
    .split('\n\n')
    .filter((block) => block !== '')
    .map((block) => {
      const message: Record<string, string> = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) message.comment = line.slice(1).trim();
        else {
          const at = line.indexOf(': ');
          message[line.slice(0, at)] = line.slice(at + 2);
        }
      }
      return message;
    });
}

/** An SSE request with fetch; reads until `enough` holds for what arrived, then leaves. */
async function readSse(
  url: string,
  headers: Record<string, string>,
  enough: (messages: SseMessage[]) => boolean,
): Promise<{ status: number; contentType: string | null; messages: SseMessage[] }> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  const contentType = response.headers.get('content-type');
  if (response.status !== 200) {
    return { status: response.status, contentType, messages: [{ data: await response.text() }] };
  }
  const decoder = new TextDecoder();
  let text = '';
  const deadline = setTimeout(() => controller.abort(), 20_000);
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      // Only whole messages count.
      if (enough(parseSse(text.slice(0, text.lastIndexOf('\n\n') + 2)))) break;
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(deadline);
    controller.abort();
  }
  return {
    status: 200,
    contentType,
    messages: parseSse(text.slice(0, text.lastIndexOf('\n\n') + 2)),
  };
}

const events = (messages: SseMessage[]): SseMessage[] => messages.filter((m) => m.event);
const commitTsOf = (message: SseMessage): number =>
  (JSON.parse(message.data!) as { commitTs: number }).commitTs;

describe('SSE replay', () => {
  it('gives every event its commitTs as id, and resumes after Last-Event-ID without duplicates or gaps', async () => {
    const ns = namespace();
    const written: number[] = [];
    for (let i = 0; i < 5; i++) written.push(await commit(base, ns, 'a', { i }));
    const url = `${base}/v1/replay?namespace=${ns}&agentId=a`;

    const all = await readSse(url, {}, () => false); // a history replay ends by itself
    expect(all.contentType).toContain('text/event-stream');
    expect(events(all.messages).map((m) => [m.event, Number(m.id), commitTsOf(m)])).toEqual(
      written.map((ts) => ['replay', ts, ts]),
    );

    const resumed = await readSse(url, { 'last-event-id': String(written[1]) }, () => false);
    expect(events(resumed.messages).map(commitTsOf)).toEqual(written.slice(2));
    // Resuming never goes back before the range asked for, nor past its end.
    const ranged = await readSse(
      `${url}&startTs=${written[3]}&endTs=${written[3]}`,
      { 'last-event-id': String(written[0]) },
      () => false,
    );
    expect(events(ranged.messages).map(commitTsOf)).toEqual([written[3]]);
    const past = await readSse(url, { 'last-event-id': String(written[4]) }, () => false);
    expect(events(past.messages)).toEqual([]);
  });

  it('resumes a follower after the last event it received, then goes on live', async () => {
    const ns = namespace();
    const first = [await commit(base, ns, 'f', { i: 0 }), await commit(base, ns, 'f', { i: 1 })];
    const url = `${base}/v1/replay?namespace=${ns}&agentId=f&follow=true`;
    const before = await readSse(url, {}, (m) => events(m).length === 2);
    expect(events(before.messages).map(commitTsOf)).toEqual(first);
    // Commits while the client is away, then one more while it is back.
    const missed = [await commit(base, ns, 'f', { i: 2 }), await commit(base, ns, 'f', { i: 3 })];
    const lastId = events(before.messages).at(-1)!.id!;
    const reading = readSse(url, { 'last-event-id': lastId }, (m) => events(m).length === 3);
    const live = await commit(base, ns, 'f', { i: 4 });
    const after = await reading;
    expect(events(after.messages).map(commitTsOf)).toEqual([...missed, live]);
  });

  it('refuses a Last-Event-ID that is not a commitTs with a problem document', async () => {
    for (const bad of ['abc', '-1', '1.5', '99999999999999999999']) {
      const answer = await readSse(
        `${base}/v1/replay?agentId=a&namespace=${namespace()}`,
        { 'last-event-id': bad },
        () => true,
      );
      expect(answer.status).toBe(400);
      expect(answer.contentType).toContain('application/problem+json');
      expect(JSON.parse(answer.messages[0]!.data!)).toMatchObject({
        code: 'VALIDATION_FAILED',
        detail: expect.stringContaining('Last-Event-ID') as string,
      });
    }
  });

  it('sends a heartbeat comment on a quiet stream, between events', async () => {
    const ns = namespace();
    const ts = await commit(base, ns, 'h', { i: 0 });
    // The server of this file beats every 200 ms: wait for three beats after the event.
    const quiet = await readSse(
      `${base}/v1/replay?namespace=${ns}&agentId=h&follow=true`,
      {},
      (m) => m.filter((message) => message.comment === 'heartbeat').length >= 3,
    );
    expect(events(quiet.messages).map(commitTsOf)).toEqual([ts]);
    expect(quiet.messages.filter((m) => m.comment === 'heartbeat')).toHaveLength(3);
    // A heartbeat is a comment only: no event, no id.
    expect(quiet.messages.filter((m) => m.comment).every((m) => !m.event && !m.id)).toBe(true);
  });

  it('lets an EventSource follow across a server restart: it resumes after its last event', async () => {
    const ns = namespace();
    // A server of its own, on a port a second server takes over after it stops.
    const first = await startTestServer();
    const port = (first.app.getHttpServer() as { address(): AddressInfo }).address().port;
    const at = `http://127.0.0.1:${port}`;
    const history = [await commit(at, ns, 'e', { i: 0 }), await commit(at, ns, 'e', { i: 1 })];
    const received: number[] = [];
    const ends: string[] = [];
    const source = new EventSource(`${at}/v1/replay?namespace=${ns}&agentId=e&follow=true`);
    source.addEventListener('replay', (event) => received.push(commitTsOf(event)));
    source.addEventListener('end', (event) => ends.push(event.data));
    let second: RunningServer | undefined;
    try {
      await until(() => received.length === 2);
      expect(received).toEqual(history);
      await first.close(); // the stream ends with its `end` event; EventSource reconnects
      await until(() => ends.length > 0);
      expect(ends).toEqual([JSON.stringify({ reason: 'server shutting down' })]);
      // Commits while no server listens on that port (through the shared server of this file).
      const missed = [await commit(base, ns, 'e', { i: 2 }), await commit(base, ns, 'e', { i: 3 })];
      second = await startTestServer({ httpPort: port });
      await until(() => received.length >= 4);
      const live = await commit(at, ns, 'e', { i: 4 });
      await until(() => received.length >= 5);
      expect(received).toEqual([...history, ...missed, live]);
    } finally {
      source.close();
      await second?.close();
    }
  });
});

/** Waits (polling) until `done` holds, for at most 20 s. */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
