import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { HumanMessage } from '@langchain/core/messages';
import { Command, type StateSnapshot } from '@langchain/langgraph';
import type { StatehouseApi } from '@statehouse/core';
import { StatehouseSaver } from '@statehouse/langgraph';
import { InjectStatehouse } from '@statehouse/nestjs';
import { DeploymentState, buildDeploymentGraph, type DeploymentDecision } from './deployment.graph';

export interface DeploymentView {
  readonly id: string;
  readonly service: string;
  readonly status: 'awaitingApproval' | 'done' | 'running';
  /** What the approval step asks, while it waits. */
  readonly question: string | null;
  readonly checks: string[];
  readonly decision: DeploymentDecision | null;
  readonly outcome: string | null;
}

/**
 * The LangGraph variant of the approval workflow: one graph thread per deployment, every step
 * checkpointed in Statehouse through the module's client, so any replica can continue any
 * deployment (`durability: 'sync'`: a step is committed before the next one runs).
 */
@Injectable()
export class DeploymentAgentService {
  private readonly graph: ReturnType<typeof buildDeploymentGraph>;

  constructor(@InjectStatehouse() statehouse: StatehouseApi) {
    this.graph = buildDeploymentGraph(new StatehouseSaver(statehouse));
  }

  /** Runs a new deployment's graph up to its approval. */
  async request(id: string, service: string): Promise<DeploymentView> {
    const existing = (await this.graph.getState(thread(id))).values as Values;
    if (existing.service !== undefined) {
      throw new ConflictException(`deployment ${id} exists already`);
    }
    const input = { service, messages: [new HumanMessage(`deploy ${service}`)] };
    await this.graph.invoke(input, { ...thread(id), durability: 'sync' });
    return this.get(id);
  }

  /** The human's answer to the interrupt: the graph resumes and deploys (or not). */
  async decide(id: string, decision: DeploymentDecision): Promise<DeploymentView> {
    const view = await this.get(id);
    if (view.status !== 'awaitingApproval') {
      throw new ConflictException(`deployment ${id} is ${view.status}, not awaiting approval`);
    }
    await this.graph.invoke(new Command({ resume: decision }), {
      ...thread(id),
      durability: 'sync',
    });
    return this.get(id);
  }

  async get(id: string): Promise<DeploymentView> {
    const snapshot = await this.graph.getState(thread(id));
    const values = snapshot.values as Values;
    if (values.service === undefined) throw new NotFoundException(`no deployment ${id}`);
    const interrupt = snapshot.tasks.flatMap((task) => task.interrupts)[0];
    return {
      id,
      service: values.service,
      status: interrupt ? 'awaitingApproval' : snapshot.next.length === 0 ? 'done' : 'running',
      question: (interrupt?.value as { question: string } | undefined)?.question ?? null,
      checks: (values.messages ?? [])
        .filter((message) => message.getType() === 'tool')
        .map((message) => message.text),
      decision: values.decision ?? null,
      outcome: values.outcome ?? null,
    };
  }

  /** Every checkpoint of the deployment, newest first (LangGraph's getStateHistory). */
  async history(
    id: string,
  ): Promise<Array<{ checkpointId: string; step: number; next: string[] }>> {
    const snapshots: StateSnapshot[] = [];
    for await (const snapshot of this.graph.getStateHistory(thread(id))) snapshots.push(snapshot);
    if (snapshots.length === 0) throw new NotFoundException(`no deployment ${id}`);
    return snapshots.map((snapshot) => ({
      checkpointId: String(snapshot.config.configurable?.checkpoint_id),
      step: snapshot.metadata?.step ?? 0,
      next: [...snapshot.next],
    }));
  }
}

type Values = Partial<typeof DeploymentState.State>;

function thread(id: string) {
  return { configurable: { thread_id: `deployment:${id}` } };
}
