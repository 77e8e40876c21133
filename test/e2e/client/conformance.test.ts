import { StatehouseClient } from '@statehouse/client';
import { describeModesConformance } from '../../support/conformance-modes';
import { describeConformance } from '../../support/conformance';
import { describeOperatorConformance } from '../../support/operator-conformance';
import { startServerProcess, type ServerProcess } from '../../support/server-process';

// The shared StatehouseApi suite against the network client, through a real server.
let server: ServerProcess;

beforeAll(async () => {
  server = await startServerProcess();
});

afterAll(() => server.stop());

describeConformance('network StatehouseClient', {
  connect: (namespace) => StatehouseClient.connect({ url: server.url, namespace }),
});

describeModesConformance('network StatehouseClient', {
  connect: (namespace) => StatehouseClient.connect({ url: server.url, namespace }),
});

describeOperatorConformance('network StatehouseClient', {
  connect: (namespace) => StatehouseClient.connect({ url: server.url, namespace }),
});
