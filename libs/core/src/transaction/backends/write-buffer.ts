import { performance } from 'node:perf_hooks';
import { LimitExceededError, TransactionNotFoundError } from '@statehouse/contract';
import { SEPARATOR } from '../../storage/marks';
import { membershipField, recordField } from '../../storage/record-fields';
import type { BufferedCommit, BufferedOperation } from '../../storage/transaction.repository';
import type { TransactionId } from '../../model/transaction-id';
import type { JsonObject } from '@statehouse/contract';

export interface WriteBufferLimits {
  readonly maxOperations: number;
  readonly maxBytes: number;
  /** How long Redis remembers a finished buffered commit (finishedTransactionRetentionMs). */
  readonly retentionMs: number;
  /** The transaction's id was chosen by its sender: the commit checks no staged one has it. */
  readonly chosenId?: boolean;
}

/**
 * What a buffered transaction keeps in the client until its commit (Datastore's way): its staged
 * operations and the conditions its reads set. Nothing of it is in Redis before the commit, which
 * sends everything in one script call; so it cannot be resumed elsewhere, and its timeout is kept
 * on the client's clock.
 */
export class WriteBuffer {
  readonly createdAt = Date.now();
  /** Date.now() after which operations (and a first commit) fail with "Transaction timeout". */
  readonly deadline: number;
  /** True once a commit was sent: a retry after CommitUnknownError must reach Redis to find out. */
  private commitSent = false;
  /** performance.now() when the commit was first sent. */
  private firstSentAt = 0;
  /** Operations by record field (or append id), in the order of their last staging. */
  private readonly operations = new Map<string, BufferedOperation>();
  /** Record field -> expected version ("!": must not exist); agentId STX -> membership count. */
  private readonly conditions = new Map<string, string>();
  private bytes = 0;

  constructor(
    timeoutMs: number,
    private readonly limits: WriteBufferLimits,
  ) {
    this.deadline = this.createdAt + timeoutMs;
  }

  /** Stages a write (`json`) or delete (`json` null) of a record; the last one on a record wins. */
  stage(txId: string, agentId: string, key: string, json: string | null, ifVersion?: number): void {
    const field = recordField(agentId, key);
    this.put(txId, field, { kind: json === null ? 'd' : 'w', field, json });
    if (ifVersion !== undefined) this.conditions.set(field, ifVersion === 0 ? '!' : `${ifVersion}`);
  }

  stageAppend(txId: string, agentId: string, prefix: string, appendId: string, json: string): void {
    const field = `${agentId}${SEPARATOR}${prefix}${SEPARATOR}${appendId}`;
    this.put(txId, appendId, { kind: 'a', field, json });
  }

  /** This transaction's own operation on a record: a value, null for a delete, undefined if none. */
  staged(agentId: string, key: string): JsonObject | null | undefined {
    const operation = this.operations.get(recordField(agentId, key));
    if (operation === undefined) return undefined;
    return operation.json === null ? null : (JSON.parse(operation.json) as JsonObject);
  }

  /** This transaction's own writes (values) and deletes (null) of an agent's records, by key. */
  stagedOf(agentId: string): Map<string, JsonObject | null> {
    const prefix = `${agentId}${SEPARATOR}`;
    const own = new Map<string, JsonObject | null>();
    for (const { kind, field, json } of this.operations.values()) {
      if (kind !== 'a' && field.startsWith(prefix)) {
        own.set(
          field.slice(prefix.length),
          json === null ? null : (JSON.parse(json) as JsonObject),
        );
      }
    }
    return own;
  }

  /** Remembers the version a committed read saw; the first read of a record is the one that counts. */
  read(agentId: string, key: string, version: number): void {
    const field = recordField(agentId, key);
    if (!this.conditions.has(field)) this.conditions.set(field, `${version}`);
  }

  /** Remembers an agent's membership count when it was first listed (no phantoms). */
  listed(agentId: string, membership: number): void {
    const field = membershipField(agentId);
    if (!this.conditions.has(field)) this.conditions.set(field, `${membership}`);
  }

  get sent(): boolean {
    return this.commitSent;
  }

  /**
   * Everything the commit script needs, in one value (from now on, a commit is a retry). A retry
   * once the retention has passed since the first send is refused with TransactionNotFoundError,
   * as for a transaction in Redis: the record that makes a retry find its first attempt's outcome
   * (written at or after the first send) may be gone, and sending again could apply it twice.
   */
  toCommit(tx: TransactionId, token: string): BufferedCommit {
    if (!this.commitSent) {
      this.commitSent = true;
      this.firstSentAt = performance.now();
    } else if (performance.now() - this.firstSentAt >= this.limits.retentionMs) {
      throw new TransactionNotFoundError(tx.id);
    }
    return {
      tx,
      token,
      createdAt: this.createdAt,
      operations: [...this.operations.values()],
      conditions: this.conditions,
      ...(this.limits.chosenId ? { chosen: true } : {}),
    };
  }

  private put(txId: string, id: string, operation: BufferedOperation): void {
    const previous = this.operations.get(id);
    const size = (op: BufferedOperation): number =>
      Buffer.byteLength(op.field) + (op.json === null ? 0 : Buffer.byteLength(op.json));
    const bytes = this.bytes - (previous ? size(previous) : 0) + size(operation);
    if (!previous && this.operations.size >= this.limits.maxOperations) {
      throw new LimitExceededError('maxOperationsPerTransaction', this.limits.maxOperations, txId);
    }
    if (bytes > this.limits.maxBytes) {
      throw new LimitExceededError('maxTransactionBytes', this.limits.maxBytes, txId);
    }
    this.bytes = bytes;
    this.operations.delete(id);
    this.operations.set(id, operation);
  }
}
