import { StatehouseClient } from '@statehouse/client';
import { describeConformance } from '../../../test/support/conformance';
import type { RunningServer } from '../../../apps/server/src/server';
import { startTestServer } from '../../../apps/server/test/support/server';

// The shared StatehouseApi suite against the network client, through a real server.
let server: RunningServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(() => server.close());

describeConformance('network StatehouseClient', {
  connect: (namespace) =>
    StatehouseClient.connect({ url: `127.0.0.1:${server.grpcPort}`, namespace }),
});
