import { StatehouseClient } from '@statehouse/client';
import { describeStoreSuite } from '../../../libs/langgraph/test/support/store-suite';
import { startServerProcess, type ServerProcess } from '../../support/server-process';

// The StatehouseStore suite on the network client, through a real server process.
let server: ServerProcess;
const clients: StatehouseClient[] = [];

beforeAll(async () => {
  server = await startServerProcess();
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await server.stop();
});

describeStoreSuite('the network client', async () => {
  const client = await StatehouseClient.connect({ url: server.url });
  clients.push(client);
  return client;
});
