import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import { StorageUnavailableError, ValidationError } from '@statehouse/contract';

/** Commands fail (StorageUnavailableError) after this many reconnect attempts instead of hanging. */
const MAX_RETRIES_PER_REQUEST = 2;
/** Reconnect attempts back off up to this delay, so an outage is noticed (and ended) quickly. */
const MAX_RECONNECT_DELAY_MS = 500;
/**
 * A connection attempt that gets no answer at all (a host or container that is gone: no refusal
 * comes back) fails after this long instead of ioredis' 10 s, so commands waiting on a reconnect
 * fail (or go through) within seconds.
 */
const CONNECT_TIMEOUT_MS = 2000;

/**
 * Connection errors reach callers as StorageUnavailableError through their commands; the 'error'
 * events ioredis also emits would otherwise be printed as "Unhandled error event".
 */
function silenceErrorEvents(redis: Redis | Cluster): Redis | Cluster {
  redis.on('error', () => undefined);
  return redis;
}

export interface OpenedConnection {
  readonly redis: Redis | Cluster;
  /** True when this library created the connection and so must close it. */
  readonly owned: boolean;
}

function isClient(value: unknown): value is Redis | Cluster {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Redis).defineCommand === 'function' &&
    typeof (value as Redis).duplicate === 'function'
  );
}

/** Connects to Redis from a URL, an options object or an existing ioredis client. */
export async function openConnection(
  target: string | RedisOptions | Redis | Cluster,
): Promise<OpenedConnection> {
  if (target === null || (typeof target !== 'string' && typeof target !== 'object')) {
    throw new ValidationError(
      'redis',
      'must be a Redis URL (redis://host:6379), ioredis options or an ioredis instance',
    );
  }
  // The settings that apply to each connection: a client's own, a cluster's and its nodes'.
  const given = isClient(target) ? target.options : target;
  const settings: Array<Partial<RedisOptions>> =
    typeof given === 'string'
      ? []
      : [
          given,
          ...((target as Cluster).isCluster
            ? [(target as Cluster).options.redisOptions ?? {}]
            : []),
        ];
  if (settings.some((options) => options.keyPrefix)) {
    throw new ValidationError(
      'redis',
      "must not use ioredis' keyPrefix (BullMQ refuses it): use Statehouse's keyPrefix option instead",
    );
  }
  if (settings.some((options) => options.autoResendUnfulfilledCommands === false)) {
    // ioredis 6 then drops the commands in flight when a connection is lost without settling
    // them: a commit would wait forever. Resending is safe: a resent commit never applies twice.
    throw new ValidationError(
      'redis',
      'must not set autoResendUnfulfilledCommands: false (ioredis then leaves the commands in ' +
        'flight at a reconnect pending forever); Statehouse commits are safe to resend',
    );
  }
  if (isClient(target)) return { redis: target, owned: false };
  const options: RedisOptions = {
    lazyConnect: true,
    enableAutoPipelining: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: MAX_RETRIES_PER_REQUEST,
    // The first connection fails fast (connect() reports it); reconnects back off afterwards.
    retryStrategy: () => null,
  };
  const redis =
    typeof target === 'string' ? new Redis(target, options) : new Redis({ ...options, ...target });
  silenceErrorEvents(redis);
  try {
    await redis.connect();
    redis.options.retryStrategy = (attempt) => Math.min(attempt * 50, MAX_RECONNECT_DELAY_MS);
    return { redis, owned: true };
  } catch (error) {
    dropConnection(redis);
    const where =
      typeof target === 'string'
        ? redactUrl(target)
        : `${target.host ?? '127.0.0.1'}:${target.port ?? 6379}`;
    throw new StorageUnavailableError(
      `cannot connect to Redis at ${where} (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
}

/** A URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable Redis URL)';
  }
}

/** A second connection with the same settings, for BullMQ and blocking reads. */
export function duplicateConnection(redis: Redis | Cluster, blocking: boolean): Redis | Cluster {
  const overrides: RedisOptions = blocking
    ? { maxRetriesPerRequest: null, enableAutoPipelining: false, lazyConnect: false }
    : { lazyConnect: false };
  if ((redis as Cluster).isCluster) {
    // A cluster's per-node settings live in redisOptions (BullMQ checks them there), and the
    // cluster-level maxRetriesPerRequest must match for blocking commands.
    const cluster = redis as Cluster;
    const { redisOptions, ...clusterOptions } = cluster.options;
    return silenceErrorEvents(
      cluster.duplicate([], {
        ...clusterOptions,
        lazyConnect: false,
        ...(blocking ? { enableAutoPipelining: false, maxRetriesPerRequest: null } : {}),
        redisOptions: { ...redisOptions, ...overrides },
      }),
    );
  }
  return silenceErrorEvents((redis as Redis).duplicate(overrides));
}

/**
 * Closes a connection at once. Only once: ioredis arms a 2-second timer on every disconnect() that
 * is cleared only by the socket's close event, so a second call on a closed socket would keep the
 * process alive for 2 s.
 */
export function dropConnection(redis: Redis | Cluster): void {
  if (redis.status !== 'end') redis.disconnect();
}
