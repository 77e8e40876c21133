import { Body, Controller, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import {
  readTransactionId,
  ValidationError,
  type CommitOperationsInput,
  type DeleteInput,
  type SentOperation,
  type Statehouse,
  type TransactionReadResult,
  type WriteInput,
} from '@statehouse/core';
import type { Principal } from '../common/auth';
import { TokenAuthenticator } from '../common/auth';
import { STATEHOUSE_CLIENT } from '../common/injection-tokens';
import { MetricsService } from '../observability/metrics.service';
import { WireTransactions } from '../statehouse/wire-transactions';
import { objectBody } from './body';
import { CurrentPrincipal, TokenGuard } from './request-context';

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
  async begin(
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ txId: string; namespace: string }> {
    const { namespace, timeoutMs } = objectBody(body);
    const ns = this.auth.authorizedNamespace(principal, namespace);
    const tx = await this.client.beginTransaction({
      namespace: ns,
      timeoutMs: timeoutMs as number,
      detached: true,
    });
    this.metrics.begun();
    return { txId: tx.id, namespace: tx.namespace };
  }

  @Post('transactions/:txId/write')
  @HttpCode(204)
  async write(
    @Param('txId') txId: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const tx = await this.transactions.forOperation(txId, principal, undefined);
    await tx.write(objectBody(body) as unknown as WriteInput);
  }

  @Post('transactions/:txId/delete')
  @HttpCode(204)
  async delete(
    @Param('txId') txId: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const tx = await this.transactions.forOperation(txId, principal, undefined);
    await tx.delete(objectBody(body) as unknown as DeleteInput);
  }

  /** A read inside the transaction: its own write if it has one, else the committed record. */
  @Post('transactions/:txId/get')
  @HttpCode(200)
  async get(
    @Param('txId') txId: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<TransactionReadResult> {
    const tx = await this.transactions.forOperation(txId, principal, undefined);
    const { agentId, key } = objectBody(body);
    return tx.get({ agentId: agentId as string, key: key as string });
  }

  @Post('transactions/:txId/commit')
  @HttpCode(200)
  async commit(
    @Param('txId') txId: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ commitTs: number }> {
    // A commit token makes the commit safe to send again after a lost answer (even to another
    // instance): a retry with the same token returns the first attempt's commitTs.
    const { commitToken } = objectBody(body);
    if (commitToken !== undefined && typeof commitToken !== 'string') {
      throw new ValidationError('commitToken', 'must be a string of 8-64 characters');
    }
    const { commitTs } = await this.transactions.commit(txId, principal, commitToken);
    return { commitTs };
  }

  @Post('transactions/:txId/abort')
  @HttpCode(204)
  async abort(
    @Param('txId') txId: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    await this.transactions.abort(txId, principal);
  }

  /**
   * A whole transaction in one request: `{ namespace?, operations: [{ op: 'write', agentId, key,
   * value, ifVersion? } | { op: 'delete', agentId, key, ifVersion? } | { op: 'append', agentId,
   * prefix, value }], reads?: [{ agentId, key, version }], listings?: [{ agentId, membership }],
   * txId?, commitToken?, timeoutMs? }`, applied atomically in one script call (a buffered
   * transaction sent whole). With `txId` and `commitToken`, a resend returns the first commitTs.
   */
  @Post('commit')
  @HttpCode(200)
  async commitOperations(
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ commitTs: number; txId: string; appendedKeys: string[] }> {
    const { namespace, operations, timeoutMs, txId, commitToken, reads, listings } =
      objectBody(body);
    if (!Array.isArray(operations)) {
      throw new ValidationError(
        'operations',
        'must be a list of { op: "write" | "delete" | "append", ... }',
      );
    }
    const named = txId === undefined ? null : readTransactionId(txId);
    if (txId !== undefined && !named) {
      throw new ValidationError('txId', 'must be "<namespace>~<lowercase uuid>"');
    }
    const ns = this.auth.authorizedNamespace(principal, named?.namespace ?? namespace);
    return this.transactions.commitOperations({
      namespace: ns,
      operations: operations as SentOperation[],
      ...(named ? { id: named.id } : {}),
      ...(commitToken === undefined ? {} : { commitToken: commitToken as string }),
      ...(timeoutMs === undefined ? {} : { timeoutMs: timeoutMs as number }),
      ...(reads === undefined ? {} : { reads: reads as CommitOperationsInput['reads'] }),
      ...(listings === undefined
        ? {}
        : { listings: listings as CommitOperationsInput['listings'] }),
    });
  }
}
