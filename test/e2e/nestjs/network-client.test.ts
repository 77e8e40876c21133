import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { StatehouseApi } from '@statehouse/core';
import {
  InjectStatehouse,
  StatehouseHealthIndicator,
  StatehouseModule,
  Transactional,
  currentTransaction,
} from '@statehouse/nestjs';
import { startServerProcess } from '../../support/server-process';

// StatehouseModule with `server`: the network client, against a server process.

@Injectable()
class MemoryService {
  constructor(@InjectStatehouse() readonly statehouse: StatehouseApi) {}

  @Transactional({ retries: 50 })
  async remember(agentId: string, fact: string): Promise<void> {
    const tx = currentTransaction()!;
    const { value } = await tx.get({ agentId, key: 'facts' });
    const facts = [...((value?.facts as string[] | undefined) ?? []), fact];
    await tx.write({ agentId, key: 'facts', value: { facts } });
  }
}

it('uses the network client, and the health indicator says up, then down', async () => {
  const server = await startServerProcess();
  const moduleRef = await Test.createTestingModule({
    imports: [
      StatehouseModule.forRoot({
        server: { url: server.url, callTimeoutMs: 1000 },
        namespace: `n-${randomBytes(5).toString('hex')}`,
      }),
    ],
    providers: [MemoryService],
  }).compile();
  const app = await moduleRef.init();
  try {
    const memory = app.get(MemoryService);
    await memory.remember('agent', 'over the network');
    expect((await memory.statehouse.getState({ agentId: 'agent', key: 'facts' })).value).toEqual({
      facts: ['over the network'],
    });
    const health = app.get(StatehouseHealthIndicator);
    expect(await health.isHealthy()).toEqual({ statehouse: { status: 'up', lastCommitTs: 1 } });
    await server.stop();
    expect(await health.isHealthy('store', 1500)).toEqual({
      store: { status: 'down', message: expect.stringContaining('did not answer') },
    });
  } finally {
    await app.close();
    await server.stop();
  }
});
