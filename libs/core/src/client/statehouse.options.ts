import type { Redis, Cluster, RedisOptions } from 'ioredis';
import {
  validateInteger,
  validateName,
  validateNamespace,
  validateRetention,
  type RetentionPolicy,
} from '@statehouse/contract';
import { ValidationError } from '@statehouse/contract';
import type { BackgroundErrorHandler } from '../reporting/background-errors';
import { stderrErrorHandler } from '../reporting/error-throttle';

export interface StatehouseOptions {
  /** A Redis URL (`redis://host:6379/0`), an ioredis options object, or an existing ioredis instance. */
  redis: string | RedisOptions | Redis | Cluster;
  /**
   * The namespace used when a call names none. Default `"default"`. A namespace is any non-empty
   * Unicode name without control characters, at most 256 UTF-8 bytes (`team:alpha`, `日本語`).
   */
  namespace?: string;
  /** First part of every Redis key this client writes. Default `"sh"`. */
  keyPrefix?: string;
  /** Timeout of a transaction that names none. Default 30000. */
  defaultTimeoutMs?: number;
  /** Largest timeout a transaction may ask for. Default 600000 (10 minutes; the server's is 1 hour). */
  maxTimeoutMs?: number;
  /** Largest serialized value. Default 1 MiB. */
  maxValueBytes?: number;
  /** Most operations (distinct records) in one transaction. Default 1000, at most 3000. */
  maxOperationsPerTransaction?: number;
  /** Most bytes staged in one transaction. Default 16 MiB. */
  maxTransactionBytes?: number;
  /** How long a finished transaction stays known (for "already committed" and commit retries). Default 2 minutes. */
  finishedTransactionRetentionMs?: number;
  /**
   * Quota of a namespace, held in Redis across every client and server on it: most transactions
   * staged in Redis and open at once (buffered and read-only ones live in their client and do not
   * count). Default 50000. A begin beyond it throws QuotaExceededError.
   */
  maxOpenTransactionsPerNamespace?: number;
  /**
   * Quota of a namespace: most bytes staged at once by its open transactions (their staged values,
   * as maxTransactionBytes counts them). Default 256 MiB. A write beyond it throws
   * QuotaExceededError; nothing is staged and the transaction stays usable.
   */
  maxStagedBytesPerNamespace?: number;
  /** Run the timeout worker in this process (default true), or set its concurrency. */
  timeoutWorker?: boolean | { concurrency?: number };
  /**
   * BullMQ key prefix of the timeout queue. Default `"{<keyPrefix>-timeouts}"` (one Redis Cluster
   * slot; `"{sh-timeouts}"` with the default keyPrefix), so deployments with their own keyPrefix
   * on one Redis never take each other's timeout jobs.
   */
  queuePrefix?: string;
  /** Events per page when replaying. Default 256. */
  replayPageSize?: number;
  /** Most transactions begun by this client open at once (backpressure). Default 10000. */
  maxOpenTransactions?: number;
  /** How long beginTransaction waits for a free slot before LimitExceededError. Default 2000. */
  maxWaitMs?: number;
  /** Deadlines are swept in windows of this many ms (one BullMQ job per window and namespace). Default 10. */
  timeoutResolutionMs?: number;
  /**
   * When a commit is reported. `'primary'` (default): once the Redis primary applied it (and, with
   * AOF `appendfsync always`, wrote it to disk). `'replicated'`: also once `replication.replicas`
   * replicas received it (Redis `WAIT`), so a failover to a replica does not lose it; when they do
   * not acknowledge within `replication.timeoutMs`, commit() throws CommitUnknownError (reason
   * `'replication'`) and a retry waits again. See docs/design.md, "Replication and failover".
   */
  durability?: 'primary' | 'replicated';
  /**
   * With `durability: 'replicated'`: replicas that must acknowledge (default 1; only the number of
   * replicas of each master guarantees the promoted one has every reported commit), and how long
   * to wait (default 1000 ms).
   */
  replication?: { replicas?: number; timeoutMs?: number };
  /**
   * Receives every error of the client's background work, which no call reports: a failed
   * timeout sweep, the timeout worker's and queue's errors, lost Redis connections (one per failed
   * reconnect attempt of each connection), the follow-mode reader's. `source` says which. Errors
   * of a call are thrown to its caller, never reported here. Default: one line
   * `[statehouse] <source>: <message>` on stderr, at most one per source every 30 s, saying how
   * many were suppressed since the previous one. It must not throw.
   */
  onError?: BackgroundErrorHandler;
  /**
   * The retention policy of every namespace that has none of its own (`setRetention`). Default:
   * none, keep everything. See `setRetention`.
   */
  retention?: RetentionPolicy;
  /**
   * How often each namespace with a retention policy is compacted by a BullMQ job (run by
   * whichever process's worker takes it). Default 60000.
   */
  compactionIntervalMs?: number;
}

export interface ResolvedOptions {
  readonly namespace: string;
  readonly keyPrefix: string;
  readonly defaultTimeoutMs: number;
  readonly maxTimeoutMs: number;
  readonly maxValueBytes: number;
  readonly maxOperationsPerTransaction: number;
  readonly maxTransactionBytes: number;
  readonly finishedTransactionRetentionMs: number;
  readonly maxOpenTransactionsPerNamespace: number;
  readonly maxStagedBytesPerNamespace: number;
  readonly timeoutWorker: false | { concurrency: number };
  readonly queuePrefix: string;
  readonly replayPageSize: number;
  readonly timeoutResolutionMs: number;
  readonly maxOpenTransactions: number;
  readonly maxWaitMs: number;
  /** Set with `durability: 'replicated'`. */
  readonly replication: { readonly replicas: number; readonly timeoutMs: number } | undefined;
  readonly onError: BackgroundErrorHandler;
  readonly retention: RetentionPolicy;
  readonly compactionIntervalMs: number;
}

/** The Lua stack bounds how many operations one script can unpack. */
export const MAX_OPERATIONS_LIMIT = 3000;
const MIB = 1024 * 1024;

export function resolveOptions(options: StatehouseOptions): ResolvedOptions {
  const option = <T>(name: keyof StatehouseOptions, fallback: T): T =>
    options[name] === undefined ? fallback : (options[name] as T);
  const maxTimeoutMs = validateInteger(option('maxTimeoutMs', 600_000), 'maxTimeoutMs', 1);
  const worker = option<boolean | { concurrency?: number }>('timeoutWorker', true);
  const keyPrefix = validateName(option('keyPrefix', 'sh'), 'keyPrefix');
  if (/[{}]/.test(keyPrefix)) throw new ValidationError('keyPrefix', 'must not contain { or }');
  return {
    namespace: validateNamespace(option('namespace', 'default')),
    keyPrefix,
    defaultTimeoutMs: validateInteger(
      option('defaultTimeoutMs', 30_000),
      'defaultTimeoutMs',
      1,
      maxTimeoutMs,
    ),
    maxTimeoutMs,
    maxValueBytes: validateInteger(option('maxValueBytes', MIB), 'maxValueBytes', 2),
    maxOperationsPerTransaction: validateInteger(
      option('maxOperationsPerTransaction', 1000),
      'maxOperationsPerTransaction',
      1,
      MAX_OPERATIONS_LIMIT,
    ),
    maxTransactionBytes: validateInteger(
      option('maxTransactionBytes', 16 * MIB),
      'maxTransactionBytes',
      2,
    ),
    finishedTransactionRetentionMs: validateInteger(
      option('finishedTransactionRetentionMs', 120_000),
      'finishedTransactionRetentionMs',
      1000,
    ),
    maxOpenTransactionsPerNamespace: validateInteger(
      option('maxOpenTransactionsPerNamespace', 50_000),
      'maxOpenTransactionsPerNamespace',
      1,
    ),
    maxStagedBytesPerNamespace: validateInteger(
      option('maxStagedBytesPerNamespace', 256 * MIB),
      'maxStagedBytesPerNamespace',
      1,
    ),
    timeoutWorker:
      worker === false
        ? false
        : {
            concurrency: validateInteger(
              (typeof worker === 'object' ? worker.concurrency : undefined) ?? 32,
              'timeoutWorker.concurrency',
              1,
              1000,
            ),
          },
    queuePrefix: validateName(option('queuePrefix', `{${keyPrefix}-timeouts}`), 'queuePrefix'),
    replayPageSize: validateInteger(option('replayPageSize', 256), 'replayPageSize', 1, 10_000),
    maxOpenTransactions: validateInteger(
      option('maxOpenTransactions', 10_000),
      'maxOpenTransactions',
      1,
      1_000_000,
    ),
    maxWaitMs: validateInteger(option('maxWaitMs', 2000), 'maxWaitMs', 0, 600_000),
    timeoutResolutionMs: validateInteger(
      option('timeoutResolutionMs', 10),
      'timeoutResolutionMs',
      1,
      60_000,
    ),
    replication: resolveReplication(options),
    onError: resolveOnError(options.onError),
    retention:
      options.retention === undefined ? {} : validateRetention(options.retention, 'retention'),
    compactionIntervalMs: validateInteger(
      option('compactionIntervalMs', 60_000),
      'compactionIntervalMs',
      100,
      86_400_000,
    ),
  };
}

function resolveOnError(onError: unknown): BackgroundErrorHandler {
  if (onError === undefined) return stderrErrorHandler();
  if (typeof onError !== 'function') {
    throw new ValidationError('onError', 'must be a function (error, source) => void');
  }
  return onError as BackgroundErrorHandler;
}

function resolveReplication(options: StatehouseOptions): ResolvedOptions['replication'] {
  const durability = options.durability ?? 'primary';
  if (durability !== 'primary' && durability !== 'replicated') {
    throw new ValidationError('durability', "must be 'primary' or 'replicated'");
  }
  const given = options.replication;
  if (given !== undefined && (given === null || typeof given !== 'object')) {
    throw new ValidationError('replication', 'must be an object { replicas?, timeoutMs? }');
  }
  if (durability === 'primary') {
    if (given !== undefined) {
      throw new ValidationError('replication', "applies only with durability: 'replicated'");
    }
    return undefined;
  }
  return {
    replicas: validateInteger(given?.replicas ?? 1, 'replication.replicas', 1, 100),
    timeoutMs: validateInteger(given?.timeoutMs ?? 1000, 'replication.timeoutMs', 1, 600_000),
  };
}
