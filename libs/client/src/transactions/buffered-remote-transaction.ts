import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  MAX_NAME_BYTES,
  mergeListing,
  TransactionNotFoundError,
  validateArgs,
  validateInteger,
  validateName,
  validateRecordRefs,
  validatePage,
  ValidationError,
  type AppendHandle,
  type AppendInput,
  type CommittedRecord,
  type DeleteInput,
  type GetInput,
  type JsonObject,
  type TransactionListInput,
  type TransactionReadResult,
  type TransactionStateEntry,
  type WriteInput,
} from '@statehouse/contract';
import type { ExtRequest } from '../proto';
import type { Rpc } from '../statehouse-client';
import { getStates, parseRecordValue, serialize } from './wire-values';
import { RemoteTransaction } from './remote-transaction';

type Operation = NonNullable<ExtRequest<'CommitOperations'>['operations']>[number];

/**
 * How long a server remembers a finished transaction by default (its
 * --finished-transaction-retention-ms): a commit resent later than this after its first sending
 * is refused, since the record that makes a resend safe may be gone.
 */
const RESEND_WINDOW_MS = 120_000;
/** The digits of an appended key's counter (as the engine's). */
const APPEND_DIGITS = 12;

/**
 * A buffered transaction of the network client: its writes, deletes and appends, and the
 * versions its reads and listings saw, stay in this object until the commit sends them all in
 * one call (CommitOperations), applied atomically in one script on the server, as the engine's
 * buffered transactions are. Reads are calls (GetState, ListForTransaction); a blind-write
 * transaction is one call in all, a read-modify-write two. The id and commit token are chosen
 * here, so that a commit resent after a lost answer returns the first commitTs. Its timeout is
 * kept on this client's clock; it cannot be continued elsewhere.
 */
export class BufferedRemoteTransaction extends RemoteTransaction {
  readonly readOnly = false;
  readonly buffered = true;
  readonly readTs = null;
  private readonly commitToken = randomUUID();
  private readonly deadline: number;
  /** Operations by record (appends by their own id), in the order of their last staging. */
  private readonly operations = new Map<string, Operation>();
  /** The first version each record's read saw (a record this transaction staged is not read). */
  private readonly reads = new Map<string, { agentId: string; key: string; version: number }>();
  /** The membership count each agent's first listing saw. */
  private readonly listings = new Map<string, number>();
  private readonly appends: Array<{
    handle: { id: string; agentId: string; prefix: string; key: string | null };
  }> = [];
  /** performance.now() when the commit was first sent (0: not yet). */
  private firstSentAt = 0;

  constructor(
    private readonly rpc: Rpc,
    namespace: string,
    timeoutMs: number,
  ) {
    super(`${namespace}~${randomUUID()}`, namespace);
    this.deadline = Date.now() + timeoutMs;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- refusals reject, as the engine's
  async write(input: WriteInput): Promise<void> {
    this.accept();
    const args = validateArgs<WriteInput>(input, 'write');
    const { agentId, key } = record(args);
    const ifVersion = optionalVersion(args.ifVersion);
    const value_json = serialize(args.value);
    this.stage(agentId, key, {
      op: 'write',
      agent_id: agentId,
      key,
      value_json,
      ...(ifVersion === undefined ? {} : { if_version: ifVersion }),
    });
    this.remember('write', agentId, key, value_json, versionOf(ifVersion));
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- refusals reject, as the engine's
  async delete(input: DeleteInput): Promise<void> {
    this.accept();
    const args = validateArgs<DeleteInput>(input, 'delete');
    const { agentId, key } = record(args);
    const ifVersion = optionalVersion(args.ifVersion);
    this.stage(agentId, key, {
      op: 'delete',
      agent_id: agentId,
      key,
      ...(ifVersion === undefined ? {} : { if_version: ifVersion }),
    });
    this.remember('delete', agentId, key, undefined, versionOf(ifVersion));
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- refusals reject, as the engine's
  async append(input: AppendInput): Promise<AppendHandle> {
    this.accept();
    const args = validateArgs<AppendInput>(input, 'append');
    const agentId = validateName(args.agentId, 'agentId');
    const prefix = validateName(args.prefix, 'prefix', { allowEmpty: true });
    if (Buffer.byteLength(prefix) + APPEND_DIGITS > MAX_NAME_BYTES) {
      throw new ValidationError(
        'prefix',
        `must leave room for ${APPEND_DIGITS} digits in a 256-byte key`,
      );
    }
    const value_json = serialize(args.value);
    const appendId = randomUUID();
    this.operations.set(appendId, { op: 'append', agent_id: agentId, prefix, value_json });
    const handle = { id: appendId, agentId, prefix, key: null as string | null };
    this.appends.push({ handle });
    this.remember('append', agentId, null, value_json, {
      prefix,
      appendId,
    });
    return handle;
  }

  /** Its own operation on the record, else the committed record, whose version the commit checks. */
  async get(input: GetInput): Promise<TransactionReadResult> {
    this.accept();
    const args = validateArgs<GetInput>(input, 'get');
    const { agentId, key } = record(args);
    const committed = await this.rpc('GetState', {
      namespace: this.namespace,
      agent_id: agentId,
      key,
    });
    return this.readResult(agentId, key, committed);
  }

  /** Several records in one call (GetStates), each as `get` reads it, in order. */
  override async getMany(records: readonly GetInput[]): Promise<TransactionReadResult[]> {
    this.accept();
    const refs = validateRecordRefs(records);
    if (refs.length === 0) return [];
    const states = await getStates(this.rpc, this.namespace, refs);
    return refs.map(({ agentId, key }, i) => this.readResult(agentId, key, states[i]!));
  }

  /** What a read answers: its own operation on the record, else the committed record (noted). */
  private readResult(
    agentId: string,
    key: string,
    committed: { version?: number | string; value_json?: string; commit_ts?: number | string },
  ): TransactionReadResult {
    const version = Number(committed.version ?? 0);
    const own = this.operations.get(recordId(agentId, key));
    if (own === undefined && !this.reads.has(recordId(agentId, key))) {
      this.reads.set(recordId(agentId, key), { agentId, key, version });
    }
    const value =
      own === undefined
        ? parseRecordValue(committed.value_json)
        : own.op === 'write'
          ? (JSON.parse(own.value_json!) as JsonObject)
          : null;
    return {
      exists: value !== null,
      value,
      version,
      commitTs: Number(committed.commit_ts ?? 0),
      staged: own !== undefined,
    };
  }

  async listKeys(input: TransactionListInput): Promise<{ keys: string[]; cursor: string | null }> {
    const { entries, cursor } = await this.list(input, '', false, 'listKeys');
    return { keys: entries.map((entry) => entry.key), cursor };
  }

  async scanPrefix(
    input: TransactionListInput & { readonly prefix: string },
  ): Promise<{ entries: TransactionStateEntry[]; cursor: string | null }> {
    const args = validateArgs<{ prefix: unknown }>(input, 'scanPrefix');
    return this.list(
      input,
      validateName(args.prefix, 'prefix', { allowEmpty: true }),
      true,
      'scanPrefix',
    );
  }

  /** Applies everything in one call; resent after a lost answer, returns the first commitTs. */
  async commit(): Promise<number> {
    if (this.firstSentAt === 0) {
      this.accept();
      this.firstSentAt = performance.now();
    } else {
      this.refuseIfFinished();
      if (performance.now() - this.firstSentAt >= RESEND_WINDOW_MS) {
        throw new TransactionNotFoundError(this.id);
      }
    }
    const { commit_ts, appended_keys } = await this.track(
      this.rpc(
        'CommitOperations',
        {
          namespace: this.namespace,
          txn_id: this.id,
          commit_token: this.commitToken,
          operations: [...this.operations.values()],
          reads: [...this.reads.values()].map(({ agentId, key, version }) => ({
            agent_id: agentId,
            key,
            version,
          })),
          listings: [...this.listings].map(([agentId, membership]) => ({
            agent_id: agentId,
            membership,
          })),
        },
        { commit: true },
      ),
    );
    (appended_keys ?? []).forEach((key, i) => {
      const append = this.appends[i];
      if (append) append.handle.key = key;
    });
    this.knownState = 'committed';
    return Number(commit_ts);
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- refusals reject, as the engine's
  async abort(): Promise<void> {
    if (this.knownState === 'aborted' || this.knownState === 'timedOut') return;
    this.refuseIfFinished();
    this.knownState = 'aborted'; // nothing on the server to abort
  }

  private async list(
    input: TransactionListInput,
    prefix: string,
    withValues: boolean,
    call: string,
  ): Promise<{ entries: TransactionStateEntry[]; cursor: string | null }> {
    this.accept();
    const { agentId, limit, after } = validatePage(
      validateArgs<TransactionListInput>(input, call),
      prefix,
    );
    const page = await this.rpc('ListForTransaction', {
      namespace: this.namespace,
      agent_id: agentId,
      prefix,
      limit,
      ...(input.cursor ? { cursor: input.cursor } : {}),
      with_values: withValues,
    });
    if (!this.listings.has(agentId)) this.listings.set(agentId, Number(page.membership ?? 0));
    const committed = (page.entries ?? []).map((entry) => {
      const key = String(entry.key);
      const stored: CommittedRecord | null = entry.value_json
        ? {
            value: JSON.parse(entry.value_json) as JsonObject,
            version: Number(entry.version),
            commitTs: Number(entry.commit_ts),
          }
        : null;
      if (withValues && stored && !this.reads.has(recordId(agentId, key))) {
        this.reads.set(recordId(agentId, key), { agentId, key, version: stored.version });
      }
      return { key, stored };
    });
    return mergeListing(committed, this.stagedOf(agentId), prefix, after, limit);
  }

  /** This transaction's own writes (values) and deletes (null) of an agent's records, by key. */
  private stagedOf(agentId: string): Map<string, JsonObject | null> {
    const own = new Map<string, JsonObject | null>();
    for (const operation of this.operations.values()) {
      if (operation.op !== 'append' && operation.agent_id === agentId) {
        own.set(
          operation.key!,
          operation.op === 'write' ? (JSON.parse(operation.value_json!) as JsonObject) : null,
        );
      }
    }
    return own;
  }

  private stage(agentId: string, key: string, operation: Operation): void {
    const id = recordId(agentId, key);
    this.operations.delete(id);
    this.operations.set(id, operation);
  }

  private accept(): void {
    this.refuseIfPast(this.deadline);
  }
}

function recordId(agentId: string, key: string): string {
  return JSON.stringify([agentId, key]);
}

function record(args: { agentId?: unknown; key?: unknown }): { agentId: string; key: string } {
  return { agentId: validateName(args.agentId, 'agentId'), key: validateName(args.key, 'key') };
}

function optionalVersion(value: unknown): number | undefined {
  return value === undefined ? undefined : validateInteger(value, 'ifVersion', 0);
}

function versionOf(ifVersion: number | undefined): { ifVersion?: number } {
  return ifVersion === undefined ? {} : { ifVersion };
}
