import { randomUUID } from 'node:crypto';
import {
  serializeValue,
  stateOfCode,
  TransactionError,
  type DeleteInput,
  type GetInput,
  type JsonObject,
  type TransactionApi,
  type TransactionReadResult,
  type TransactionState,
  type WriteInput,
} from '@statehouse/contract';
import type { Rpc } from './statehouse-client';

/** A transaction on a Statehouse server: every operation is one call, checked by the server. */
export class RemoteTransaction implements TransactionApi {
  private knownState: TransactionState;
  /** Identifies this object's commit: a retry after CommitUnknownError never applies twice. */
  private readonly commitToken = randomUUID();

  constructor(
    private readonly rpc: Rpc,
    readonly id: string,
    readonly namespace: string,
    state: TransactionState = 'open',
  ) {
    this.knownState = state;
  }

  get state(): TransactionState {
    return this.knownState;
  }

  async write(input: WriteInput): Promise<void> {
    this.refuseIfFinished();
    await this.track(
      this.rpc('Write', {
        txn_id: this.id,
        agent_id: input?.agentId,
        key: input?.key,
        value_json: serialize(input?.value),
        ...(input?.ifVersion === undefined ? {} : { if_version: input.ifVersion }),
      }),
    );
  }

  async delete(input: DeleteInput): Promise<void> {
    this.refuseIfFinished();
    await this.track(
      this.rpc('Delete', {
        txn_id: this.id,
        agent_id: input?.agentId,
        key: input?.key,
        ...(input?.ifVersion === undefined ? {} : { if_version: input.ifVersion }),
      }),
    );
  }

  async get(input: GetInput): Promise<TransactionReadResult> {
    this.refuseIfFinished();
    const read = await this.track(
      this.rpc('Get', { txn_id: this.id, agent_id: input?.agentId, key: input?.key }),
    );
    return {
      exists: read.exists === true,
      value: JSON.parse(
        typeof read.value_json === 'string' ? read.value_json : 'null',
      ) as JsonObject | null,
      version: Number(read.version ?? 0),
      commitTs: Number(read.commit_ts ?? 0),
      staged: read.staged === true,
    };
  }

  async commit(): Promise<number> {
    this.refuseIfFinished();
    const { commit_ts } = await this.track(
      this.rpc('Commit', { txn_id: this.id, commit_token: this.commitToken }, { commit: true }),
    );
    this.knownState = 'committed';
    return Number(commit_ts);
  }

  async abort(): Promise<void> {
    if (this.knownState === 'aborted' || this.knownState === 'timedOut') return;
    this.refuseIfFinished();
    await this.track(this.rpc('Abort', { txn_id: this.id }));
    this.knownState = 'aborted';
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.knownState === 'open') await this.abort();
  }

  private refuseIfFinished(): void {
    if (this.knownState === 'committed') {
      throw TransactionError.forState('TRANSACTION_ALREADY_COMMITTED', this.id);
    }
    if (this.knownState === 'aborted')
      throw TransactionError.forState('TRANSACTION_ALREADY_ABORTED', this.id);
    if (this.knownState === 'timedOut')
      throw TransactionError.forState('TRANSACTION_TIMEOUT', this.id);
  }

  /** Learns the transaction's state from a refusal, as the embedded transaction does. */
  private async track<T>(call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (error) {
      const learned = stateOfCode((error as { code?: string }).code);
      if (learned) this.knownState = learned;
      throw error;
    }
  }
}

/**
 * A value as JSON text, checked here as the engine checks it (plain JSON, no cycles, at most
 * MAX_VALUE_DEPTH levels): a bad value fails with the engine's ValidationError naming its field,
 * instead of JSON.stringify's stack overflow or TypeError. Its size is the server's to judge.
 */
function serialize(value: unknown): string {
  return serializeValue(value, Number.MAX_SAFE_INTEGER);
}
