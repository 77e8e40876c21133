import { ShuttingDownError, type ReplayEvent } from '@statehouse/core';
import type { ReplayStreams } from '../statehouse/replay-streams';
import type { CallContext } from './rpc-handlers';

/**
 * A Replay call of either gRPC service: registered with the server's replay streams (the follower
 * cap and gauge, shutdown), ended at once when the client cancels (its place in the live feed is
 * released), and failed with ShuttingDownError (UNAVAILABLE "server shutting down") when the
 * server ends it at shutdown.
 */
export async function replayCall(
  streams: ReplayStreams,
  context: CallContext,
  follow: boolean,
  replay: (signal: AbortSignal) => AsyncIterable<ReplayEvent>,
  send: (event: ReplayEvent, stop: AbortSignal) => Promise<void>,
): Promise<void> {
  const stream = streams.open(context.principal, 'grpc', follow);
  try {
    const stop = AbortSignal.any([context.signal, stream.ended]);
    for await (const event of replay(stop)) {
      if (stop.aborted) break;
      await send(event, stop);
    }
    if (stream.ended.aborted && !context.signal.aborted) throw new ShuttingDownError();
  } finally {
    stream.release();
  }
}
