// @statehouse/contract: what the engine (@statehouse/core), the server and the network client
// (@statehouse/client) share, with no engine dependency: the API both clients implement, its
// types, the errors and their one code table, the commit-retry policy, and statehouse_ts.v1.
export type {
  StatehouseApi,
  TransactionApi,
  ApiBeginOptions,
  ApiTransactionOptions,
} from './api/statehouse.api';
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
  TransactionInfo,
  TransactionOptions,
  CommitOperationsInput,
  CommitOperationsResult,
  SentOperation,
  RetentionPolicy,
  SetRetentionInput,
  RetentionInfo,
  CompactionCounts,
  CompactionResult,
} from './api/statehouse.types';
export type {
  AgentInfo,
  ExportOptions,
  ImportOptions,
  ImportProgress,
  ImportSource,
  ImportSummary,
  ListAgentsInput,
  NamespaceInfo,
} from './api/operator.types';
export type {
  WriteInput,
  DeleteInput,
  GetInput,
  AppendHandle,
  AppendInput,
  TransactionListInput,
  TransactionReadResult,
  Mutation,
} from './api/transaction.types';
export type { TransactionState } from './api/transaction-state';
export { abortable } from './api/abortable';
export { decodeCursor, encodeCursor } from './listing/cursor';
export { validatePage, validatePageOf, DEFAULT_PAGE, MAX_PAGE, type Page } from './listing/page';
export {
  mergeListing,
  type CommittedRecord,
  type TransactionStateEntry,
} from './listing/merge-listing';
export * from './errors';
export {
  commitUntilKnown,
  retryDelayMs,
  sleep,
  unknownCommitDelayMs,
  UNKNOWN_COMMIT_RETRIES,
  type CommitRetryOptions,
} from './retry/commit-retry';
export type { JsonObject, JsonValue } from './validation/validate';
export {
  MAX_GET_MANY,
  MAX_NAME_BYTES,
  MAX_VALUE_DEPTH,
  serializeValue,
  tooDeep,
  validateArgs,
  validateBoolean,
  validateInteger,
  validateRetention,
  validateName,
  validateNamespace,
  validateRecordRefs,
} from './validation/validate';
export { EXT_PROTO_FILE, LOADER_OPTIONS, PROTO_DIR } from './proto/proto';
export type { ProtoGrpcType } from './generated/statehouse_ts';
export type {
  StatehouseExtServiceClient,
  StatehouseExtServiceDefinition,
  StatehouseExtServiceHandlers,
} from './generated/statehouse_ts/v1/StatehouseExtService';
export type { ReplayEvent__Output } from './generated/statehouse_ts/v1/ReplayEvent';
export type { StateResult__Output } from './generated/statehouse_ts/v1/StateResult';
export {
  compactionFromWire,
  compactionToWire,
  policyFromWire,
  policyToWire,
  retentionInfoFromWire,
  retentionInfoToWire,
} from './retention/retention-wire';
export type { SnapshotLine__Output } from './generated/statehouse_ts/v1/SnapshotLine';
export type { ImportSummary__Output } from './generated/statehouse_ts/v1/ImportSummary';
