export {
  startStatehouseRedis,
  ContainerRuntimeUnavailableError,
  DEFAULT_REDIS_IMAGE,
  type RedisContainer,
  type StatehouseRedisOptions,
} from './redis-container';
export {
  createStatehouseTestingModule,
  freshNamespace,
  type StatehouseTestingOptions,
} from './testing-module';
export {
  startLocalRedisCluster,
  type ClusterNode,
  type LocalCluster,
  type LocalClusterOptions,
} from './redis-cluster';
export {
  startStatehouseServer,
  StatehouseServerStartError,
  type StatehouseServer,
  type StatehouseServerOptions,
} from './statehouse-server';
