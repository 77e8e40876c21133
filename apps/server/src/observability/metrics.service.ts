import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Statehouse } from '@statehouse/core';
import { STATEHOUSE_CLIENT } from '../common/injection-tokens';
import { BackgroundErrors } from './background-errors';

const LINT_FAILING_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * Prometheus metrics, served at GET /metrics. Ours are named `statehouse_*`; Node.js' and the
 * process' are prom-client's stock names (`process_cpu_seconds_total`, `nodejs_heap_size_total_bytes`)
 * so that stock Node.js dashboards work. A scrape costs no Redis call: every figure is kept in this
 * process, and no label carries a namespace (no tenant's name is shown, and the cardinality stays
 * bounded).
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  /**
   * Every transaction this server began (BeginTransaction, POST /v1/transactions, POST /v1/commit).
   * With statehouse_transactions_total and statehouse_timeouts_fired_total summed over every
   * instance, it replaces the per-namespace open-transactions gauge, which cost a Redis call per
   * namespace per scrape.
   */
  readonly begins = new Counter({
    name: 'statehouse_transactions_begun_total',
    help: 'Transactions begun through this server',
    registers: [this.registry],
  });
  readonly transactions = new Counter({
    name: 'statehouse_transactions_total',
    help: 'Transactions finished through this server, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly commitDuration = new Histogram({
    name: 'statehouse_commit_duration_seconds',
    help: 'Time to commit a transaction (the commit call), successful or not',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  /**
   * HTTP: method = the HTTP method, route = the route pattern (`/v1/transactions/:txId/commit`,
   * `unmatched` for none: never the raw URL). gRPC: method = the RPC (`Commit`), route = its path
   * (`/statehouse.v1.StatehouseService/Commit`).
   */
  readonly rpcDuration = new Histogram({
    name: 'statehouse_rpc_duration_seconds',
    help: 'Duration of gRPC calls and HTTP requests, by transport, method, route and status code',
    labelNames: ['transport', 'method', 'route', 'code'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });
  readonly replayFollowers = new Gauge({
    name: 'statehouse_replay_followers',
    help: 'Follow-mode replays open on this server, by transport (http-ndjson, http-sse, grpc)',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });

  constructor(@Inject(STATEHOUSE_CLIENT) client: Statehouse, backgroundErrors: BackgroundErrors) {
    new Counter({
      name: 'statehouse_timeouts_fired_total',
      help: 'Transactions this process timed out (its timeout worker)',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(client.stats.timeoutsFired);
      },
    });
    // Counted from the start (errors come before the application does), every source shown.
    new Counter({
      name: 'statehouse_background_errors_total',
      help:
        'Errors of background work that no request reports, by source: timeout-sweep, ' +
        'timeout-worker, timeout-queue, redis-connection (each failed reconnect attempt), ' +
        'follow-reader, compaction',
      labelNames: ['source'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [source, count] of backgroundErrors.totals) this.inc({ source }, count);
      },
    });
    // Compaction (retention) as this process ran it: whichever replica's worker takes a
    // namespace's job reports it, so sum the counter over instances and take the max horizon.
    new Counter({
      name: 'statehouse_compacted_entries_total',
      help: 'Log entries (commits) removed by the compactions this process ran, by namespace',
      labelNames: ['namespace'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [namespace, stats] of client.compactionStats) {
          this.inc({ namespace }, stats.entriesRemoved);
        }
      },
    });
    new Gauge({
      name: 'statehouse_compaction_horizon',
      help:
        "A namespace's compaction horizon (compactedTs) after this process's last compaction: " +
        'reads as of an earlier commitTs are refused (VERSION_COMPACTED)',
      labelNames: ['namespace'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [namespace, stats] of client.compactionStats) {
          this.set({ namespace }, stats.compactedTs);
        }
      },
    });
    collectDefaultMetrics({ register: this.registry });
    // prom-client's gauges named *_total (a counter's suffix) fail `promtool check metrics`; each
    // is the sum of its labelled twin, which stays: sum(nodejs_active_handles) and so on.
    for (const name of LINT_FAILING_DEFAULTS) this.registry.removeSingleMetric(name);
  }

  /** Counts a transaction this server began. */
  begun(): void {
    this.begins.inc();
  }

  /** Records the outcome of a transaction finished by a request. */
  outcome(outcome: 'committed' | 'aborted' | 'conflict' | 'timedOut' | 'failed'): void {
    this.transactions.inc({ outcome });
  }
}
