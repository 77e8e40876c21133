import { Inject, Injectable } from '@nestjs/common';
import { TooManyFollowersError } from '@statehouse/core';
import type { Principal } from '../common/auth';
import { SERVER_CONFIG } from '../common/injection-tokens';
import type { ServerConfig } from '../config/server-config';
import { MetricsService } from '../observability/metrics.service';

export type ReplayTransport = 'http-ndjson' | 'http-sse' | 'grpc';

/** A registered replay stream: `ended` aborts when the server ends it (shutdown). */
export interface ReplayStream {
  readonly ended: AbortSignal;
  /** Unregisters it (idempotent): the stream is over, whatever the reason. */
  release(): void;
}

const DEFAULT_MAX_FOLLOWERS = 100;

/**
 * Every replay stream the server has open (HTTP NDJSON and SSE, both gRPC services): counts the
 * follow-mode ones per caller (the --max-followers-per-token cap, the statehouse_replay_followers
 * gauge), and ends them all at once at shutdown, each with its transport's final event. Without
 * tokens every caller is `anonymous`, so the cap bounds all followers of the server together.
 */
@Injectable()
export class ReplayStreams {
  private readonly streams = new Set<AbortController>();
  private readonly followersOf = new Map<string, number>();
  private readonly maxFollowers: number;
  private ending = false;

  constructor(
    @Inject(SERVER_CONFIG) config: ServerConfig,
    private readonly metrics: MetricsService,
  ) {
    this.maxFollowers = config.maxFollowersPerToken ?? DEFAULT_MAX_FOLLOWERS;
  }

  /**
   * Registers a stream; TooManyFollowersError when a follower would pass its caller's cap. During
   * shutdown a new stream is ended at once (it gets the final event and nothing else).
   */
  open(principal: Principal, transport: ReplayTransport, follow: boolean): ReplayStream {
    const open = this.followersOf.get(principal.id) ?? 0;
    if (follow && open >= this.maxFollowers) throw new TooManyFollowersError(this.maxFollowers);
    const controller = new AbortController();
    this.streams.add(controller);
    if (follow) {
      this.followersOf.set(principal.id, open + 1);
      this.metrics.replayFollowers.inc({ transport });
    }
    if (this.ending) controller.abort();
    let released = false;
    return {
      ended: controller.signal,
      release: () => {
        if (released) return;
        released = true;
        this.streams.delete(controller);
        if (!follow) return;
        const left = (this.followersOf.get(principal.id) ?? 1) - 1;
        if (left === 0) this.followersOf.delete(principal.id);
        else this.followersOf.set(principal.id, left);
        this.metrics.replayFollowers.dec({ transport });
      },
    };
  }

  /** Shutdown: ends every open stream now, and every later one as it opens. */
  endAll(): void {
    this.ending = true;
    for (const controller of this.streams) controller.abort();
  }
}
