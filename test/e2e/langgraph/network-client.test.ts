import { StatehouseClient } from '@statehouse/client';
import { describeSaverSuite } from '../../../libs/langgraph/test/support/saver-suite';
import { describeStoreSuite } from '../../../libs/langgraph/test/support/store-suite';
import { startServerProcess, type ServerProcess } from '../../support/server-process';

// The StatehouseSaver and StatehouseStore suites on the network client, through a real server
// process (the embedded engine runs them in libs/langgraph/test).
let server: ServerProcess;
const clients: StatehouseClient[] = [];

beforeAll(async () => {
  server = await startServerProcess();
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await server.stop();
});

async function connect(): Promise<StatehouseClient> {
  const client = await StatehouseClient.connect({ url: server.url });
  clients.push(client);
  return client;
}

describeSaverSuite('the network client', connect);
describeStoreSuite('the network client', connect);
