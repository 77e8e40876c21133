import { Statehouse } from '@statehouse/core';
import { describeModesConformance } from '../../../test/support/conformance-modes';
import { describeConformance } from '../../../test/support/conformance';
import { redisUrl } from './support/statehouse';

// The shared StatehouseApi suite against the embedded engine (the same suite runs against the
// network client in test/e2e/client/conformance.test.ts).
describeConformance('embedded Statehouse', {
  connect: (namespace) => Statehouse.connect({ redis: redisUrl(), namespace }),
});

describeModesConformance('embedded Statehouse', {
  connect: (namespace) => Statehouse.connect({ redis: redisUrl(), namespace }),
});
