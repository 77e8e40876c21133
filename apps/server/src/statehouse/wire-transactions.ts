import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import {
  StatehouseError,
  StorageUnavailableError,
  TransactionError,
  TransactionNotFoundError,
  ValidationError,
  readTransactionId,
  type Statehouse,
  type Transaction,
} from '@statehouse/core';
import { invalidNamespaceSwitch } from '../common/error-mapping';
import { TokenAuthenticator, type Principal } from '../common/auth';
import { REGISTRY_REDIS, SERVER_CONFIG, STATEHOUSE_CLIENT } from '../common/injection-tokens';
import type { ServerConfig } from '../config/server-config';

/**
 * Transactions as the Statehouse wire protocol has them: BeginTransaction names no namespace, and a
 * transaction belongs to the namespace of its first Write or Delete. A transaction begun here is a
 * small record in Redis (`sh:txn:{<uuid>}`: deadline, state, namespace once bound), so that any
 * server process can continue it; its first write binds the namespace atomically and begins the
 * engine's transaction `<namespace>~<uuid>` with the same deadline (an idempotent begin, so two
 * processes racing on the first write agree). Engine ids (`<namespace>~<uuid>`, from the HTTP API
 * and our own gRPC service) are accepted everywhere too.
 */
@Injectable()
export class WireTransactions {
  /** uuid -> bound namespace; a binding never changes, so this cache is never stale. */
  private readonly bound = new Map<string, string>();

  constructor(
    @Inject(STATEHOUSE_CLIENT) private readonly client: Statehouse,
    @Inject(REGISTRY_REDIS) private readonly redis: Redis | Cluster,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    private readonly auth: TokenAuthenticator,
  ) {
    this.redis.defineCommand('statehouseWireTransaction', { numberOfKeys: 1, lua: WIRE_SCRIPT });
  }

  /** BeginTransaction: a transaction bound to no namespace yet; returns its id (a uuid). */
  async begin(timeoutMs: number | undefined): Promise<string> {
    const timeout = timeoutMs ?? 30_000;
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 600_000) {
      throw new ValidationError('timeout_ms', 'must be an integer from 1 to 600000');
    }
    const uuid = randomUUID();
    await this.run(uuid, ['begin', timeout, RETENTION_MS]);
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
      if (namespace !== undefined && namespace !== cached) {
        throw invalidNamespaceSwitch(txnId, cached, namespace);
      }
      this.auth.authorize(principal, cached, txnId);
      return resume(`${cached}~${uuid}`);
    }
    // Commit/Abort name no namespace: the bound one, else (an empty transaction) the default.
    let bound = namespace === undefined ? await this.bind(txnId, uuid, '') : null;
    const target = bound?.namespace ?? namespace ?? this.config.namespace;
    this.auth.authorize(principal, target, txnId); // before binding: no binding to a forbidden one
    bound ??= await this.bind(txnId, uuid, target);
    const { remainingMs } = bound!;
    const tx = await this.client.beginTransaction({
      id: `${target}~${uuid}`,
      detached: true,
      timeoutMs: Math.min(600_000, Math.max(1, remainingMs)),
    });
    this.remember(uuid, target);
    return commitToken ? resume(tx.id) : tx;
  }

  /** Abort: an unbound transaction is aborted here; a bound one in the engine. */
  async abort(txnId: string, principal: Principal): Promise<void> {
    if (readTransactionId(txnId) || this.bound.has(this.uuidOf(txnId))) {
      const tx = await this.forOperation(txnId, principal, undefined);
      return tx.abort();
    }
    const uuid = this.uuidOf(txnId);
    const [code, detail] = await this.run(uuid, ['abort']);
    if (code === NOT_FOUND) throw new TransactionNotFoundError(txnId);
    if (code === BOUND) {
      this.remember(uuid, String(detail));
      const tx = await this.forOperation(txnId, principal, undefined);
      await tx.abort();
    }
  }

  /** `{ namespace, remainingMs }` once bound; with `namespace` '' only looks (null: unbound). */
  private async bind(
    txnId: string,
    uuid: string,
    namespace: string,
  ): Promise<{ namespace: string; remainingMs: number } | null> {
    const [code, detail, remaining] = await this.run(uuid, ['bind', namespace]);
    switch (code) {
      case OK:
        return { namespace: String(detail), remainingMs: Number(remaining) };
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
      default:
        throw new TransactionError(`Unexpected reply ${code} for transaction ${txnId}`);
    }
  }

  private remember(uuid: string, namespace: string): void {
    if (this.bound.size >= CACHE_SIZE) {
      this.bound.delete(this.bound.keys().next().value!); // the oldest entry
    }
    this.bound.set(uuid, namespace);
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
      return await command.call(this.redis, `sh:txn:{${uuid}}`, ...args);
    } catch (error) {
      if (error instanceof StatehouseError) throw error;
      throw new StorageUnavailableError((error as Error).message, { cause: error });
    }
  }
}

const RETENTION_MS = 120_000;
const CACHE_SIZE = 100_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const OK = 0;
const UNBOUND = 1;
const BOUND = 1;
const NOT_FOUND = -1;
const ABORTED = -2;
const TIMED_OUT = -3;
const OTHER_NAMESPACE = -4;

/**
 * KEYS[1] the wire transaction's record: hash deadline (ms, Redis clock), state ('open' |
 * 'aborted'), namespace (once bound). ARGV[1] is the action:
 *   begin, timeoutMs, retentionMs -> { 0, deadline }
 *   bind, namespace   -> { 0, namespace, remainingMs } bound (now, or before to this namespace)
 *                        { 1 } unbound (namespace '': only looking)
 *                        { -1 } not found, { -2 } aborted, { -3 } past its deadline while unbound,
 *                        { -4, namespace } bound to another namespace
 *   abort             -> { 0 } aborted now (unbound), { 1, namespace } bound: abort it there,
 *                        { 2 } already aborted, { -1 } not found
 */
const WIRE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local action = ARGV[1]
if action == 'begin' then
  local deadline = now + tonumber(ARGV[2])
  redis.call('HSET', KEYS[1], 'deadline', deadline, 'state', 'open')
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]))
  return { 0, deadline }
end
local tx = redis.call('HMGET', KEYS[1], 'deadline', 'state', 'namespace')
if not tx[1] then
  return { -1 }
end
local deadline = tonumber(tx[1])
if action == 'abort' then
  if tx[3] then
    return { 1, tx[3] }
  end
  if tx[2] == 'aborted' then
    return { 2 }
  end
  redis.call('HSET', KEYS[1], 'state', 'aborted')
  return { 0 }
end
-- bind
if tx[3] then
  if ARGV[2] ~= '' and ARGV[2] ~= tx[3] then
    return { -4, tx[3] }
  end
  return { 0, tx[3], deadline - now }
end
if tx[2] == 'aborted' then
  return { -2 }
end
if now >= deadline then
  return { -3 }
end
if ARGV[2] == '' then
  return { 1 }
end
redis.call('HSET', KEYS[1], 'namespace', ARGV[2])
return { 0, ARGV[2], deadline - now }
`;
