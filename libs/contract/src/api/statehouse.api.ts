import type { TransactionState } from './transaction-state';
import type { DeleteInput, GetInput, TransactionReadResult, WriteInput } from './transaction.types';
import type {
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
  close(): Promise<void>;
}

/** A transaction, embedded or remote. */
export interface TransactionApi extends AsyncDisposable {
  readonly id: string;
  readonly namespace: string;
  /** The state last seen ('open' until it commits, aborts or learns of its timeout). */
  readonly state: TransactionState;
  write(input: WriteInput): Promise<void>;
  delete(input: DeleteInput): Promise<void>;
  /** Its own staged write or delete, else the committed record (whose version the commit checks). */
  get(input: GetInput): Promise<TransactionReadResult>;
  commit(): Promise<number>;
  abort(): Promise<void>;
}

export interface ApiBeginOptions {
  readonly timeoutMs?: number;
  readonly namespace?: string;
}

export interface ApiTransactionOptions extends ApiBeginOptions {
  /** Runs of `fn` after a conflict (default 5). */
  readonly maxRetries?: number;
}
