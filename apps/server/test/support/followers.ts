import type * as grpc from '@grpc/grpc-js';
import type { V1 } from './server';

/** What a follower saw: events (commitTs), and the final event of a shutdown, if any. */
export interface Seen {
  readonly events: number[];
  end: string | undefined;
  /** The stream's error (gRPC status text), if it failed. */
  error: string | undefined;
}

export interface Follower {
  readonly seen: Seen;
  /** Resolves when the stream's headers arrived (HTTP) or its metadata (gRPC). */
  readonly started: Promise<void>;
  /** Resolves when the stream ended, whatever the reason. */
  readonly done: Promise<void>;
  leave(): void;
  /** gRPC only: read again after `pauseAfter` events. */
  resume?(): void;
}

/** A follower over HTTP, NDJSON or SSE, parsing what it receives. */
export function httpFollower(
  base: string,
  query: string,
  options: { sse?: boolean; token?: string } = {},
): Follower {
  const controller = new AbortController();
  const seen: Seen = { events: [], end: undefined, error: undefined };
  let started!: () => void;
  const startedPromise = new Promise<void>((resolve) => (started = resolve));
  const done = (async () => {
    try {
      const response = await fetch(`${base}/v1/replay?${query}`, {
        signal: controller.signal,
        headers: {
          ...(options.sse ? { accept: 'text/event-stream' } : {}),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
      });
      started();
      if (response.status !== 200) {
        seen.error = `${response.status} ${await response.text()}`;
        return;
      }
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        const separator = options.sse ? '\n\n' : '\n';
        let at: number;
        while ((at = buffer.indexOf(separator)) >= 0) {
          const item = buffer.slice(0, at);
          buffer = buffer.slice(at + separator.length);
          if (options.sse) {
            if (item.startsWith(':')) continue; // a heartbeat comment
            const data = JSON.parse(/^data: (.*)$/m.exec(item)![1]!) as Record<string, unknown>;
            if (item.startsWith('event: end')) seen.end = data.reason as string;
            else seen.events.push(data.commitTs as number);
          } else {
            const line = JSON.parse(item) as Record<string, unknown>;
            if (typeof line.end === 'string') seen.end = line.end;
            else seen.events.push(line.commitTs as number);
          }
        }
      }
    } catch (error) {
      started();
      if (!controller.signal.aborted) seen.error = String(error);
    }
  })();
  return { seen, started: startedPromise, done, leave: () => controller.abort() };
}

/** A Replay stream of either gRPC service (`follow` is for the ext service only). */
export function grpcFollower(
  client: V1,
  request: object,
  options: { pauseAfter?: number } = {},
): Follower {
  const seen: Seen = { events: [], end: undefined, error: undefined };
  const stream = (
    client.raw as unknown as {
      Replay(r: object, m: grpc.Metadata): grpc.ClientReadableStream<{ commit_ts: number }>;
    }
  ).Replay(request, client.metadata());
  const started = new Promise<void>((resolve) => stream.once('metadata', () => resolve()));
  let left = false;
  const done = new Promise<void>((resolve) => {
    stream.on('data', (event: { commit_ts: number }) => {
      seen.events.push(Number(event.commit_ts));
      if (seen.events.length === options.pauseAfter) stream.pause();
    });
    stream.on('error', (error: grpc.ServiceError) => {
      if (!left) seen.error = `${error.code} ${error.details}`;
      resolve();
    });
    stream.on('end', () => resolve());
  });
  return {
    seen,
    started,
    done,
    leave: () => {
      left = true;
      stream.cancel();
    },
    resume: () => stream.resume(),
  };
}

/** The statehouse_replay_followers gauge, by transport. */
export async function followerGauge(base: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const gauge: Record<string, number> = {};
  for (const [, transport, value] of text.matchAll(
    /^statehouse_replay_followers\{transport="([^"]+)"\} (\d+)$/gm,
  )) {
    gauge[transport!] = Number(value);
  }
  return gauge;
}

/** Commits a write of `value` to the agent's key `k` over HTTP (POST /v1/commit): its commitTs. */
export async function commitOverHttp(
  base: string,
  namespace: string,
  agentId: string,
  value: object,
): Promise<number> {
  const response = await fetch(`${base}/v1/commit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ namespace, operations: [{ op: 'write', agentId, key: 'k', value }] }),
  });
  if (response.status !== 200) {
    throw new Error(`commit answered ${response.status}: ${await response.text()}`);
  }
  return ((await response.json()) as { commitTs: number }).commitTs;
}
