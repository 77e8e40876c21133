import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApprovalService } from './approval.service';
import { ResearchAgentService } from './research-agent.service';

@Controller()
export class AgentController {
  constructor(
    private readonly research: ResearchAgentService,
    private readonly approvals: ApprovalService,
  ) {}

  /** Starts (or continues) a research run and works until it is done. */
  @Post('research/:agentId')
  @HttpCode(200)
  async research_(
    @Param('agentId') agentId: string,
    @Body() body: { question: string; crashAtStep?: number },
  ) {
    await this.research.start(agentId, body.question);
    return this.research.run(agentId, body.crashAtStep ? { crashAtStep: body.crashAtStep } : {});
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
  request(@Param('id') id: string, @Body() body: { action: string; requestedBy: string }) {
    return this.approvals.request(id, body.action, body.requestedBy);
  }

  @Post('approvals/:id/decision')
  @HttpCode(200)
  decide(@Param('id') id: string, @Body() body: { approved: boolean; by: string; reason: string }) {
    return this.approvals.decide(id, body.approved === true, body.by, body.reason ?? '');
  }

  @Get('approvals/:id')
  async workflow(@Param('id') id: string) {
    return { workflow: await this.approvals.get(id), history: await this.approvals.explain(id) };
  }
}
