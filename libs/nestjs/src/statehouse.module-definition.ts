import { ConfigurableModuleBuilder } from '@nestjs/common';
import type {
  Cluster,
  ClusterNode,
  ClusterOptions,
  Redis,
  RedisOptions,
  StatehouseOptions,
} from '@statehouse/core';

/**
 * The embedded engine on Redis (a URL, ioredis options, or an ioredis instance, a Cluster
 * included) and its options.
 */
export interface EmbeddedStatehouseOptions extends Omit<StatehouseOptions, 'redis'> {
  readonly redis: string | RedisOptions | Redis | Cluster;
}

/** The embedded engine on a Redis Cluster, from its nodes (the module opens and closes it). */
export interface ClusterStatehouseOptions extends Omit<StatehouseOptions, 'redis'> {
  readonly cluster: {
    readonly nodes: ClusterNode[];
    readonly options?: ClusterOptions;
  };
}

/** A Statehouse server, through the network client. */
export interface RemoteStatehouseOptions {
  readonly server: {
    /** `host:port` of its gRPC endpoint, e.g. `localhost:50051`. */
    readonly url: string;
    readonly token?: string;
    readonly callTimeoutMs?: number;
  };
  readonly namespace?: string;
}

/** Options of StatehouseModule.forRoot / forRootAsync: the embedded engine (on Redis or a Redis Cluster), or a server. */
export type StatehouseModuleOptions =
  EmbeddedStatehouseOptions | ClusterStatehouseOptions | RemoteStatehouseOptions;

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: STATEHOUSE_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<StatehouseModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
