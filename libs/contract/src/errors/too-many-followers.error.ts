import { StatehouseError } from './statehouse.error';

/** A follow-mode replay refused: its caller already has as many open as the server allows. */
export class TooManyFollowersError extends StatehouseError {
  readonly code = 'TOO_MANY_FOLLOWERS' as const;
  readonly max: number;

  constructor(max: number) {
    super(
      `Too many follow-mode replays: this token already has ${max} open, the server's limit ` +
        '(--max-followers-per-token). End one (leave its stream) or ask for a higher limit.',
    );
    this.max = max;
  }
}
