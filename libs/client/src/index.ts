export { StatehouseClient, type StatehouseClientOptions } from './statehouse-client';
export { RemoteTransaction } from './remote-transaction';
export { PROTO_DIR } from './proto';
