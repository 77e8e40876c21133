import { BadRequestException, Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApprovalService } from './approval.service';
import { objectBody, requiredBoolean, requiredString } from './request-body';
import { RESEARCH_STEPS, ResearchAgentService } from './research-agent.service';

@Controller()
export class AgentController {
  constructor(
    private readonly research: ResearchAgentService,
    private readonly approvals: ApprovalService,
  ) {}

  /** Starts (or continues) a research run and works until it is done. */
  @Post('research/:agentId')
  @HttpCode(200)
  async research_(@Param('agentId') agentId: string, @Body() body: unknown) {
    const input = objectBody(body);
    const question = requiredString(input, 'question');
    const { crashAtStep } = input;
    if (
      crashAtStep !== undefined &&
      !(Number.isInteger(crashAtStep) && (crashAtStep as number) >= 1)
    ) {
      throw new BadRequestException(
        `crashAtStep must be a step number from 1 to ${RESEARCH_STEPS.length}, got ${JSON.stringify(crashAtStep)}`,
      );
    }
    await this.research.start(agentId, question);
    return this.research.run(agentId, crashAtStep ? { crashAtStep: crashAtStep as number } : {});
  }

  /** Continues a run from its last committed step (on any replica). */
  @Post('research/:agentId/resume')
  @HttpCode(200)
  resume(@Param('agentId') agentId: string) {
    return this.research.run(agentId);
  }

  @Get('research/:agentId')
  progress(@Param('agentId') agentId: string) {
    return this.research.progress(agentId);
  }

  @Get('research/:agentId/history')
  history(@Param('agentId') agentId: string) {
    return this.research.history(agentId);
  }

  @Post('approvals/:id')
  request(@Param('id') id: string, @Body() body: unknown) {
    const input = objectBody(body);
    return this.approvals.request(
      id,
      requiredString(input, 'action'),
      requiredString(input, 'requestedBy'),
    );
  }

  @Post('approvals/:id/decision')
  @HttpCode(200)
  decide(@Param('id') id: string, @Body() body: unknown) {
    const input = objectBody(body);
    const approved = requiredBoolean(input, 'approved');
    const reason = input.reason === undefined ? '' : requiredString(input, 'reason');
    return this.approvals.decide(id, approved, requiredString(input, 'by'), reason);
  }

  @Get('approvals/:id')
  async workflow(@Param('id') id: string) {
    return { workflow: await this.approvals.get(id), history: await this.approvals.explain(id) };
  }
}
