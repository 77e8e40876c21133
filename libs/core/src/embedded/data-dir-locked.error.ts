import { EmbeddedRedisError } from './embedded-redis.error';

/** What a data directory's lock file says about the process holding it. */
export interface DataDirLockHolder {
  readonly pid: number;
  readonly hostname?: string;
  readonly redisPid?: number;
  readonly redisPort?: number;
  readonly startedAt?: string;
  /** What the holder added about itself (a server's gRPC and HTTP ports). */
  readonly [detail: string]: unknown;
}

/**
 * Another live process holds the data directory: starting a second redis-server on the same AOF
 * files would corrupt them, so none is started.
 */
export class DataDirLockedError extends EmbeddedRedisError {
  override readonly name = 'DataDirLockedError';
  override readonly code = 'DATA_DIR_LOCKED';

  constructor(
    readonly dataDir: string,
    readonly lockFile: string,
    readonly holder: DataDirLockHolder,
    /** The holder itself is gone but its redis-server still runs. */
    orphan = false,
  ) {
    const ports = Object.entries(holder)
      .filter(([name, value]) => /Port$/.test(name) && typeof value === 'number')
      .map(([name, value]) => `${name} ${String(value)}`)
      .join(', ');
    const who = orphan
      ? `the redis-server (pid ${holder.redisPid}${holder.redisPort ? `, port ${holder.redisPort}` : ''}) that process ${holder.pid} started on it still runs: stop that redis-server`
      : `process ${holder.pid}${holder.hostname ? ` on ${holder.hostname}` : ''}` +
        `${ports ? ` (${ports})` : ''}${holder.startedAt ? `, started ${holder.startedAt},` : ''} uses it: stop that server`;
    super(
      `The data directory ${dataDir} is in use: ${who}, or give this one another --data-dir ` +
        `(STATEHOUSE_DATA_DIR). Lock file: ${lockFile}`,
    );
  }
}
