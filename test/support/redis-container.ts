// The test run's Redis containers: @statehouse/testing's startStatehouseRedis (the way users start
// theirs), with the label scripts/run-tests.mjs uses to remove leftovers.
import {
  startStatehouseRedis,
  type RedisContainer,
  type StatehouseRedisOptions,
} from '../../libs/testing/src/redis-container';

export type { RedisContainer } from '../../libs/testing/src/redis-container';
export { freePort, redisAnswers, waitForRedis } from '../../libs/testing/src/redis-container';

/** Label on every container started here; scripts/run-tests.mjs removes leftovers carrying it. */
export const TEST_CONTAINER_LABEL = 'statehouse.test';

/** True when the tests may start their own containers (global-setup decides and exports this). */
export function containersAvailable(): boolean {
  return process.env.STATEHOUSE_CONTAINERS === '1';
}

export function startRedisContainer(
  opts: Omit<StatehouseRedisOptions, 'labels'> = {},
): Promise<RedisContainer> {
  return startStatehouseRedis({ ...opts, labels: { [TEST_CONTAINER_LABEL]: 'true' } });
}
