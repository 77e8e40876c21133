import { Injectable, NotFoundException } from '@nestjs/common';
import type { ReplayEvent, StatehouseApi } from '@statehouse/core';
import { InjectStatehouse, Transactional, currentTransaction } from '@statehouse/nestjs';
import { SimulatedCrashError } from './simulated-crash.error';

/** The steps of a research run; each one's output is committed before the next starts. */
export const RESEARCH_STEPS = ['plan', 'search', 'read', 'analyze', 'answer'] as const;

export interface ResearchProgress {
  readonly question: string;
  /** Steps completed (0..5). */
  readonly done: number;
  readonly answer: string | null;
}

/** Stands in for the model and tools: deterministic, no network. */
function work(step: string, question: string, previous: string[]): string {
  return `${step}(${question})${previous.length ? ` after ${previous.length} step(s)` : ''}`;
}

/**
 * A resumable multi-step research agent. Its progress lives in Statehouse: each step's output and
 * the progress counter are committed together, so a run that dies (a crash, a killed replica)
 * resumes from the last committed step on any replica, and never repeats or skips one.
 */
@Injectable()
export class ResearchAgentService {
  /** For demos and tests: how long each step "thinks". */
  stepDelayMs = Number(process.env.STEP_DELAY_MS ?? 0);

  constructor(@InjectStatehouse() private readonly statehouse: StatehouseApi) {}

  @Transactional()
  async start(agentId: string, question: string): Promise<ResearchProgress> {
    const tx = currentTransaction()!;
    const existing = await tx.get({ agentId, key: 'progress' });
    if (existing.exists) return existing.value as unknown as ResearchProgress;
    const progress: ResearchProgress = { question, done: 0, answer: null };
    await tx.write({ agentId, key: 'progress', value: { ...progress }, ifVersion: 0 });
    return progress;
  }

  /** Runs the remaining steps; `crashAtStep` throws before that step (1-based), as a crash would. */
  async run(agentId: string, options: { crashAtStep?: number } = {}): Promise<ResearchProgress> {
    for (;;) {
      const progress = await this.progress(agentId);
      if (progress.done >= RESEARCH_STEPS.length) return progress;
      if (options.crashAtStep === progress.done + 1) {
        throw new SimulatedCrashError(agentId, progress.done + 1);
      }
      if (this.stepDelayMs) await new Promise((done) => setTimeout(done, this.stepDelayMs));
      await this.step(agentId, progress.done);
    }
  }

  async progress(agentId: string): Promise<ResearchProgress> {
    const { value } = await this.statehouse.getState({ agentId, key: 'progress' });
    if (!value) {
      throw new NotFoundException(
        `no research run for agent ${agentId}: start one with POST /research/${agentId}`,
      );
    }
    return value as unknown as ResearchProgress;
  }

  /** Every committed change of the run, in commit order. */
  async history(agentId: string): Promise<ReplayEvent[]> {
    const events: ReplayEvent[] = [];
    for await (const event of this.statehouse.replay({ agentId })) events.push(event);
    return events;
  }

  /**
   * One step, exactly once: it commits only if the progress is still the one it started from
   * (another replica resuming the same run makes one of the two commits conflict, and the retry
   * finds the step done).
   */
  @Transactional({ retries: 10 })
  private async step(agentId: string, index: number): Promise<void> {
    const tx = currentTransaction()!;
    const { value } = await tx.get({ agentId, key: 'progress' });
    const progress = value as unknown as ResearchProgress;
    if (progress.done !== index) return; // done meanwhile by another replica
    const step = RESEARCH_STEPS[index]!;
    const previous: string[] = [];
    for (let i = 0; i < index; i++) {
      const { value: output } = await tx.get({ agentId, key: `step:${i + 1}` });
      previous.push(typeof output?.output === 'string' ? output.output : '');
    }
    const output = work(step, progress.question, previous);
    await tx.write({ agentId, key: `step:${index + 1}`, value: { step, output } });
    const last = index + 1 === RESEARCH_STEPS.length;
    await tx.write({
      agentId,
      key: 'progress',
      value: { ...progress, done: index + 1, answer: last ? output : null },
    });
    if (last) await tx.write({ agentId, key: 'answer', value: { answer: output } });
  }
}
