import { randomUUID } from 'node:crypto';
import {
  validateInteger,
  type AppendHandle,
  type AppendInput,
  type DeleteInput,
  type GetInput,
  type JsonObject,
  type TransactionListInput,
  type TransactionReadResult,
  type TransactionState,
  type TransactionStateEntry,
  type WriteInput,
} from '@statehouse/contract';
import type { Rpc } from '../statehouse-client';
import { pageRequest, parseRecordValue, serialize } from './wire-values';
import { RemoteTransaction } from './remote-transaction';

/**
 * A transaction staged on the server: every operation is one call, checked by the server, and the
 * transaction can be continued from any process by its id. A lazy one (`lazy: true`) chose its id
 * here and has not called the server yet: its first operations carry the begin.
 */
export class StagedRemoteTransaction extends RemoteTransaction {
  readonly readOnly = false;
  readonly buffered = false;
  readonly readTs = null;
  /** Identifies this object's commit: a retry after CommitUnknownError never applies twice. */
  private readonly commitToken = randomUUID();
  /** The handles of the appends staged through this object (their keys filled at commit). */
  private readonly handles: Array<{
    id: string;
    agentId: string;
    prefix: string;
    key: string | null;
  }> = [];
  /** A lazy transaction's timeout until an operation has begun it on the server. */
  private beginTimeoutMs: number | undefined;

  constructor(
    private readonly rpc: Rpc,
    id: string,
    namespace: string,
    state: TransactionState = 'open',
    lazyTimeoutMs?: number,
  ) {
    super(id, namespace, state);
    this.beginTimeoutMs = lazyTimeoutMs;
  }

  async write(input: WriteInput): Promise<void> {
    this.refuseIfFinished();
    const value_json = serialize(input?.value);
    await this.begun(
      this.rpc('Write', {
        txn_id: this.id,
        agent_id: input?.agentId,
        key: input?.key,
        value_json,
        ...(input?.ifVersion === undefined
          ? {}
          : { if_version: validateInteger(input.ifVersion, 'ifVersion', 0) }),
        ...this.begin(),
      }),
    );
    this.remember('write', input.agentId, input.key, value_json, ifVersionOf(input));
  }

  async delete(input: DeleteInput): Promise<void> {
    this.refuseIfFinished();
    await this.begun(
      this.rpc('Delete', {
        txn_id: this.id,
        agent_id: input?.agentId,
        key: input?.key,
        ...(input?.ifVersion === undefined
          ? {}
          : { if_version: validateInteger(input.ifVersion, 'ifVersion', 0) }),
        ...this.begin(),
      }),
    );
    this.remember('delete', input.agentId, input.key, undefined, ifVersionOf(input));
  }

  /** Not over the network for a staged transaction yet: a buffered one appends. */
  /** Stages an append on the server; the handle's key is filled in by the commit. */
  async append(input: AppendInput): Promise<AppendHandle> {
    this.refuseIfFinished();
    const value_json = serialize(input?.value);
    const { append_id } = await this.begun(
      this.rpc('Append', {
        txn_id: this.id,
        agent_id: input?.agentId,
        prefix: input?.prefix,
        value_json,
        ...this.begin(),
      }),
    );
    const handle = {
      id: String(append_id),
      agentId: input.agentId,
      prefix: input.prefix,
      key: null as string | null,
    };
    this.handles.push(handle);
    this.remember('append', input.agentId, null, value_json, {
      prefix: input.prefix,
      appendId: handle.id,
    });
    return handle;
  }

  async get(input: GetInput): Promise<TransactionReadResult> {
    this.refuseIfFinished();
    const read = await this.begun(
      this.rpc('Get', {
        txn_id: this.id,
        agent_id: input?.agentId,
        key: input?.key,
        ...this.begin(),
      }),
    );
    return {
      exists: read.exists === true,
      value: parseRecordValue(read.value_json),
      version: Number(read.version ?? 0),
      commitTs: Number(read.commit_ts ?? 0),
      staged: read.staged === true,
    };
  }

  async listKeys(input: TransactionListInput): Promise<{ keys: string[]; cursor: string | null }> {
    this.refuseIfFinished();
    await this.beginNow();
    const page = await this.track(
      this.rpc('ListKeys', { txn_id: this.id, ...pageRequest(this.namespace, input) }),
    );
    return { keys: page.keys ?? [], cursor: page.cursor || null };
  }

  async scanPrefix(
    input: TransactionListInput & { readonly prefix: string },
  ): Promise<{ entries: TransactionStateEntry[]; cursor: string | null }> {
    this.refuseIfFinished();
    await this.beginNow();
    const page = await this.track(
      this.rpc('ScanPrefix', {
        txn_id: this.id,
        ...pageRequest(this.namespace, input),
        prefix: input?.prefix,
      }),
    );
    const entries = (page.entries ?? []).map((entry) => ({
      key: String(entry.key),
      value: JSON.parse(String(entry.value_json)) as JsonObject,
      version: Number(entry.version),
      commitTs: Number(entry.commit_ts),
      staged: entry.staged === true,
    }));
    return { entries, cursor: page.cursor || null };
  }

  async commit(): Promise<number> {
    this.refuseIfFinished();
    if (this.beginTimeoutMs !== undefined) {
      // Never begun on the server: nothing to apply. The commit of an empty transaction.
      await this.beginNow();
    }
    const { commit_ts, appended } = await this.track(
      this.rpc('Commit', { txn_id: this.id, commit_token: this.commitToken }, { commit: true }),
    );
    const keys = new Map((appended ?? []).map(({ append_id, key }) => [append_id, key]));
    for (const handle of this.handles) handle.key = keys.get(handle.id) ?? null;
    this.knownState = 'committed';
    return Number(commit_ts);
  }

  async abort(): Promise<void> {
    if (this.knownState === 'aborted' || this.knownState === 'timedOut') return;
    this.refuseIfFinished();
    if (this.beginTimeoutMs !== undefined) {
      this.knownState = 'aborted'; // never begun on the server: nothing to abort there
      return;
    }
    await this.track(this.rpc('Abort', { txn_id: this.id }));
    this.knownState = 'aborted';
  }

  /** The begin a lazy transaction's operation carries until one of them has begun it. */
  private begin(): { begin_timeout_ms?: number } {
    return this.beginTimeoutMs === undefined ? {} : { begin_timeout_ms: this.beginTimeoutMs };
  }

  private async begun<T>(call: Promise<T>): Promise<T> {
    const result = await this.track(call);
    this.beginTimeoutMs = undefined;
    return result;
  }

  /** A lazy transaction begun now (before a listing or a commit: they carry no begin). */
  private async beginNow(): Promise<void> {
    if (this.beginTimeoutMs === undefined) return;
    const { txn_id } = await this.track(
      this.rpc('BeginTransaction', {
        namespace: this.namespace,
        timeout_ms: this.beginTimeoutMs,
        txn_id: this.id,
      }),
    );
    if (txn_id !== this.id) throw new Error(`the server began ${txn_id}, not ${this.id}`);
    this.beginTimeoutMs = undefined;
  }
}

function ifVersionOf(input: { ifVersion?: number }): { ifVersion?: number } {
  return input.ifVersion === undefined ? {} : { ifVersion: input.ifVersion };
}
