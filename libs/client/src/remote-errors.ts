import * as grpc from '@grpc/grpc-js';
import {
  CommitUnknownError,
  errorCodeEntry,
  StorageUnavailableError,
  TransactionError,
  type StatehouseError,
} from '@statehouse/contract';

/**
 * The error a failed call means, with the server's message and stable code. A call that never got
 * an answer (the server unreachable) is StorageUnavailableError; a commit without an answer is
 * CommitUnknownError.
 */
export function remoteError(
  error: unknown,
  options: { commit?: boolean; txId?: string; address?: string } = {},
): Error {
  const status = error as grpc.ServiceError;
  const code = status.metadata?.get('statehouse-code')[0];
  if (typeof code !== 'string') {
    if (options.commit) return new CommitUnknownError(options.txId ?? '', error, 'server');
    const server = options.address ? ` at ${options.address}` : '';
    return new StorageUnavailableError(
      `the Statehouse server${server} did not answer (${status.details ?? String(error)})`,
      {
        txId: options.txId,
        cause: error,
        advice:
          `Check that the Statehouse server is running and reachable${server} ` +
          "(the client's `url` option: host:port of its gRPC port, 50051 by default).",
      },
    );
  }
  // The class of the stable code (contract's ERROR_CODES): the network client throws what the
  // embedded one would.
  const Class = errorCodeEntry(code)?.class ?? TransactionError;
  const remote = Object.create(Class.prototype as object) as StatehouseError &
    Record<string, unknown>;
  Object.defineProperties(remote, {
    message: { value: status.details, writable: true, configurable: true },
    code: { value: code, enumerable: true },
    name: { value: Class.name, configurable: true, writable: true },
    stack: {
      value: `${Class.name}: ${status.details}\n    at (remote Statehouse server)`,
      configurable: true,
      writable: true,
    },
    txId: { value: options.txId, enumerable: true },
  });
  if (code === 'VERSION_COMPACTED') {
    // The namespace's horizon, as the engine's VersionCompactedError carries it.
    const horizon = status.metadata?.get('statehouse-compacted-ts')[0];
    remote.compactedTs = typeof horizon === 'string' ? Number(horizon) : null;
  }
  return remote;
}
