import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { DeploymentAgentService } from './deployment-agent.service';
import { objectBody, requiredBoolean, requiredString } from './request-body';

/** The LangGraph deployment agent over HTTP. */
@Controller('deployments')
export class DeploymentController {
  constructor(private readonly deployments: DeploymentAgentService) {}

  @Post(':id')
  request(@Param('id') id: string, @Body() body: unknown) {
    return this.deployments.request(id, requiredString(objectBody(body), 'service'));
  }

  @Post(':id/decision')
  @HttpCode(200)
  decide(@Param('id') id: string, @Body() body: unknown) {
    const input = objectBody(body);
    return this.deployments.decide(id, {
      approved: requiredBoolean(input, 'approved'),
      by: requiredString(input, 'by'),
    });
  }

  @Get(':id')
  get(@Param('id') id: string) {
    return this.deployments.get(id);
  }

  @Get(':id/history')
  history(@Param('id') id: string) {
    return this.deployments.history(id);
  }
}
