import { randomBytes } from 'node:crypto';
import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ClientClosedError, Statehouse, type StatehouseApi } from '@statehouse/core';
import {
  InjectStatehouse,
  STATEHOUSE,
  StatehouseModule,
  Transactional,
  currentTransaction,
} from '@statehouse/nestjs';
import { startLocalCluster } from '../../../test/support/redis-cluster';

const redisUrl = (): string => process.env.REDIS_URL!;
const namespace = (): string => `n-${randomBytes(5).toString('hex')}`;

@Injectable()
class MemoryService {
  constructor(@InjectStatehouse() readonly statehouse: StatehouseApi) {}

  @Transactional({ retries: 50 })
  async remember(agentId: string, fact: string): Promise<string> {
    const tx = currentTransaction()!;
    const { value } = await tx.get({ agentId, key: 'facts' });
    const facts = [...((value?.facts as string[] | undefined) ?? []), fact];
    await tx.write({ agentId, key: 'facts', value: { facts } });
    return tx.id;
  }

  @Transactional()
  async failAfterWriting(agentId: string): Promise<void> {
    await currentTransaction()!.write({ agentId, key: 'doomed', value: { x: 1 } });
    throw new Error('the model refused');
  }

  @Transactional()
  async rememberTwice(agentId: string): Promise<string[]> {
    return [await this.remember(agentId, 'first'), await this.remember(agentId, 'second')];
  }

  @Transactional({ timeoutMs: 50 })
  async tooSlow(agentId: string): Promise<void> {
    await currentTransaction()!.write({ agentId, key: 'slow', value: {} });
    await new Promise((done) => setTimeout(done, 150));
  }
}

@Controller()
class EmbeddedOnly {
  @Get()
  @Transactional()
  sameAsStatic(): Promise<boolean> {
    return Promise.resolve(Statehouse.currentTransaction() === currentTransaction());
  }
}

async function appWith(imports: unknown[]) {
  const moduleRef = await Test.createTestingModule({
    imports: imports as never[],
    providers: [MemoryService],
    controllers: [EmbeddedOnly],
  }).compile();
  return moduleRef.init();
}

describe('StatehouseModule.forRoot with the embedded engine', () => {
  it('injects the client; @Transactional commits on return, aborts on throw, retries conflicts', async () => {
    const app = await appWith([
      StatehouseModule.forRoot({ redis: redisUrl(), namespace: namespace() }),
    ]);
    const memory = app.get(MemoryService);
    try {
      await Promise.all(
        ['a', 'b', 'c', 'd', 'e', 'f'].map((fact) => memory.remember('agent', fact)),
      );
      const { value, version } = await memory.statehouse.getState({
        agentId: 'agent',
        key: 'facts',
      });
      expect((value!.facts as string[]).sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
      expect(version).toBe(6);
      await expect(memory.failAfterWriting('agent')).rejects.toThrow('the model refused');
      expect((await memory.statehouse.getState({ agentId: 'agent', key: 'doomed' })).exists).toBe(
        false,
      );
      await expect(memory.tooSlow('agent')).rejects.toMatchObject({
        message: 'Transaction timeout',
      });
      expect(await app.get(EmbeddedOnly).sameAsStatic()).toBe(true);
      // A @Transactional method called inside another joins its transaction: one commit.
      const [first, second] = await memory.rememberTwice('nested');
      expect(first).toBe(second);
      const events: unknown[] = [];
      for await (const event of memory.statehouse.replay({ agentId: 'nested' })) events.push(event);
      expect(events).toHaveLength(1);
    } finally {
      await app.close();
    }
    await expect(memory.statehouse.lastCommitTs()).rejects.toBeInstanceOf(ClientClosedError);
  });

  it('is configured asynchronously, and isGlobal reaches modules that do not import it', async () => {
    const ns = namespace();
    @Injectable()
    class Settings {
      readonly redisUrl = redisUrl();
      readonly namespace = ns;
    }
    @Module({ providers: [Settings], exports: [Settings] })
    class SettingsModule {}
    @Module({ providers: [MemoryService], exports: [MemoryService] })
    class FeatureModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [
        StatehouseModule.forRootAsync({
          imports: [SettingsModule],
          inject: [Settings],
          useFactory: (settings: Settings) => ({
            redis: settings.redisUrl,
            namespace: settings.namespace,
            timeoutWorker: false,
          }),
          isGlobal: true,
        }),
        FeatureModule,
      ],
    }).compile();
    const app = await moduleRef.init();
    try {
      const memory = app.get(MemoryService);
      await memory.remember('agent', 'x');
      expect(memory.statehouse.namespace).toBe(ns);
      expect(await app.get<StatehouseApi>(STATEHOUSE).lastCommitTs()).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('lets tests override the client through its token', async () => {
    const calls: string[] = [];
    const fake = {
      namespace: 'fake',
      transaction: async (fn: (tx: unknown) => Promise<unknown>) => {
        calls.push('transaction');
        return fn({
          id: 'fake~tx',
          get: () =>
            Promise.resolve({ exists: false, value: null, version: 0, commitTs: 0, staged: false }),
          write: () => Promise.resolve(calls.push('write')),
        });
      },
      close: () => Promise.resolve(),
    };
    const moduleRef = await Test.createTestingModule({
      imports: [StatehouseModule.forRoot({ redis: redisUrl() })],
      providers: [MemoryService],
    })
      .overrideProvider(STATEHOUSE)
      .useValue(fake)
      .compile();
    const app = await moduleRef.init();
    try {
      expect(await app.get(MemoryService).remember('agent', 'x')).toBe('fake~tx');
      expect(calls).toEqual(['transaction', 'write']);
    } finally {
      await app.close();
    }
  });

  it('leaves no handles behind after opening and closing the module many times', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
    for (let i = 0; i < 15; i++) {
      const app = await appWith([
        StatehouseModule.forRoot({ redis: redisUrl(), namespace: namespace() }),
      ]);
      await app.get(MemoryService).remember('agent', `fact ${i}`);
      await app.close();
    }
    // Sockets closed just now may still be tearing down: wait (a bounded while) until they are.
    const count = () => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
    const deadline = Date.now() + 5000;
    while (count() > before && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 50));
    }
    expect(count()).toBeLessThanOrEqual(before);
  });
});

describe('StatehouseModule.forRoot with Redis Cluster nodes', () => {
  it('runs on the cluster, and closes the cluster connection it opened', async () => {
    const cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1 });
    try {
      const app = await appWith([
        StatehouseModule.forRoot({ cluster: { nodes: cluster.nodes }, namespace: namespace() }),
      ]);
      const memory = app.get(MemoryService);
      await Promise.all(['a', 'b', 'c'].map((fact) => memory.remember('agent', fact)));
      expect((await memory.statehouse.getState({ agentId: 'agent', key: 'facts' })).version).toBe(
        3,
      );
      await app.close();
      await expect(memory.statehouse.lastCommitTs()).rejects.toBeInstanceOf(ClientClosedError);
    } finally {
      await cluster.stop();
    }
  }, 30_000);
});
