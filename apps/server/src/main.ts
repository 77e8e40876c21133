/**
 * `npm start`. Until the gRPC/HTTP server lands (issue 4), this runs the seed transaction flow of
 * the Statehouse tutorials against Redis: REDIS_URL when set, otherwise a private redis-server it
 * starts itself (AOF, appendfsync always, data in ./data) and stops afterwards.
 */
import {
  EmbeddedRedisError,
  startEmbeddedRedis,
  Statehouse,
  type EmbeddedRedis,
} from '@statehouse/core';

async function main(): Promise<void> {
  let embedded: EmbeddedRedis | undefined;
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    embedded = await startEmbeddedRedis({ dataDir: process.env.STATEHOUSE_DATA_DIR ?? 'data' });
    log(`started redis-server at ${embedded.url} (AOF, appendfsync always, data in ./data)`);
  }
  const client = await Statehouse.connect({
    redis: redisUrl ?? embedded!.url,
    namespace: 'default',
  });
  try {
    await seedFlow(client);
  } finally {
    await client.close();
    await embedded?.stop();
  }
}

async function seedFlow(client: Statehouse): Promise<void> {
  const agentId = 'my-agent';

  const tx = await client.beginTransaction({ timeoutMs: 5000 });
  await tx.write({ agentId, key: 'memory', value: { fact: 'Some information' } });
  const first = await tx.commit();
  log(`committed a write at commitTs ${first}`);

  const second = await client.transaction(async (t) => {
    await t.write({ agentId, key: 'plan', value: { steps: ['search', 'summarize'], current: 0 } });
    await t.write({ agentId, key: 'temp:scratch', value: { note: 'to be deleted' } });
    return t.id;
  });
  log(`committed two writes in transaction ${second}`);

  await client.transaction(async (t) => t.delete({ agentId, key: 'temp:scratch' }));
  const memory = await client.getState({ agentId, key: 'memory' });
  log(
    `memory = ${JSON.stringify(memory.value)} (version ${memory.version}, commitTs ${memory.commitTs})`,
  );
  log(`keys of ${agentId}: ${(await client.listKeys({ agentId })).keys.join(', ')}`);
  for await (const event of client.replay({ agentId })) {
    const ops = event.operations.map(
      (op) => `${op.value === null ? 'delete' : 'write'} ${op.key}@v${op.version}`,
    );
    log(`replay commitTs ${event.commitTs}: ${ops.join(', ')}`);
  }
}

function log(message: string): void {
  process.stdout.write(`[statehouse] ${message}\n`);
}

main().catch((error: unknown) => {
  const message =
    error instanceof EmbeddedRedisError || error instanceof Error ? error.message : String(error);
  process.stderr.write(`[statehouse] ${message}\n`);
  process.exit(1);
});
