import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  EXT_PROTO_FILE,
  LOADER_OPTIONS,
  PROTO_DIR,
  type ProtoGrpcType,
  type StatehouseExtServiceClient,
  type StatehouseExtServiceDefinition,
} from '@statehouse/contract';

type ExtMethods = {
  [
    M in keyof StatehouseExtServiceDefinition as string extends M ? never : M
  ]: StatehouseExtServiceDefinition[M];
};

/** The unary RPCs of statehouse_ts.v1.StatehouseExtService. */
export type ExtUnaryMethod = Exclude<
  keyof ExtMethods,
  'Replay' | 'ExportSnapshot' | 'ImportSnapshot'
>;

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
  options?: grpc.ChannelOptions,
) => StatehouseExtServiceClient {
  const definition = protoLoader.loadSync(EXT_PROTO_FILE, {
    ...LOADER_OPTIONS,
    includeDirs: [PROTO_DIR],
  });
  const root = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  return root.statehouse_ts.v1.StatehouseExtService;
}
