import { join } from 'node:path';

/** The .proto files of statehouse_ts.v1 (the server's own service), shipped in this package. */
export const PROTO_DIR = join(__dirname, '..', '..', 'proto');

/** The statehouse_ts.v1 .proto, relative to PROTO_DIR. */
export const EXT_PROTO_FILE = 'statehouse_ts/v1/statehouse_ts.proto';

/**
 * How both services' messages are decoded (@grpc/proto-loader options), on the client and the
 * server; the generated types (./generated, scripts/proto-types.mjs) describe messages decoded so.
 */
export const LOADER_OPTIONS = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: false,
  oneofs: true,
};
