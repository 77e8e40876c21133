import { Statehouse } from '@statehouse/core';
import { describeOperatorConformance } from '../../../test/support/operator-conformance';
import { redisUrl } from './support/statehouse';

// The operator API of the embedded Statehouse (the network client runs the same suite in
// test/e2e/client/conformance.test.ts, the engine on a Redis Cluster in cluster.test.ts).
describeOperatorConformance('embedded Statehouse', {
  connect: (namespace) => Statehouse.connect({ redis: redisUrl(), namespace }),
});
