import {
  TransactionError,
  validateArgs,
  validateName,
  validateRecordRefs,
  type AppendHandle,
  type GetInput,
  type JsonObject,
  type TransactionListInput,
  type TransactionReadResult,
  type TransactionStateEntry,
} from '@statehouse/contract';
import type { Rpc } from '../statehouse-client';
import { committedRead, getStates, pageRequest } from './wire-values';
import { RemoteTransaction } from './remote-transaction';

/**
 * A read-only transaction of the network client: every read sees the namespace as of `readTs`
 * (GetState, ListKeys and ScanPrefix with at_ts). It lives in this client only: nothing on the
 * server to resume or abort; its timeout is kept on this client's clock; writes throw
 * "Transaction is read-only".
 */
export class SnapshotRemoteTransaction extends RemoteTransaction {
  readonly readOnly = true;
  readonly buffered = false;

  constructor(
    private readonly rpc: Rpc,
    id: string,
    namespace: string,
    readonly readTs: number,
    private readonly deadline: number,
  ) {
    super(id, namespace);
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- refusals reject, as the engine's
  async write(): Promise<void> {
    return this.refuseWrite();
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- refusals reject, as the engine's
  async delete(): Promise<void> {
    return this.refuseWrite();
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- refusals reject, as the engine's
  async append(): Promise<AppendHandle> {
    return this.refuseWrite();
  }

  async get(input: GetInput): Promise<TransactionReadResult> {
    this.accept();
    const args = validateArgs<GetInput>(input, 'get');
    const state = await this.rpc('GetState', {
      namespace: this.namespace,
      agent_id: validateName(args.agentId, 'agentId'),
      key: validateName(args.key, 'key'),
      at_ts: this.readTs,
    });
    return committedRead(state);
  }

  /** Several records as of readTs in one call (GetStates), in order. */
  override async getMany(records: readonly GetInput[]): Promise<TransactionReadResult[]> {
    this.accept();
    const refs = validateRecordRefs(records);
    if (refs.length === 0) return [];
    const states = await getStates(this.rpc, this.namespace, refs, this.readTs);
    return states.map(committedRead);
  }

  async listKeys(input: TransactionListInput): Promise<{ keys: string[]; cursor: string | null }> {
    this.accept();
    const page = await this.rpc('ListKeys', {
      ...pageRequest(this.namespace, validateArgs<TransactionListInput>(input, 'listKeys')),
      at_ts: this.readTs,
    });
    return { keys: page.keys ?? [], cursor: page.cursor || null };
  }

  async scanPrefix(
    input: TransactionListInput & { readonly prefix: string },
  ): Promise<{ entries: TransactionStateEntry[]; cursor: string | null }> {
    this.accept();
    const args = validateArgs<TransactionListInput & { prefix: unknown }>(input, 'scanPrefix');
    const page = await this.rpc('ScanPrefix', {
      ...pageRequest(this.namespace, args),
      prefix: validateName(args.prefix, 'prefix', { allowEmpty: true }),
      at_ts: this.readTs,
    });
    const entries = (page.entries ?? []).map((entry) => ({
      key: String(entry.key),
      value: JSON.parse(String(entry.value_json)) as JsonObject,
      version: Number(entry.version),
      commitTs: Number(entry.commit_ts),
      staged: false,
    }));
    return { entries, cursor: page.cursor || null };
  }

  /** Nothing to apply: ends the snapshot; returns readTs. */
  // eslint-disable-next-line @typescript-eslint/require-await -- refusals reject, as the engine's
  async commit(): Promise<number> {
    this.accept();
    this.knownState = 'committed';
    return this.readTs;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- refusals reject, as the engine's
  async abort(): Promise<void> {
    if (this.knownState === 'aborted' || this.knownState === 'timedOut') return;
    this.refuseIfFinished();
    this.knownState = 'aborted';
  }

  private refuseWrite(): never {
    this.accept();
    throw new TransactionError('Transaction is read-only', {
      code: 'TRANSACTION_READ_ONLY',
      txId: this.id,
    });
  }

  private accept(): void {
    this.refuseIfPast(this.deadline);
  }
}
