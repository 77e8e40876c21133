import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { commitUntilKnown, stateOfCode } from '@statehouse/contract';
import {
  PermissionDeniedError,
  StatehouseError,
  StorageUnavailableError,
  TransactionConflictError,
  TransactionError,
  TransactionNotFoundError,
  ValidationError,
  type CommitOperationsInput,
  type CommitOperationsResult,
  defineScriptsOn,
  readScriptFolder,
  readTransactionId,
  type Statehouse,
  type Transaction,
} from '@statehouse/core';
import { invalidNamespaceSwitch } from '../common/error-mapping';
import { TokenAuthenticator, type Principal } from '../common/auth';
import { REGISTRY_REDIS, SERVER_CONFIG, STATEHOUSE_CLIENT } from '../common/injection-tokens';
import type { ServerConfig } from '../config/server-config';
import { MetricsService } from '../observability/metrics.service';

/**
 * Transactions as the Statehouse wire protocol has them: BeginTransaction names no namespace, and a
 * transaction belongs to the namespace of its first Write or Delete. A transaction begun here is a
 * small record in Redis (`<keyPrefix>:txn:{<uuid>}`, script commands/wireTransaction-1.lua: deadline, state, owner, namespace once bound), so that
 * any server process can continue it; its first write binds the namespace atomically and begins the
 * engine's transaction `<namespace>~<uuid>` with the same deadline (an idempotent begin, so two
 * processes racing on the first write agree). Engine ids (`<namespace>~<uuid>`, from the HTTP API
 * and our own gRPC service) are accepted everywhere too.
 *
 * A transaction is never begun again once it finished, whatever the retention: the engine's
 * transaction is begun (or found) only while the wire deadline is ahead, and the engine keeps a
 * transaction begun with a chosen id until its deadline plus the retention even when it finished
 * earlier (finishTransaction.lua). So within the deadline the idempotent begin finds it, and past
 * the deadline nothing is begun: the engine reports what it remembers, or TransactionNotFoundError.
 * (Test: test/e2e/server/wire-transactions.test.ts.)
 *
 * A transaction belongs to the token that began it (when the server has tokens): another token
 * cannot bind, write, commit or abort it (PermissionDeniedError).
 *
 * Commits and aborts of both APIs (HTTP and gRPC) go through here, measured. A commit whose
 * outcome is unknown (Redis' answer lost) is retried with the same transaction object, hence the
 * same commit token, by the contract's policy (commitUntilKnown): the retry returns the commitTs
 * if the first attempt committed, and never applies twice.
 */
@Injectable()
export class WireTransactions {
  /**
   * uuid -> bound namespace and owner; a binding and an owner never change, so this cache is never
   * stale. It only names the engine transaction: whether that is still open, finished or gone is
   * asked of the engine every time.
   */
  private readonly bound = new Map<string, { namespace: string; owner: string }>();

  constructor(
    @Inject(STATEHOUSE_CLIENT) private readonly client: Statehouse,
    @Inject(REGISTRY_REDIS) private readonly redis: Redis | Cluster,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    private readonly auth: TokenAuthenticator,
    private readonly metrics: MetricsService,
  ) {
    defineScriptsOn(this.redis, WIRE_SCRIPTS);
  }

  /** BeginTransaction: a transaction bound to no namespace yet, owned by `principal`; returns its id (a uuid). */
  async begin(timeoutMs: number | undefined, principal: Principal): Promise<string> {
    const { defaultTimeoutMs, maxTimeoutMs, finishedTransactionRetentionMs } = this.client.limits;
    const timeout = timeoutMs ?? defaultTimeoutMs;
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > maxTimeoutMs) {
      throw new ValidationError(
        'timeout_ms',
        `must be an integer from 1 to ${maxTimeoutMs} (the server's --max-timeout-ms)`,
      );
    }
    const uuid = randomUUID();
    await this.run(uuid, ['begin', timeout, finishedTransactionRetentionMs, principal.owner]);
    return uuid;
  }

  /**
   * The engine transaction for a Write or Delete in `namespace` (bound now if it is the first),
   * or, with `namespace` undefined, for Commit (an unbound transaction binds the default namespace:
   * an empty commit).
   */
  async forOperation(
    txnId: string,
    principal: Principal,
    namespace: string | undefined,
    commitToken?: string,
  ): Promise<Transaction> {
    const resume = (id: string): Promise<Transaction> =>
      this.client.resumeTransaction(id, { lazy: true, ...(commitToken ? { commitToken } : {}) });
    const engineId = readTransactionId(txnId);
    if (engineId) {
      if (namespace !== undefined && namespace !== engineId.namespace) {
        throw invalidNamespaceSwitch(txnId, engineId.namespace, namespace);
      }
      this.auth.authorize(principal, engineId.namespace, txnId);
      return resume(txnId);
    }
    const uuid = this.uuidOf(txnId);
    const cached = this.bound.get(uuid);
    if (cached !== undefined) {
      if (cached.owner !== '' && cached.owner !== principal.owner) {
        throw PermissionDeniedError.notOwner(txnId);
      }
      if (namespace !== undefined && namespace !== cached.namespace) {
        throw invalidNamespaceSwitch(txnId, cached.namespace, namespace);
      }
      this.auth.authorize(principal, cached.namespace, txnId);
      return resume(`${cached.namespace}~${uuid}`);
    }
    // Commit/Abort name no namespace: the bound one, else (an empty transaction) the default.
    let bound = namespace === undefined ? await this.bind(txnId, uuid, principal, '') : null;
    const target = bound?.namespace ?? namespace ?? this.config.namespace;
    this.auth.authorize(principal, target, txnId); // before binding: no binding to a forbidden one
    bound ??= await this.bind(txnId, uuid, principal, target);
    const { remainingMs, owner } = bound!;
    const id = `${target}~${uuid}`;
    if (remainingMs <= 0) {
      // Past its deadline: never begin it (again). The engine says how it ended, or that it is
      // gone (TransactionNotFoundError).
      this.remember(uuid, target, owner);
      return resume(id);
    }
    const { maxTimeoutMs } = this.client.limits;
    if (remainingMs > maxTimeoutMs) {
      throw new ValidationError(
        'timeout_ms',
        `the transaction was begun with a timeout longer than this server's --max-timeout-ms (${maxTimeoutMs})`,
      );
    }
    // Idempotent: within the deadline the engine still has the transaction if it was ever begun.
    const tx = await this.client.beginTransaction({ id, detached: true, timeoutMs: remainingMs });
    this.remember(uuid, target, owner); // only once the engine has it
    return commitToken ? resume(tx.id) : tx;
  }

  /**
   * Commit (a commit token makes it safe to send again, even to another server): its commitTs,
   * and the keys allocated to its appends by append id.
   */
  async commit(
    txnId: string,
    principal: Principal,
    commitToken?: string,
  ): Promise<{ commitTs: number; appended: ReadonlyMap<string, string> }> {
    const tx = await this.forOperation(txnId, principal, undefined, commitToken);
    return { commitTs: await this.commitMeasured(tx), appended: tx.appendedKeys };
  }

  /**
   * A whole transaction from one request (a buffered transaction sent whole: operations, with
   * the conditions of its reads and listings), applied atomically in one script call; with the
   * client's id and commit token, a resend returns the first commit's outcome.
   */
  async commitOperations(input: CommitOperationsInput): Promise<CommitOperationsResult> {
    this.metrics.begun();
    return this.measured(() => this.client.commitOperations(input));
  }

  /**
   * The engine transaction `txnId` (an engine id chosen by the client), begun now with
   * `timeoutMs` if it does not exist yet: a lazy transaction's first operations carry its begin.
   */
  async beginning(txnId: string, principal: Principal, timeoutMs: number): Promise<Transaction> {
    const engineId = readTransactionId(txnId);
    if (!engineId) {
      throw new ValidationError(
        'txn_id',
        'must be "<namespace>~<lowercase uuid>" to begin it here',
      );
    }
    this.auth.authorize(principal, engineId.namespace, txnId);
    // Idempotent: the first operations may race; each finds the transaction the first began.
    return this.client.beginTransaction({ id: txnId, detached: true, timeoutMs });
  }

  /** Abort: an unbound transaction is aborted here; a bound one in the engine. */
  async abort(txnId: string, principal: Principal): Promise<void> {
    if (readTransactionId(txnId) || this.bound.has(this.uuidOf(txnId))) {
      const tx = await this.forOperation(txnId, principal, undefined);
      await tx.abort();
    } else {
      const uuid = this.uuidOf(txnId);
      const [code] = await this.run(uuid, ['abort', principal.owner]);
      if (code === NOT_FOUND) throw new TransactionNotFoundError(txnId);
      if (code === NOT_OWNER) throw PermissionDeniedError.notOwner(txnId);
      if (code === BOUND) {
        const tx = await this.forOperation(txnId, principal, undefined);
        await tx.abort();
      }
    }
    this.metrics.outcome('aborted');
  }

  private commitMeasured(tx: Transaction): Promise<number> {
    return this.measured(() => commitUntilKnown(() => tx.commit()));
  }

  private async measured<T>(commit: () => Promise<T>): Promise<T> {
    const stop = this.metrics.commitDuration.startTimer();
    try {
      const result = await commit();
      this.metrics.outcome('committed');
      return result;
    } catch (error) {
      this.metrics.outcome(
        error instanceof TransactionConflictError
          ? 'conflict'
          : stateOfCode((error as { code?: string }).code) === 'timedOut'
            ? 'timedOut'
            : 'failed',
      );
      throw error;
    } finally {
      stop();
    }
  }

  /** `{ namespace, remainingMs, owner }` once bound; with `namespace` '' only looks (null: unbound). */
  private async bind(
    txnId: string,
    uuid: string,
    principal: Principal,
    namespace: string,
  ): Promise<{ namespace: string; remainingMs: number; owner: string } | null> {
    const [code, detail, remaining, owner] = await this.run(uuid, [
      'bind',
      principal.owner,
      namespace,
    ]);
    switch (code) {
      case OK:
        return {
          namespace: String(detail),
          remainingMs: Number(remaining),
          owner: String(owner ?? ''),
        };
      case UNBOUND:
        return null;
      case NOT_FOUND:
        throw new TransactionNotFoundError(txnId);
      case ABORTED:
        throw TransactionError.forState('TRANSACTION_ALREADY_ABORTED', txnId);
      case TIMED_OUT:
        throw TransactionError.forState('TRANSACTION_TIMEOUT', txnId);
      case OTHER_NAMESPACE:
        throw invalidNamespaceSwitch(txnId, String(detail), namespace);
      case NOT_OWNER:
        throw PermissionDeniedError.notOwner(txnId);
      default:
        throw new TransactionError(`Unexpected reply ${code} for transaction ${txnId}`);
    }
  }

  private remember(uuid: string, namespace: string, owner: string): void {
    if (this.bound.has(uuid)) return;
    if (this.bound.size >= CACHE_SIZE) {
      this.bound.delete(this.bound.keys().next().value!); // the oldest entry
    }
    this.bound.set(uuid, { namespace, owner });
  }

  private uuidOf(txnId: string): string {
    if (!UUID.test(txnId)) throw new TransactionNotFoundError(txnId);
    return txnId;
  }

  private async run(uuid: string, args: Array<string | number>): Promise<Array<number | string>> {
    try {
      const command = (
        this.redis as unknown as Record<
          string,
          (key: string, ...args: Array<string | number>) => Promise<Array<number | string>>
        >
      )['statehouseWireTransaction']!;
      return await command.call(this.redis, `${this.client.keyPrefix}:txn:{${uuid}}`, ...args);
    } catch (error) {
      if (error instanceof StatehouseError) throw error;
      throw new StorageUnavailableError((error as Error).message, { cause: error });
    }
  }
}

/** The server's own scripts (statehouseWireTransaction), loaded like the engine's. */
const WIRE_SCRIPTS = readScriptFolder(join(__dirname, 'commands'));
const CACHE_SIZE = 100_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// Replies of commands/wireTransaction-1.lua.
const OK = 0;
const UNBOUND = 1;
const BOUND = 1;
const NOT_FOUND = -1;
const ABORTED = -2;
const TIMED_OUT = -3;
const OTHER_NAMESPACE = -4;
const NOT_OWNER = -5;
