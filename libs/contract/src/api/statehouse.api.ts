import type { TransactionState } from './transaction-state';
import type {
  AgentInfo,
  ExportOptions,
  ImportOptions,
  ImportSource,
  ImportSummary,
  ListAgentsInput,
  NamespaceInfo,
} from './operator.types';
import type { TransactionStateEntry } from '../listing/merge-listing';
import type {
  AppendHandle,
  AppendInput,
  DeleteInput,
  GetInput,
  Mutation,
  TransactionListInput,
  TransactionReadResult,
  WriteInput,
} from './transaction.types';
import type {
  CompactionResult,
  RetentionInfo,
  SetRetentionInput,
  ListKeysInput,
  RecordRef,
  ReplayEvent,
  ReplayInput,
  ScanPrefixInput,
  StateEntry,
  StateResult,
  TransactionDescription,
} from './statehouse.types';

/**
 * What the embedded `Statehouse` and the network `StatehouseClient` (@statehouse/client) both
 * offer: code written against it moves between the two by changing the line that connects.
 */
export interface StatehouseApi {
  /** The namespace used when a call names none. */
  readonly namespace: string;
  beginTransaction(options?: ApiBeginOptions): Promise<TransactionApi>;
  /** Continues a transaction begun anywhere, by its id. */
  resumeTransaction(id: string): Promise<TransactionApi>;
  describeTransaction(id: string): Promise<TransactionDescription>;
  /** Commits when `fn` returns, aborts when it throws; runs it again after a conflict. */
  transaction<T>(
    fn: (tx: TransactionApi) => Promise<T>,
    options?: ApiTransactionOptions,
  ): Promise<T>;
  getState(input: RecordRef & { readonly atTs?: number }): Promise<StateResult>;
  getStateAtVersion(input: RecordRef & { readonly version: number }): Promise<StateResult>;
  listKeys(input: ListKeysInput): Promise<{ keys: string[]; cursor: string | null }>;
  scanPrefix(input: ScanPrefixInput): Promise<{ entries: StateEntry[]; cursor: string | null }>;
  replay(input: ReplayInput): AsyncIterable<ReplayEvent>;
  lastCommitTs(namespace?: string): Promise<number>;
  /** Every namespace (a server: every one the token may use), in byte-wise order of the name. */
  listNamespaces(): Promise<{ namespaces: NamespaceInfo[] }>;
  /** A namespace's agents in byte-wise order of their id, a page at a time. */
  listAgents(input?: ListAgentsInput): Promise<{ agents: AgentInfo[]; cursor: string | null }>;
  /**
   * A consistent snapshot of a namespace as NDJSON lines (a header, the records or with history
   * the commits, a trailer), streamed: memory bounded by a page.
   */
  exportSnapshot(options?: ExportOptions): AsyncIterable<string>;
  /** Writes a snapshot (lines or raw NDJSON chunks) into a namespace, in batched transactions. */
  importSnapshot(source: ImportSource, options?: ImportOptions): Promise<ImportSummary>;
  /** Sets a namespace's retention policy (`{}`: keep everything); compaction then runs on schedule. */
  setRetention(input: SetRetentionInput): Promise<RetentionInfo>;
  /** The retention policy in force in a namespace, its compaction horizon and what was removed. */
  getRetention(input?: { readonly namespace?: string }): Promise<RetentionInfo>;
  /** Compacts a namespace now, to completion; reads below the new horizon are then refused. */
  compact(input?: { readonly namespace?: string }): Promise<CompactionResult>;
  close(): Promise<void>;
}

/** A transaction, embedded or remote. */
export interface TransactionApi extends AsyncDisposable {
  readonly id: string;
  readonly namespace: string;
  /** The state last seen ('open' until it commits, aborts or learns of its timeout). */
  readonly state: TransactionState;
  /** True for a read-only transaction (reads at one snapshot; writes refused). */
  readonly readOnly: boolean;
  /** True for a buffered transaction (its operations stay in the client until the commit). */
  readonly buffered: boolean;
  /** The commitTs a read-only transaction reads at; null for a read-write transaction. */
  readonly readTs: number | null;
  /** The operations staged through this object (the last one on a record replaces the earlier). */
  readonly mutations: readonly Mutation[];
  write(input: WriteInput): Promise<void>;
  delete(input: DeleteInput): Promise<void>;
  /** Stages a write whose key (prefix + 12 digits) is allocated at commit; the handle's key then. */
  append(input: AppendInput): Promise<AppendHandle>;
  /** Its own staged write or delete, else the committed record (whose version the commit checks). */
  get(input: GetInput): Promise<TransactionReadResult>;
  /**
   * Reads several records at once, each as `get` reads it (its own staged operation, else the
   * committed record, whose version the commit checks), in the order asked: one round trip over
   * the network. At most MAX_GET_MANY (1,000) records.
   */
  getMany(records: readonly GetInput[]): Promise<TransactionReadResult[]>;
  /** Live keys of an agent as this transaction sees them (no phantoms: the listing is checked). */
  listKeys(input: TransactionListInput): Promise<{ keys: string[]; cursor: string | null }>;
  /** Live records with keys starting with `prefix`, as this transaction sees them. */
  scanPrefix(
    input: TransactionListInput & { readonly prefix: string },
  ): Promise<{ entries: TransactionStateEntry[]; cursor: string | null }>;
  commit(): Promise<number>;
  abort(): Promise<void>;
}

export interface ApiBeginOptions {
  readonly timeoutMs?: number;
  readonly namespace?: string;
  /** A read-only transaction: reads from one snapshot; writes throw "Transaction is read-only". */
  readonly readOnly?: boolean;
  /** With readOnly: the commitTs to read at. Default: the namespace's last commit. */
  readonly readTs?: number;
  /**
   * Keep the operations and the conditions of the reads in the client, and send them all with
   * the commit, in one call: the fastest way to write; not resumable elsewhere.
   */
  readonly buffered?: boolean;
  /** Begin at the first operation: no round trip now. */
  readonly lazy?: boolean;
}

export interface ApiTransactionOptions extends ApiBeginOptions {
  /** Runs of `fn` after a conflict (default 5). */
  readonly maxRetries?: number;
}
