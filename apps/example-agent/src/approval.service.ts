import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import type { JsonObject, StatehouseApi } from '@statehouse/core';
import { InjectStatehouse, Transactional, currentTransaction } from '@statehouse/nestjs';

export type WorkflowState =
  'requested' | 'analyzed' | 'proposed' | 'awaitingApproval' | 'approved' | 'rejected' | 'done';

export interface Workflow extends JsonObject {
  state: WorkflowState;
  action: string;
  requestedBy: string;
  analysis: string | null;
  proposal: string | null;
  decision: { approved: boolean; by: string; reason: string } | null;
  result: string | null;
}

/**
 * A human-in-the-loop approval workflow: request → analysis → proposal → waiting for approval →
 * approved or rejected → final action. Every transition is its own transaction on the workflow's
 * record, so the state says where it is and the replay explains how it got there.
 */
@Injectable()
export class ApprovalService {
  constructor(@InjectStatehouse() private readonly statehouse: StatehouseApi) {}

  async request(id: string, action: string, requestedBy: string): Promise<Workflow> {
    await this.create(id, action, requestedBy);
    await this.transition(id, 'requested', 'analyzed', (w) => ({
      analysis: `"${w.action}" touches production data; reversible: yes`,
    }));
    await this.transition(id, 'analyzed', 'proposed', (w) => ({
      proposal: `run "${w.action}" in a maintenance window, with a backup first`,
    }));
    return this.transition(id, 'proposed', 'awaitingApproval', () => ({}));
  }

  /** The human's decision; an approved workflow then runs its final action. */
  async decide(id: string, approved: boolean, by: string, reason: string): Promise<Workflow> {
    const decided = await this.transition(
      id,
      'awaitingApproval',
      approved ? 'approved' : 'rejected',
      () => ({
        decision: { approved, by, reason },
      }),
    );
    if (!approved) return decided;
    return this.transition(id, 'approved', 'done', (w) => ({ result: `executed: ${w.action}` }));
  }

  async get(id: string): Promise<Workflow> {
    const { value } = await this.statehouse.getState({
      agentId: `workflow:${id}`,
      key: 'workflow',
    });
    if (!value) throw new NotFoundException(`no workflow ${id}`);
    return value as Workflow;
  }

  /** The workflow's states in order, with the commit that made each. */
  async explain(id: string): Promise<Array<{ commitTs: number; state: WorkflowState }>> {
    const steps: Array<{ commitTs: number; state: WorkflowState }> = [];
    for await (const event of this.statehouse.replay({ agentId: `workflow:${id}` })) {
      for (const op of event.operations) {
        if (op.key === 'workflow' && op.value) {
          steps.push({ commitTs: event.commitTs, state: (op.value as Workflow).state });
        }
      }
    }
    return steps;
  }

  @Transactional()
  private async create(id: string, action: string, requestedBy: string): Promise<void> {
    const workflow: Workflow = {
      state: 'requested',
      action,
      requestedBy,
      analysis: null,
      proposal: null,
      decision: null,
      result: null,
    };
    // ifVersion 0: a second request with the same id is a conflict, never an overwrite.
    await currentTransaction()!.write({
      agentId: `workflow:${id}`,
      key: 'workflow',
      value: workflow,
      ifVersion: 0,
    });
  }

  @Transactional()
  private async transition(
    id: string,
    from: WorkflowState,
    to: WorkflowState,
    change: (workflow: Workflow) => Partial<Workflow>,
  ): Promise<Workflow> {
    const tx = currentTransaction()!;
    const { value } = await tx.get({ agentId: `workflow:${id}`, key: 'workflow' });
    if (!value) throw new NotFoundException(`no workflow ${id}`);
    const workflow = value as Workflow;
    if (workflow.state !== from) {
      throw new ConflictException(`workflow ${id} is ${workflow.state}, not ${from}`);
    }
    const next = { ...workflow, ...change(workflow), state: to } as Workflow;
    await tx.write({ agentId: `workflow:${id}`, key: 'workflow', value: next });
    return next;
  }
}
