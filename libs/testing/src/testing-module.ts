import { randomBytes } from 'node:crypto';
import type { ModuleMetadata } from '@nestjs/common';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { StatehouseModule, type EmbeddedStatehouseOptions } from '@statehouse/nestjs';

export interface StatehouseTestingOptions {
  /** The Redis to use: default $REDIS_URL (e.g. from startStatehouseRedis() in a global setup). */
  readonly redisUrl?: string;
  /** A Redis Cluster instead (e.g. `startLocalRedisCluster().nodes`); the module opens and closes it. */
  readonly cluster?: { readonly nodes: ReadonlyArray<{ host: string; port: number }> };
  /** Default: a fresh one (`test-<random>`), so tests can run in parallel on one Redis. */
  readonly namespace?: string;
  /** Other options of the embedded engine (timeoutWorker, limits...). */
  readonly statehouse?: Omit<EmbeddedStatehouseOptions, 'redis' | 'namespace'>;
}

/** A namespace no other test uses. */
export function freshNamespace(label = 'test'): string {
  return `${label}-${randomBytes(6).toString('hex')}`;
}

/**
 * An @nestjs/testing builder for `metadata`, with StatehouseModule (global) wired to the test Redis
 * in a fresh namespace. Compile it, override what you like, and close the app after the test.
 *
 * ```ts
 * const app = await createStatehouseTestingModule({ providers: [MemoryService] }).compile();
 * await app.init();
 * ```
 */
export function createStatehouseTestingModule(
  metadata: ModuleMetadata,
  options: StatehouseTestingOptions = {},
): TestingModuleBuilder {
  const redisUrl = options.redisUrl ?? process.env.REDIS_URL;
  if (!redisUrl && !options.cluster) {
    throw new Error(
      'createStatehouseTestingModule needs a Redis: start one with startStatehouseRedis() (e.g. in ' +
        "Jest's globalSetup, exporting its url as REDIS_URL), or set REDIS_URL=redis://127.0.0.1:6379.",
    );
  }
  return Test.createTestingModule({
    ...metadata,
    imports: [
      StatehouseModule.forRoot({
        ...options.statehouse,
        ...(options.cluster
          ? { cluster: { nodes: [...options.cluster.nodes] } }
          : { redis: redisUrl! }),
        namespace: options.namespace ?? freshNamespace(),
        isGlobal: true,
      }),
      ...(metadata.imports ?? []),
    ],
  });
}
