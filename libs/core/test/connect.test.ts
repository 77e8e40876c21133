import { Redis } from 'ioredis';
import { Statehouse, ValidationError } from '@statehouse/core';
import { redisUrl, uniqueNamespace } from './support/statehouse';

describe('Statehouse.connect', () => {
  it('refuses an ioredis client that would not resend commands after a reconnect', async () => {
    const mine = new Redis(redisUrl(), { autoResendUnfulfilledCommands: false });
    try {
      const error = await Statehouse.connect({ redis: mine }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toContain('autoResendUnfulfilledCommands');
    } finally {
      mine.disconnect();
    }
  });

  it('uses an existing ioredis instance and leaves it open on close', async () => {
    const mine = new Redis(redisUrl());
    try {
      const client = await Statehouse.connect({ redis: mine, namespace: uniqueNamespace() });
      await client.transaction(async (tx) =>
        tx.write({ agentId: 'a', key: 'k', value: { ok: 1 } }),
      );
      expect((await client.getState({ agentId: 'a', key: 'k' })).value).toEqual({ ok: 1 });
      await client.close();
      expect(await mine.ping()).toBe('PONG');
    } finally {
      await mine.quit();
    }
  });

  it('accepts ioredis options', async () => {
    const { hostname, port } = new URL(redisUrl());
    const client = await Statehouse.connect({
      redis: { host: hostname, port: Number(port) },
      namespace: uniqueNamespace(),
    });
    try {
      expect(await client.lastCommitTs()).toBe(0);
    } finally {
      await client.close();
    }
  });

  it.each([
    [{ redis: redisUrl(), namespace: 'has\ttab' }, 'namespace'],
    [{ redis: redisUrl(), maxOperationsPerTransaction: 5000 }, 'maxOperationsPerTransaction'],
    [{ redis: redisUrl(), defaultTimeoutMs: 700_000 }, 'defaultTimeoutMs'],
    [{ redis: redisUrl(), keyPrefix: 'a{b}' }, 'keyPrefix'],
    [{ redis: 42 }, 'redis'],
    [{ redis: { host: '127.0.0.1', keyPrefix: 'app:' } }, 'redis'],
    [{ redis: { host: '127.0.0.1', autoResendUnfulfilledCommands: false } }, 'redis'],
    [{ redis: redisUrl(), durability: 'quorum' }, 'durability'],
    [{ redis: redisUrl(), replication: { replicas: 1 } }, 'replication'],
    [
      { redis: redisUrl(), durability: 'replicated', replication: { replicas: 0 } },
      'replication.replicas',
    ],
  ])('refuses bad options with a ValidationError naming them (%j)', async (options, field) => {
    const error = await Statehouse.connect(options as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field });
  });
});
