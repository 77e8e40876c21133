import type { Redis, Cluster } from 'ioredis';
import { BackgroundErrorReporter } from '../reporting/background-error-reporter';
import { RetentionRepository } from '../storage/retention.repository';
import { TransactionRepository } from '../storage/transaction.repository';
import { TimeoutQueue } from '../timeouts/timeout.queue';
import { sweepTimeouts } from '../timeouts/timeout-sweeper';
import { TimeoutWorker } from '../timeouts/timeout.worker';
import { validateArgs } from '@statehouse/contract';
import { withinMs } from './client-support';
import { Compactor } from './compaction';
import { dropConnection, duplicateConnection, openConnection } from './connection';
import { resolveOptions, type ResolvedOptions, type StatehouseOptions } from './statehouse.options';

/** Most begins, writes or commits grouped into one script call (bounded by Lua's stack). */
const BATCH_LIMIT = 256;
/** How long close() waits for a graceful shutdown before it drops the connections. */
const CLOSE_GRACE_MS = 5000;

/** What a client runs on: its connections, the transaction repository and the timeout queue and worker. */
export interface Engine {
  readonly options: ResolvedOptions;
  readonly transactions: TransactionRepository;
  readonly queue: TimeoutQueue;
  readonly worker: TimeoutWorker | undefined;
  /** Retention policies and compaction (its scheduled jobs run on the timeout worker). */
  readonly compactor: Compactor;
  /** The connections this client opened, and so closes. */
  readonly ownedConnections: Array<Redis | Cluster>;
  /** Counters of this process' engine (for metrics). */
  readonly stats: EngineStats;
  /** Where background errors go (the `onError` option); watches every connection. */
  readonly errors: BackgroundErrorReporter;
}

export interface EngineStats {
  /** Transactions this process' timeout worker moved to timedOut. */
  timeoutsFired: number;
}

/** Connects to Redis and, unless switched off, starts this process's timeout worker. */
export async function startEngine(options: StatehouseOptions): Promise<Engine> {
  const resolved = resolveOptions(validateArgs<StatehouseOptions>(options, 'connect'));
  const errors = new BackgroundErrorReporter(resolved.onError);
  const watch = errors.watch.bind(errors);
  const { redis, owned } = await openConnection(options.redis, watch);
  const queueConnection = duplicateConnection(redis, false, watch);
  const owners = owned ? [redis, queueConnection] : [queueConnection];
  const repository = new TransactionRepository(redis, resolved.keyPrefix, {
    maxOperations: resolved.maxOperationsPerTransaction,
    maxBytes: resolved.maxTransactionBytes,
    maxOpenPerNamespace: resolved.maxOpenTransactionsPerNamespace,
    maxStagedBytesPerNamespace: resolved.maxStagedBytesPerNamespace,
    retentionMs: resolved.finishedTransactionRetentionMs,
    maxBatch: BATCH_LIMIT,
    replication: resolved.replication,
  });
  const queue = new TimeoutQueue(
    queueConnection,
    resolved.queuePrefix,
    resolved.timeoutResolutionMs,
    errors.report,
  );
  const compactor = new Compactor(
    new RetentionRepository(repository.redis, (namespace) => repository.keys(namespace)),
    queue,
    { policy: resolved.retention, intervalMs: resolved.compactionIntervalMs },
    errors.report,
  );
  const stats: EngineStats = { timeoutsFired: 0 };
  let worker: TimeoutWorker | undefined;
  if (resolved.timeoutWorker) {
    const workerConnection = duplicateConnection(redis, true, watch);
    owners.push(workerConnection);
    worker = new TimeoutWorker(
      workerConnection,
      resolved.queuePrefix,
      async (sweep) => {
        const result = await sweepTimeouts(repository, sweep);
        stats.timeoutsFired += result.timedOut;
        return result;
      },
      {
        ...resolved.timeoutWorker,
        onError: errors.report,
        compact: (job) => compactor.runScheduled(job),
      },
    );
  }
  return {
    options: resolved,
    transactions: repository,
    queue,
    worker,
    compactor,
    ownedConnections: owners,
    stats,
    errors,
  };
}

/** Stops the worker and queue and closes the owned connections, gracefully if Redis answers. */
export async function stopEngine({
  worker,
  queue,
  ownedConnections,
  errors,
}: Engine): Promise<void> {
  // Graceful first (running timeout sweeps finish, queued commands drain); if Redis is gone,
  // give up after CLOSE_GRACE_MS and drop the connections rather than hang the caller, or keep
  // its process alive (test: engine-close.test.ts).
  const graceful = (async () => {
    await worker?.close(CLOSE_GRACE_MS);
    await queue.close();
    await Promise.all(ownedConnections.map((connection) => connection.quit()));
  })();
  await withinMs(graceful, CLOSE_GRACE_MS + 500); // the worker's own grace, and a margin
  for (const connection of ownedConnections) dropConnection(connection); // no-op once quit
  errors.close();
}
