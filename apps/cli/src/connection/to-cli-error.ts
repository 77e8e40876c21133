import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import {
  ClientClosedError,
  CommitUnknownError,
  PermissionDeniedError,
  ShuttingDownError,
  StatehouseError,
  StorageUnavailableError,
  TransactionNotFoundError,
  UnauthenticatedError,
  ValidationError,
  VersionCompactedError,
  VersionNotFoundError,
} from '@statehouse/client';
import { CliError } from '../cli.error';
import { ExitCode } from '../exit-codes';
import type { ConnectionOptions } from './connection-options';

/**
 * The error a user sees for anything a command throws: what went wrong, what to do, the exit code
 * (exit-codes.ts) and a stable code for `--json`. A server that cannot be reached is named by its
 * address (never Redis: statehousectl does not talk to Redis).
 */
export function toCliError(error: unknown, connection: ConnectionOptions): CliError {
  if (error instanceof CliError) return error;
  const { address } = connection;
  if (isUnreachable(error)) {
    return new CliError(
      `cannot reach the Statehouse server at ${address} (${detailOf(error)}). Check that the ` +
        'server is running and that this is its gRPC address: pass --address host:port or set ' +
        `STATEHOUSE_ADDR (default 127.0.0.1:50051).`,
      ExitCode.Unavailable,
      'SERVER_UNREACHABLE',
    );
  }
  const grpcCode = (error as Partial<ServiceError>)?.code;
  if (error instanceof UnauthenticatedError || grpcCode === GrpcStatus.UNAUTHENTICATED) {
    const fix = connection.token
      ? 'the token given was refused: check --token / STATEHOUSE_TOKEN'
      : 'the server requires a token: pass --token or set STATEHOUSE_TOKEN';
    return new CliError(
      `not authenticated by the server at ${address}: ${fix}.`,
      ExitCode.Denied,
      'UNAUTHENTICATED',
    );
  }
  if (error instanceof PermissionDeniedError || grpcCode === GrpcStatus.PERMISSION_DENIED) {
    return new CliError(
      `${messageOf(error)}. Use --namespace (or STATEHOUSE_NAMESPACE) to name a namespace the ` +
        'token is scoped to, or a token scoped to this one.',
      ExitCode.Denied,
      'PERMISSION_DENIED',
    );
  }
  if (error instanceof TransactionNotFoundError) {
    return CliError.notFound(
      `${messageOf(error)}. Transaction ids look like <namespace>~<uuid>.`,
      'TRANSACTION_NOT_FOUND',
    );
  }
  if (error instanceof VersionNotFoundError) {
    return CliError.notFound(
      `${messageOf(error)}. \`statehousectl history AGENT KEY\` lists the versions that exist.`,
      'VERSION_NOT_FOUND',
    );
  }
  if (error instanceof VersionCompactedError) {
    return CliError.notFound(messageOf(error), 'VERSION_COMPACTED');
  }
  if (error instanceof ValidationError) {
    return new CliError(messageOf(error), ExitCode.Usage, 'VALIDATION_FAILED');
  }
  if (
    error instanceof StorageUnavailableError ||
    error instanceof ShuttingDownError ||
    error instanceof CommitUnknownError ||
    error instanceof ClientClosedError
  ) {
    return new CliError(
      `the Statehouse server at ${address} is unavailable: ${messageOf(error)}`,
      ExitCode.Unavailable,
      error.code,
    );
  }
  if (error instanceof StatehouseError) {
    return new CliError(messageOf(error), ExitCode.Error, error.code);
  }
  if (grpcCode !== undefined) {
    return new CliError(
      `the server at ${address} answered: ${detailOf(error)}`,
      ExitCode.Error,
      GrpcStatus[grpcCode] ?? 'ERROR',
    );
  }
  return new CliError(messageOf(error), ExitCode.Error, 'ERROR');
}

/**
 * No answer from the server: a gRPC UNAVAILABLE or DEADLINE_EXCEEDED without the server's stable
 * code, as a raw status (ServerProbe) or as the network client wraps it (a StorageUnavailableError
 * caused by the status).
 */
function isUnreachable(error: unknown): boolean {
  const status =
    error instanceof StorageUnavailableError ? (error.cause as Partial<ServiceError>) : error;
  const code = (status as Partial<ServiceError> | undefined)?.code;
  if (code !== GrpcStatus.UNAVAILABLE && code !== GrpcStatus.DEADLINE_EXCEEDED) return false;
  return (status as ServiceError).metadata?.get('statehouse-code').length !== 1;
}

function detailOf(error: unknown): string {
  const status = error instanceof StorageUnavailableError ? error.cause : error;
  const details = (status as Partial<ServiceError>)?.details || messageOf(status);
  // grpc-js: "No connection established. Last error: Error: connect ECONNREFUSED 1.2.3.4:5. ..."
  return /Last error: (?:Error: )?(.*?)\.? Resolution note/.exec(details)?.[1] ?? details;
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\.$/, '');
}
