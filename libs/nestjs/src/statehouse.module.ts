import {
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { StatehouseApi } from '@statehouse/contract';
import { requirePackage } from './statehouse-packages';
import { nestLoggerErrorHandler } from './statehouse-error-logger';
import { StatehouseHealthIndicator } from './statehouse.health';
import { STATEHOUSE } from './statehouse.constants';
import {
  ConfigurableModuleClass,
  STATEHOUSE_MODULE_OPTIONS,
  type StatehouseModuleOptions,
} from './statehouse.module-definition';
import { CLIENT_OF_INSTANCE, TRANSACTIONAL } from './transactional.decorator';

/**
 * Connects the client the options describe: the embedded engine (@statehouse/core), or the
 * network client (@statehouse/client). Each is an optional peer dependency, required only here:
 * StatehousePackageMissingError names the one to install when the options need it. The engine's
 * background errors go to `onError`, by default to Nest's Logger (context `Statehouse`).
 */
export async function connectStatehouse(options: StatehouseModuleOptions): Promise<StatehouseApi> {
  if ('server' in options) {
    const { StatehouseClient } = requirePackage('@statehouse/client');
    return StatehouseClient.connect({
      url: options.server.url,
      ...(options.server.token === undefined ? {} : { token: options.server.token }),
      ...(options.server.callTimeoutMs === undefined
        ? {}
        : { callTimeoutMs: options.server.callTimeoutMs }),
      ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    });
  }
  const { Statehouse, Cluster } = requirePackage('@statehouse/core');
  if ('cluster' in options) {
    const { cluster, ...engine } = options;
    // The engine reports this cluster's errors (onError) from the moment it is given: before any
    // of them can be emitted, as the cluster connects asynchronously.
    const redis = new Cluster(cluster.nodes, {
      ...cluster.options,
      redisOptions: { maxRetriesPerRequest: 2, ...cluster.options?.redisOptions },
    });
    try {
      const client = await Statehouse.connect({
        ...engine,
        redis,
        onError: engine.onError ?? nestLoggerErrorHandler(),
      });
      // The engine leaves a connection it was given open: close the one opened here with it.
      const close = client.close.bind(client);
      return Object.assign(client, {
        close: async () => {
          await close();
          redis.disconnect();
        },
      });
    } catch (error) {
      redis.disconnect();
      throw error;
    }
  }
  return Statehouse.connect({ ...options, onError: options.onError ?? nestLoggerErrorHandler() });
}

/**
 * Gives every provider and controller with @Transactional methods the client, at start; closes
 * the client (its connections and timeout worker) at shutdown (`app.close()`, or a signal with
 * `enableShutdownHooks()`).
 */
@Injectable()
export class StatehouseLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(STATEHOUSE) private readonly client: StatehouseApi,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onApplicationBootstrap(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance = wrapper.instance as Record<string | symbol, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as object | null;
      if (!prototype) continue;
      const transactional = this.scanner
        .getAllMethodNames(prototype)
        .some(
          (name) => this.reflector.get(TRANSACTIONAL, instance[name] as () => unknown) === true,
        );
      if (transactional) instance[CLIENT_OF_INSTANCE] = this.client;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

/**
 * Statehouse in a NestJS application:
 *
 * ```ts
 * @Module({ imports: [StatehouseModule.forRoot({ redis: process.env.REDIS_URL!, isGlobal: true })] })
 * export class AppModule {}
 * ```
 *
 * The embedded engine runs the timeout worker in every replica by default (`timeoutWorker: false`
 * to switch it off); `{ server: { url, token } }` uses a Statehouse server instead.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: STATEHOUSE,
      inject: [STATEHOUSE_MODULE_OPTIONS],
      useFactory: (options: StatehouseModuleOptions) => connectStatehouse(options),
    },
    StatehouseLifecycle,
    StatehouseHealthIndicator,
  ],
  exports: [STATEHOUSE, StatehouseHealthIndicator],
})
export class StatehouseModule extends ConfigurableModuleClass {}
