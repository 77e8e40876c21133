import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AgentController } from './agent.controller';
import { ApprovalService } from './approval.service';
import { DeploymentAgentService } from './deployment-agent.service';
import { DeploymentController } from './deployment.controller';
import { ProblemFilter } from './problem.filter';
import { ResearchAgentService } from './research-agent.service';

/** The agent's features; the app (app.module.ts) or a test provides StatehouseModule. */
@Module({
  controllers: [AgentController, DeploymentController],
  // Errors leave as problem+json documents (with the status of their cause), in the app and in tests.
  providers: [
    ResearchAgentService,
    ApprovalService,
    DeploymentAgentService,
    { provide: APP_FILTER, useClass: ProblemFilter },
  ],
})
export class AgentModule {}
