import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { StatehouseApi } from '@statehouse/core';
import { InjectStatehouse, Transactional, currentTransaction } from '@statehouse/nestjs';
import {
  ContainerRuntimeUnavailableError,
  createStatehouseTestingModule,
  startLocalRedisCluster,
  startStatehouseRedis,
} from '@statehouse/testing';

// The testing kit used as a user would: a NestJS service tested on a Redis container.

@Injectable()
class PlanService {
  constructor(@InjectStatehouse() readonly statehouse: StatehouseApi) {}

  @Transactional()
  async addStep(agentId: string, step: string): Promise<number> {
    const tx = currentTransaction()!;
    const { value } = await tx.get({ agentId, key: 'plan' });
    const steps = [...((value?.steps as string[] | undefined) ?? []), step];
    await tx.write({ agentId, key: 'plan', value: { steps } });
    return steps.length;
  }
}

it('wires the module to the test Redis in a fresh namespace per testing module', async () => {
  const first = await createStatehouseTestingModule({ providers: [PlanService] }).compile();
  const second = await createStatehouseTestingModule({ providers: [PlanService] }).compile();
  await Promise.all([first.init(), second.init()]);
  try {
    const a = first.get(PlanService);
    const b = second.get(PlanService);
    expect(a.statehouse.namespace).not.toBe(b.statehouse.namespace);
    expect(await a.addStep('agent', 'search')).toBe(1);
    expect(await a.addStep('agent', 'summarize')).toBe(2);
    expect(await b.addStep('agent', 'other')).toBe(1); // its own namespace: no interference
    expect((await a.statehouse.getState({ agentId: 'agent', key: 'plan' })).value).toEqual({
      steps: ['search', 'summarize'],
    });
  } finally {
    await Promise.all([first.close(), second.close()]);
  }
});

it('starts Redis in a container with AOF on, and stops it', async () => {
  if (process.env.STATEHOUSE_CONTAINERS !== '1') {
    // REDIS_URL runs without Docker: here the kit must refuse clearly (npm test runs the rest).
    await expect(startStatehouseRedis()).rejects.toBeInstanceOf(ContainerRuntimeUnavailableError);
    return;
  }
  const redis = await startStatehouseRedis();
  const client = new Redis(redis.url);
  try {
    expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await client.config('GET', 'appendfsync')).toEqual(['appendfsync', 'always']);
  } finally {
    client.disconnect();
    await redis.stop();
  }
  const gone = new Redis(redis.url, {
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    lazyConnect: true,
  });
  gone.on('error', () => undefined);
  await expect(gone.connect()).rejects.toThrow();
  gone.disconnect();
});

it('says what to do when no container runtime answers', async () => {
  const script = `require(${JSON.stringify(join(__dirname, '..', 'dist', 'index.js'))})
    .startStatehouseRedis()
    .then(() => process.exit(3), (e) => { console.log(e.name + ': ' + e.message); process.exit(0); });`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
    env: { ...process.env, DOCKER_HOST: 'tcp://127.0.0.1:9', TESTCONTAINERS_RYUK_DISABLED: 'true' },
    timeout: 30_000,
  });
  expect(stdout).toMatch(/^ContainerRuntimeUnavailableError: No container runtime is reachable/);
  expect(stdout).toContain('REDIS_URL=redis://127.0.0.1:6379');
});

it('starts a local Redis Cluster with replicas, and wires a testing module to it', async () => {
  const cluster = await startLocalRedisCluster({ masters: 3, replicasPerMaster: 1 });
  try {
    expect(cluster.nodes).toHaveLength(6);
    const app = await createStatehouseTestingModule(
      { providers: [PlanService] },
      { cluster: { nodes: cluster.nodes.slice(0, 1) } },
    ).compile();
    await app.init();
    try {
      const plans = app.get(PlanService);
      expect(await plans.addStep('agent', 'search')).toBe(1);
      expect(await plans.addStep('agent', 'summarize')).toBe(2);
      // The namespace lives on one master, and its replica has it too.
      const master = await cluster.masterOf(`sh:{${plans.statehouse.namespace}}:log`);
      const [replica] = await cluster.replicasOf(master);
      const admin = new Redis({ ...replica!, lazyConnect: true });
      try {
        await admin.connect();
        await admin.call('READONLY');
        const log = `sh:{${plans.statehouse.namespace}}:log`;
        // Replication is asynchronous (and a fresh replica may still be syncing): up to 10 s.
        for (let i = 0; i < 500 && (await admin.xlen(log)) < 2; i++) {
          await new Promise((done) => setTimeout(done, 20));
        }
        expect(await admin.xlen(log)).toBe(2);
      } finally {
        admin.disconnect();
      }
    } finally {
      await app.close();
    }
  } finally {
    await cluster.stop();
  }
}, 60_000);
