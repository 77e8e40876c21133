export { StatehouseClient, type StatehouseClientOptions } from './statehouse-client';
export { RemoteTransaction } from './remote-transaction';
export { LOADER_OPTIONS, PROTO_DIR } from './proto';
export type { StatehouseExtServiceHandlers } from './generated/statehouse_ts/v1/StatehouseExtService';
