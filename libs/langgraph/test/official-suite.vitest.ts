// LangGraph's own checkpointer conformance suite (@langchain/langgraph-checkpoint-validation),
// run against StatehouseSaver twice: on the embedded engine, and on the network client through a
// real server process. Run by `npm test` after jest (scripts/run-tests.mjs), with vitest
// --globals (validate() uses describe/it/expect as globals). Redis: $REDIS_URL, or a private
// redis-server of this run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  deltaChannelHistoryTests,
  validate,
  type CheckpointSaverTestInitializer,
} from '@langchain/langgraph-checkpoint-validation';
import { Statehouse, startEmbeddedRedis, type StatehouseApi } from '@statehouse/core';
import { StatehouseClient } from '@statehouse/client';
import { startStatehouseServer, type StatehouseServer } from '@statehouse/testing';
import { StatehouseSaver } from '@statehouse/langgraph';

interface Backend {
  client?: StatehouseApi;
  stop: Array<() => Promise<unknown>>;
}

/** $REDIS_URL, or a redis-server of this run's own (stopped by `backend.stop`). */
async function redisUrl(backend: Backend): Promise<string> {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  const dataDir = mkdtempSync(join(tmpdir(), 'statehouse-lg-validation-'));
  const redis = await startEmbeddedRedis({ dataDir, appendfsync: 'no' });
  backend.stop.push(async () => {
    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return redis.url;
}

/** Every checkpointer the suite creates gets a namespace of its own: suites never see each other. */
function freshSaver(backend: Backend): StatehouseSaver {
  const namespace = `lg-validate-${randomBytes(6).toString('hex')}`;
  return new StatehouseSaver(backend.client!, { namespace });
}

async function stopAll(backend: Backend): Promise<void> {
  await backend.client?.close();
  for (const stop of backend.stop.reverse()) await stop();
}

/** validate() (the default spec), and the opt-in getDeltaChannelHistory tests LangGraph's own savers run. */
function validateAll(initializer: CheckpointSaverTestInitializer<StatehouseSaver>): void {
  validate(initializer);
  deltaChannelHistoryTests(initializer);
}

const embedded: Backend = { stop: [] };
validateAll({
  checkpointerName: 'StatehouseSaver (embedded engine)',
  beforeAllTimeout: 60_000,
  async beforeAll() {
    embedded.client = await Statehouse.connect({ redis: await redisUrl(embedded) });
  },
  afterAll: () => stopAll(embedded),
  createCheckpointer: () => freshSaver(embedded),
});

const network: Backend = { stop: [] };
validateAll({
  checkpointerName: 'StatehouseSaver (network client, server process)',
  beforeAllTimeout: 60_000,
  async beforeAll() {
    const url = await redisUrl(network);
    const server: StatehouseServer = await startStatehouseServer({
      env: { ...process.env, STATEHOUSE_REDIS_URL: url },
    });
    network.stop.push(() => server.stop());
    network.client = await StatehouseClient.connect({ url: server.url });
  },
  afterAll: () => stopAll(network),
  createCheckpointer: () => freshSaver(network),
});
