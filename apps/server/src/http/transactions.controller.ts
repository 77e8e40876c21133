import { Controller, Get, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { readTransactionId, ValidationError, type Statehouse } from '@statehouse/core';
import type { Principal } from '../common/auth';
import { TokenAuthenticator } from '../common/auth';
import { STATEHOUSE_CLIENT } from '../common/injection-tokens';
import { MetricsService } from '../observability/metrics.service';
import { WireTransactions } from '../statehouse/wire-transactions';
import {
  ApiOperation,
  type BodyOf,
  type JsonOf,
  type ParamsOf,
} from './openapi/operation.decorator';
import { ValidBody, ValidParams } from './openapi/request-input';
import { CurrentPrincipal, TokenGuard } from './request-context';
import {
  ABORT,
  BEGIN,
  COMMIT,
  COMMIT_OPERATIONS,
  DELETE,
  DESCRIBE,
  GET,
  WRITE,
} from './transactions.api';

/**
 * Transactions over HTTP: begin, write, delete, read inside, commit, abort, and a commit of a list
 * of operations in one request. A transaction begun here is bound to its namespace at begin; its
 * id (`<namespace>~<uuid>`) is also accepted by gRPC.
 */
@Controller('v1')
@UseGuards(TokenGuard)
export class TransactionsController {
  constructor(
    @Inject(STATEHOUSE_CLIENT) private readonly client: Statehouse,
    private readonly transactions: WireTransactions,
    private readonly auth: TokenAuthenticator,
    private readonly metrics: MetricsService,
  ) {}

  @Post('transactions')
  @ApiOperation(BEGIN)
  async begin(
    @ValidBody() body: BodyOf<typeof BEGIN>,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JsonOf<typeof BEGIN>> {
    const ns = this.auth.authorizedNamespace(principal, body.namespace);
    const tx = await this.client.beginTransaction({
      namespace: ns,
      ...(body.timeoutMs === undefined ? {} : { timeoutMs: body.timeoutMs }),
      detached: true,
    });
    this.metrics.begun();
    return { txId: tx.id, namespace: tx.namespace };
  }

  /** Scoped by the id's namespace (read from the right: a namespace may hold '~'). */
  @Get('transactions/:txId')
  @ApiOperation(DESCRIBE)
  async describe(
    @ValidParams() { txId }: ParamsOf<typeof DESCRIBE>,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JsonOf<typeof DESCRIBE>> {
    const named = readTransactionId(txId);
    if (!named) throw new ValidationError('txId', 'must be "<namespace>~<lowercase uuid>"');
    this.auth.authorize(principal, named.namespace, txId);
    return this.client.describeTransaction(txId);
  }

  @Post('transactions/:txId/write')
  @ApiOperation(WRITE)
  @HttpCode(204)
  async write(
    @ValidParams() { txId }: ParamsOf<typeof WRITE>,
    @ValidBody() body: BodyOf<typeof WRITE>,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const tx = await this.transactions.forOperation(txId, principal, undefined);
    await tx.write(body);
  }

  @Post('transactions/:txId/delete')
  @ApiOperation(DELETE)
  @HttpCode(204)
  async delete(
    @ValidParams() { txId }: ParamsOf<typeof DELETE>,
    @ValidBody() body: BodyOf<typeof DELETE>,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const tx = await this.transactions.forOperation(txId, principal, undefined);
    await tx.delete(body);
  }

  /** A read inside the transaction: its own write if it has one, else the committed record. */
  @Post('transactions/:txId/get')
  @ApiOperation(GET)
  @HttpCode(200)
  async get(
    @ValidParams() { txId }: ParamsOf<typeof GET>,
    @ValidBody() body: BodyOf<typeof GET>,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JsonOf<typeof GET>> {
    const tx = await this.transactions.forOperation(txId, principal, undefined);
    return tx.get(body);
  }

  @Post('transactions/:txId/commit')
  @ApiOperation(COMMIT)
  @HttpCode(200)
  async commit(
    @ValidParams() { txId }: ParamsOf<typeof COMMIT>,
    @ValidBody() { commitToken }: BodyOf<typeof COMMIT>,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JsonOf<typeof COMMIT>> {
    // A commit token makes the commit safe to send again after a lost answer (even to another
    // instance): a retry with the same token returns the first attempt's commitTs.
    const { commitTs } = await this.transactions.commit(txId, principal, commitToken);
    return { commitTs };
  }

  @Post('transactions/:txId/abort')
  @ApiOperation(ABORT)
  @HttpCode(204)
  async abort(
    @ValidParams() { txId }: ParamsOf<typeof ABORT>,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    await this.transactions.abort(txId, principal);
  }

  /**
   * A whole transaction in one request (COMMIT_OPERATIONS), applied atomically in one script
   * call (a buffered transaction sent whole). With `txId` and `commitToken`, a resend returns the
   * first commitTs.
   */
  @Post('commit')
  @ApiOperation(COMMIT_OPERATIONS)
  @HttpCode(200)
  async commitOperations(
    @ValidBody() body: BodyOf<typeof COMMIT_OPERATIONS>,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JsonOf<typeof COMMIT_OPERATIONS>> {
    const { namespace, operations, timeoutMs, txId, commitToken, reads, listings } = body;
    const named = txId === undefined ? null : readTransactionId(txId);
    if (txId !== undefined && !named) {
      throw new ValidationError('txId', 'must be "<namespace>~<lowercase uuid>"');
    }
    const ns = this.auth.authorizedNamespace(principal, named?.namespace ?? namespace);
    return this.transactions.commitOperations({
      namespace: ns,
      operations,
      ...(named ? { id: named.id } : {}),
      ...(commitToken === undefined ? {} : { commitToken }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(reads === undefined ? {} : { reads }),
      ...(listings === undefined ? {} : { listings }),
    });
  }
}
