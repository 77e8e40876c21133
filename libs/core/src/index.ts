export { Statehouse } from './client/statehouse';
export type {
  BeginOptions,
  ResumeOptions,
  ListKeysInput,
  RecordRef,
  ReplayEvent,
  ReplayInput,
  ReplayOperation,
  ScanPrefixInput,
  StateEntry,
  StateResult,
  TransactionDescription,
  TransactionOptions,
} from './client/statehouse.types';
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
export type {
  WriteInput,
  DeleteInput,
  GetInput,
  AppendHandle,
  AppendInput,
  TransactionListInput,
  TransactionReadResult,
} from './transaction/transaction.types';
export type { Mutation } from './transaction/mutation';
export type { TransactionState } from './transaction/transaction.machine';
export type { TransactionStateEntry } from './transaction/transaction-listing';
export type { JsonObject, JsonValue } from './validation/validate';
export { MAX_VALUE_DEPTH, serializeValue, tooDeep } from './validation/validate';
export { checkJsonText, parseJsonText } from './validation/json-text';
export { validateNamespace } from './validation/validate';
export { parseTransactionId, readTransactionId } from './transaction/transaction-id';
export type { TransactionId } from './transaction/transaction-id';
export { namespaceTag } from './storage/keys';
export * from './errors';
export { startEmbeddedRedis, EmbeddedRedisError, freePort } from './embedded/embedded-redis';
export type { EmbeddedRedis, EmbeddedRedisOptions } from './embedded/embedded-redis';
export { DataDirLockedError, type DataDirLockHolder } from './embedded/data-dir-locked.error';
export { LOCK_FILE } from './embedded/data-dir-lock';
export type {
  StatehouseApi,
  TransactionApi,
  ApiBeginOptions,
  ApiTransactionOptions,
} from './client/statehouse.api';
export { retryDelayMs } from './client/client-support';
export { abortable } from './client/replay';
export { defineScriptsOn, readScriptFolder } from './commands/scripts';
export type { ScriptDefinition } from './commands/scripts';
