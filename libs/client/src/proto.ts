import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/statehouse_ts';
import type {
  StatehouseExtServiceClient,
  StatehouseExtServiceDefinition,
} from './generated/statehouse_ts/v1/StatehouseExtService';

/** This package's .proto files (statehouse_ts.v1, the server's own service). */
export const PROTO_DIR = join(__dirname, '..', 'proto');

/**
 * How both services' messages are decoded, on the client and the server; the generated types
 * (./generated, scripts/proto-types.mjs) describe messages decoded so.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: false,
  oneofs: true,
};

type ExtMethods = {
  [
    M in keyof StatehouseExtServiceDefinition as string extends M ? never : M
  ]: StatehouseExtServiceDefinition[M];
};

/** The unary RPCs of statehouse_ts.v1.StatehouseExtService. */
export type ExtUnaryMethod = Exclude<keyof ExtMethods, 'Replay'>;

/** What an RPC takes (any field may be left out) and what it answers (as decoded here). */
export type ExtRequest<M extends keyof ExtMethods> =
  ExtMethods[M] extends protoLoader.MethodDefinition<infer Request, object, object, object>
    ? Request
    : never;
export type ExtResponse<M extends keyof ExtMethods> =
  ExtMethods[M] extends protoLoader.MethodDefinition<object, object, object, infer Response>
    ? Response
    : never;

/** The client constructor of statehouse_ts.v1.StatehouseExtService. */
export function extServiceClient(): new (
  address: string,
  credentials: grpc.ChannelCredentials,
) => StatehouseExtServiceClient {
  const definition = protoLoader.loadSync('statehouse_ts/v1/statehouse_ts.proto', {
    ...LOADER_OPTIONS,
    includeDirs: [PROTO_DIR],
  });
  const root = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  return root.statehouse_ts.v1.StatehouseExtService;
}
