// The tests' Redis Clusters: @statehouse/testing's startLocalRedisCluster (the way users start theirs).
export {
  startLocalRedisCluster as startLocalCluster,
  type ClusterNode,
  type LocalCluster,
  type LocalClusterOptions,
} from '../../libs/testing/src/redis-cluster';
