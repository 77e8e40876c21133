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

/** Called with every connection opened here, so that its 'error' events are reported. */
export type ConnectionWatcher = (connection: Redis | Cluster, owned: boolean) => void;

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
  watch: ConnectionWatcher,
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
  if (isClient(target)) {
    watch(target, false);
    return { redis: target, owned: false };
  }
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
  // The first connection's failure is thrown by connect() below (StorageUnavailableError): the
  // 'error' event ioredis emits with it must not be reported a second time, nor printed as an
  // "Unhandled error event". Once connected, every error is reported.
  const connecting = (): void => undefined;
  redis.on('error', connecting);
  try {
    await redis.connect();
    redis.options.retryStrategy = (attempt) => Math.min(attempt * 50, MAX_RECONNECT_DELAY_MS);
    watch(redis, true);
    redis.off('error', connecting);
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
export function duplicateConnection(
  redis: Redis | Cluster,
  blocking: boolean,
  watch: ConnectionWatcher,
): Redis | Cluster {
  const overrides: RedisOptions = blocking
    ? { maxRetriesPerRequest: null, enableAutoPipelining: false, lazyConnect: false }
    : { lazyConnect: false };
  if ((redis as Cluster).isCluster) {
    // A cluster's per-node settings live in redisOptions (BullMQ checks them there), and the
    // cluster-level maxRetriesPerRequest must match for blocking commands.
    const cluster = redis as Cluster;
    const { redisOptions, ...clusterOptions } = cluster.options;
    const duplicate = cluster.duplicate([], {
      ...clusterOptions,
      lazyConnect: false,
      ...(blocking ? { enableAutoPipelining: false, maxRetriesPerRequest: null } : {}),
      redisOptions: { ...redisOptions, ...overrides },
    });
    watch(duplicate, true);
    return duplicate;
  }
  const duplicate = (redis as Redis).duplicate(overrides);
  watch(duplicate, true);
  return duplicate;
}

/**
 * Closes a connection at once. Only once: ioredis arms a 2-second timer on every disconnect() that
 * is cleared only by the socket's close event, so a second call on a closed socket would keep the
 * process alive for 2 s.
 */
export function dropConnection(redis: Redis | Cluster): void {
  if (redis.status !== 'end') redis.disconnect();
}
