// The engine. What it shares with the server and the network client (the API and its types,
// the errors, the commit-retry policy) lives in @statehouse/contract and is re-exported here, so
// `import { ... } from '@statehouse/core'` keeps working and names the same classes.
export {
  abortable,
  retryDelayMs,
  serializeValue,
  tooDeep,
  validateNamespace,
  MAX_VALUE_DEPTH,
  MAX_GET_MANY,
  validateRecordRefs,
  type AgentInfo,
  type ExportOptions,
  type ImportOptions,
  type ImportProgress,
  type ImportSource,
  type ImportSummary,
  type ListAgentsInput,
  type NamespaceInfo,
  type ApiBeginOptions,
  type ApiTransactionOptions,
  type AppendHandle,
  type AppendInput,
  type BeginOptions,
  type CommitOperationsInput,
  type CommitOperationsResult,
  type CommittedRecord,
  type SentOperation,
  type RetentionPolicy,
  type SetRetentionInput,
  type RetentionInfo,
  type CompactionCounts,
  type CompactionResult,
  type DeleteInput,
  type GetInput,
  type JsonObject,
  type JsonValue,
  type ListKeysInput,
  type RecordRef,
  type ReplayEvent,
  type ReplayInput,
  type ReplayOperation,
  type ResumeOptions,
  type ScanPrefixInput,
  type StateEntry,
  type StatehouseApi,
  type StateResult,
  type TransactionApi,
  type TransactionDescription,
  type TransactionListInput,
  type TransactionOptions,
  type TransactionReadResult,
  type TransactionState,
  type WriteInput,
} from '@statehouse/contract';
export {
  ClientClosedError,
  CommitUnknownError,
  LimitExceededError,
  NamespaceNotEmptyError,
  SnapshotFormatError,
  PermissionDeniedError,
  QuotaExceededError,
  ShuttingDownError,
  StatehouseError,
  StorageUnavailableError,
  TimeoutSweepError,
  TooManyFollowersError,
  TransactionConflictError,
  TransactionError,
  TransactionNotFoundError,
  UnauthenticatedError,
  ValidationError,
  VersionCompactedError,
  VersionNotFoundError,
  type CommitUnknownReason,
  type NamespaceQuota,
  type StatehouseErrorCode,
  type TransactionStateCode,
} from '@statehouse/contract';
export { Statehouse } from './client/statehouse';
// The Redis client the engine runs on, for applications (and @statehouse/nestjs) that open a
// Redis Cluster or a connection themselves without a dependency of their own on ioredis.
export { Cluster, Redis } from 'ioredis';
export type { ClusterNode, ClusterOptions, RedisOptions } from 'ioredis';
export type { StatehouseOptions } from './client/statehouse.options';
export {
  BACKGROUND_ERROR_SOURCES,
  type BackgroundErrorHandler,
  type BackgroundErrorSource,
} from './reporting/background-errors';
export {
  ErrorThrottle,
  THROTTLE_INTERVAL_MS,
  describeBackgroundError,
  stderrErrorHandler,
  type ErrorThrottleOptions,
} from './reporting/error-throttle';
export type { EngineStats } from './client/engine';
export { Transaction } from './transaction/transaction';
export type { Mutation } from './model/mutation';
export type { TransactionStateEntry } from '@statehouse/contract';
export { checkJsonText, parseJsonText } from './validation/json-text';
export { parseTransactionId, readTransactionId } from './model/transaction-id';
export type { TransactionId } from './model/transaction-id';
export { namespaceTag } from './storage/keys';
export { startEmbeddedRedis, EmbeddedRedisError, freePort } from './embedded/embedded-redis';
export type { EmbeddedRedis, EmbeddedRedisOptions } from './embedded/embedded-redis';
export { DataDirLockedError, type DataDirLockHolder } from './embedded/data-dir-locked.error';
export { LOCK_FILE } from './embedded/data-dir-lock';
export { defineScriptsOn, readScriptFolder } from './commands/scripts';
export type { ScriptDefinition } from './commands/scripts';
