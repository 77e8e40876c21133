import { Module } from '@nestjs/common';
import { AgentController } from './agent.controller';
import { ApprovalService } from './approval.service';
import { ResearchAgentService } from './research-agent.service';

/** The agent's features; the app (app.module.ts) or a test provides StatehouseModule. */
@Module({
  controllers: [AgentController],
  providers: [ResearchAgentService, ApprovalService],
})
export class AgentModule {}
