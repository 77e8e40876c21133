// The checkpoint savers the LangGraph bench compares, opened for one round: StatehouseSaver on the
// embedded engine and through a server process (@statehouse/client over gRPC), LangGraph's
// MemorySaver, and @langchain/langgraph-checkpoint-postgres on the bench's local PostgreSQL.
// Each saver's put and getTuple are timed where the graph calls them.
import { performance } from 'node:perf_hooks';
import { StatehouseClient } from '@statehouse/client';
import { StatehouseSaver } from '@statehouse/langgraph';
import { MemorySaver, type BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { Pool } from 'pg';
import type { LocalPostgres } from '../peers/local-postgres';
import type { BenchRedis } from '../redis-env';
import { startServer, stopServer } from '../scenarios/server';
import { processCpuMs } from '../stats';

export type SaverId = 'embedded' | 'server' | 'memory' | 'postgres';

/** Latencies of the saver's calls while `recording`, ms. */
export class SaverTimings {
  recording = false;
  put: number[] = [];
  /** Only the calls that found a checkpoint (a fresh thread's lookup finds none). */
  getTuple: number[] = [];
  puts = 0;

  reset(): void {
    this.put = [];
    this.getTuple = [];
    this.puts = 0;
  }
}

export interface OpenedSaver {
  readonly id: SaverId;
  readonly label: string;
  readonly saver: BaseCheckpointSaver;
  readonly timings: SaverTimings;
  /** True for StatehouseSaver: its Redis CPU is measured. */
  readonly onRedis: boolean;
  /** CPU of the server process behind the saver (our server, all of PostgreSQL), ms. */
  readonly serverCpuMs?: () => number;
  close(): Promise<void>;
}

/** Times `put` and `getTuple` on this instance (the graph calls them as methods of the saver). */
function instrument(saver: BaseCheckpointSaver): SaverTimings {
  const timings = new SaverTimings();
  const put = saver.put.bind(saver);
  saver.put = async (...args) => {
    const begin = performance.now();
    const config = await put(...args);
    if (timings.recording) {
      timings.put.push(performance.now() - begin);
      timings.puts++;
    }
    return config;
  };
  const getTuple = saver.getTuple.bind(saver);
  saver.getTuple = async (config) => {
    const begin = performance.now();
    const tuple = await getTuple(config);
    if (timings.recording && tuple) timings.getTuple.push(performance.now() - begin);
    return tuple;
  };
  return timings;
}

const opened = (
  id: SaverId,
  label: string,
  saver: BaseCheckpointSaver,
  close: () => Promise<void>,
  serverCpuMs?: () => number,
): OpenedSaver => ({
  id,
  label,
  saver,
  timings: instrument(saver),
  onRedis: id === 'embedded' || id === 'server',
  close,
  ...(serverCpuMs ? { serverCpuMs } : {}),
});

/** PostgresSaver's tables, emptied before each round like the bench's Redis. */
const POSTGRES_TABLES = 'checkpoints, checkpoint_blobs, checkpoint_writes';

/** Creates PostgresSaver's tables (its migrations) once. */
export async function setupPostgresSaver(pg: LocalPostgres): Promise<void> {
  const saver = new PostgresSaver(postgresPool(pg, 1));
  try {
    await saver.setup();
  } finally {
    await saver.end();
  }
}

function postgresPool(pg: LocalPostgres, size: number): Pool {
  return new Pool({
    host: pg.host,
    port: pg.port,
    user: pg.user,
    database: pg.database,
    max: size,
  });
}

/** Opens our savers and MemorySaver for one round (on an emptied Redis). */
export async function openSavers(env: BenchRedis): Promise<OpenedSaver[]> {
  const savers: OpenedSaver[] = [];
  try {
    const embedded = await env.connect(env.namespace('langgraph-embedded'));
    savers.push(
      opened('embedded', 'StatehouseSaver, embedded engine', new StatehouseSaver(embedded), () =>
        embedded.close(),
      ),
    );
    const server = await startServer(env.url);
    const client = await StatehouseClient.connect({
      url: `127.0.0.1:${server.grpcPort}`,
      namespace: env.namespace('langgraph-server'),
    }).catch(async (error: unknown) => {
      await stopServer(server);
      throw error;
    });
    savers.push(
      opened(
        'server',
        'StatehouseSaver, @statehouse/client to a server',
        new StatehouseSaver(client),
        async () => {
          await client.close();
          await stopServer(server);
        },
        () => processCpuMs(server.child.pid),
      ),
    );
    savers.push(opened('memory', 'MemorySaver (in process)', new MemorySaver(), async () => {}));
    return savers;
  } catch (error) {
    for (const saver of savers.reverse()) await saver.close();
    throw error;
  }
}

/**
 * PostgresSaver for one round, on emptied tables; a pool of `concurrency` connections (one per
 * concurrent run, as a server would have).
 */
export async function openPostgresSaver(
  postgres: LocalPostgres,
  concurrency: number,
): Promise<OpenedSaver> {
  const saver = new PostgresSaver(postgresPool(postgres, concurrency));
  try {
    await resetPostgres(postgres);
  } catch (error) {
    await saver.end();
    throw error;
  }
  return opened(
    'postgres',
    'PostgresSaver, local PostgreSQL',
    saver,
    () => saver.end(),
    () => postgres.cpuMs(),
  );
}

async function resetPostgres(postgres: LocalPostgres): Promise<void> {
  const pool = postgresPool(postgres, 1);
  try {
    await pool.query(`TRUNCATE ${POSTGRES_TABLES}`);
  } finally {
    await pool.end();
  }
}
