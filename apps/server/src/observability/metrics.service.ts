import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Statehouse } from '@statehouse/core';
import { STATEHOUSE_CLIENT } from '../common/injection-tokens';

const MAX_NAMESPACES = 1000;

/** Prometheus metrics, every name prefixed `statehouse_`, served at GET /metrics. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
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
  readonly rpcDuration = new Histogram({
    name: 'statehouse_rpc_duration_seconds',
    help: 'Duration of gRPC calls and HTTP requests, by transport, method and status code',
    labelNames: ['transport', 'method', 'code'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });
  readonly replayFollowers = new Gauge({
    name: 'statehouse_replay_followers',
    help: 'Follow-mode replays open on this server, by transport (http-ndjson, http-sse, grpc)',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });

  constructor(@Inject(STATEHOUSE_CLIENT) client: Statehouse) {
    const namespaces = this.namespaces;
    new Gauge({
      name: 'statehouse_open_transactions',
      help: 'Transactions open in Redis, by namespace (the namespaces this process has served)',
      labelNames: ['namespace'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        await Promise.all(
          [...namespaces].map(async (namespace) =>
            this.set({ namespace }, await client.openTransactionCount(namespace).catch(() => 0)),
          ),
        );
      },
    });
    new Counter({
      name: 'statehouse_timeouts_fired_total',
      help: 'Transactions this process timed out (its timeout worker)',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(client.stats.timeoutsFired);
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'statehouse_process_' });
  }

  /** Namespaces served (at most MAX_NAMESPACES), for the open-transactions gauge. */
  private readonly namespaces = new Set<string>();

  /** Notes a namespace a request used. */
  namespaceServed(namespace: string): void {
    if (this.namespaces.size < MAX_NAMESPACES) this.namespaces.add(namespace);
  }

  /** Records the outcome of a transaction finished by a request. */
  outcome(outcome: 'committed' | 'aborted' | 'conflict' | 'timedOut' | 'failed'): void {
    this.transactions.inc({ outcome });
  }
}
