import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** This package's .proto files (statehouse_ts.v1, the server's own service). */
export const PROTO_DIR = join(__dirname, '..', 'proto');

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: false,
  oneofs: true,
};

/** The client constructor of statehouse_ts.v1.StatehouseExtService. */
export function extServiceClient(): grpc.ServiceClientConstructor {
  const definition = protoLoader.loadSync('statehouse_ts/v1/statehouse_ts.proto', {
    ...LOADER_OPTIONS,
    includeDirs: [PROTO_DIR],
  });
  const root = grpc.loadPackageDefinition(definition) as unknown as {
    statehouse_ts: { v1: { StatehouseExtService: grpc.ServiceClientConstructor } };
  };
  return root.statehouse_ts.v1.StatehouseExtService;
}
