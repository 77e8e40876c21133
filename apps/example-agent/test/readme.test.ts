import { createStatehouseTestingModule } from '@statehouse/testing';
import { ApprovalService } from '../src/approval.service';
import { ResearchAgentService } from '../src/research-agent.service';

it('resumes research after a crash, and runs an approval to its final action', async () => {
  const moduleRef = await createStatehouseTestingModule({
    providers: [ResearchAgentService, ApprovalService],
  }).compile();
  const app = await moduleRef.init();
  const research = app.get(ResearchAgentService);
  await research.start('agent-1', 'what is a transaction?');
  await expect(research.run('agent-1', { crashAtStep: 3 })).rejects.toThrow('crashed');
  expect((await research.progress('agent-1')).done).toBe(2); // steps 1 and 2 are committed
  expect((await research.run('agent-1')).done).toBe(5); // resumes at step 3

  const approvals = app.get(ApprovalService);
  await approvals.request('w-1', 'drop table tmp', 'agent-1');
  await approvals.decide('w-1', true, 'alice', 'backed up');
  expect((await approvals.get('w-1')).state).toBe('done');
  await app.close();
});
