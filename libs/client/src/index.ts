export { StatehouseClient, type StatehouseClientOptions } from './statehouse-client';
export { RemoteTransaction } from './transactions/remote-transaction';
export { StagedRemoteTransaction } from './transactions/staged-remote-transaction';
export { BufferedRemoteTransaction } from './transactions/buffered-remote-transaction';
export { SnapshotRemoteTransaction } from './transactions/snapshot-remote-transaction';
// The proto moved to @statehouse/contract; still exported here for those who imported it from us.
export { LOADER_OPTIONS, PROTO_DIR, type StatehouseExtServiceHandlers } from '@statehouse/contract';
// The errors the client throws: the same classes as the engine's (@statehouse/contract).
export {
  ClientClosedError,
  CommitUnknownError,
  LimitExceededError,
  PermissionDeniedError,
  QuotaExceededError,
  ShuttingDownError,
  StatehouseError,
  StorageUnavailableError,
  TooManyFollowersError,
  TransactionConflictError,
  TransactionError,
  TransactionNotFoundError,
  UnauthenticatedError,
  ValidationError,
  VersionCompactedError,
  VersionNotFoundError,
  type StatehouseApi,
  type TransactionApi,
} from '@statehouse/contract';
